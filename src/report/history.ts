import type { Image } from '../image/model.js';
import { created, ellipsis, humanSize, id } from './format.js';
import { describeImage } from '../image/select.js';
import { imageRef } from './images.js';
import { table } from './table.js';

/** History paired with layers; `size` is the layer blob's stored bytes (0 for an empty layer). */
export function historyReport(img: Image) {
  return {
    image: imageRef(img),
    history: img.history.map((h, i) => {
      const l = h.layerIndex === null ? null : img.layers[h.layerIndex]!;
      return {
        created: h.created,
        createdBy: h.createdBy,
        comment: h.comment,
        emptyLayer: h.emptyLayer,
        layerIndex: h.layerIndex,
        diffId: l?.diffId ?? null,
        size: l ? l.compressedSize : 0,
        storage: l?.storage ?? null,
        ...(img.buildSteps ? { imageId: stepImage(img, i) } : {}),
      };
    }),
  };
}

/**
 * The local image a history entry made, as `docker history` shows it: the
 * newest entry is the image, the one before its build parent, and so on while
 * parents exist (a Docker data-root's intermediate images); null = `<missing>`.
 */
function stepImage(img: Image, i: number): string | null {
  return img.buildSteps?.[img.history.length - 1 - i] ?? null;
}

export function renderHistory(imgs: Image[], full: boolean): string {
  return imgs.map((img) => {
    const r = historyReport(img).history;
    // newest first, as `docker history` prints; only the top entry carries the image ID
    const rows = r.map((h, i) => [
      img.buildSteps ? (stepImage(img, i) === null ? '<missing>' : id(stepImage(img, i), full)) : i === r.length - 1 ? id(img.id, full) : '<missing>',
      created(h.created),
      h.layerIndex === null ? 'empty layer' : `image layer ${h.layerIndex}`,
      ellipsis(h.createdBy, 60, full),
      h.layerIndex === null ? '0B' : humanSize(h.size),
      h.storage ?? '',
    ]).reverse();
    return `IMAGE ${describeImage(img)}\n${table(['IMAGE', 'CREATED', 'LAYER', 'CREATED BY', 'SIZE', 'STORAGE'], rows)}`;
  }).join('\n\n');
}
