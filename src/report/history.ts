import type { Image } from '../image/model.js';
import { created, ellipsis, humanSize, id } from './format.js';
import { describeImage } from '../image/select.js';
import { imageRef, type DiffSizes } from './images.js';
import { table } from './table.js';

/**
 * History paired with layers. `size` is what `docker history` shows: the layer's
 * DiffSize (0 for an empty layer; null when layers were not read, --no-content);
 * `blobSize` is the layer blob's bytes as stored in this archive (format-dependent).
 */
export function historyReport(img: Image, sizes: DiffSizes | null) {
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
        size: l ? sizes?.get(l.diffId) ?? null : 0,
        blobSize: l ? l.compressedSize : 0,
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

/** Docker's SIZE when the layers were read; else the stored size, under a header that says so. */
export function renderHistory(imgs: Image[], full: boolean, sizes: DiffSizes | null): string {
  return imgs.map((img) => {
    const r = historyReport(img, sizes).history;
    // newest first, as `docker history` prints; only the top entry carries the image ID
    const rows = r.map((h, i) => [
      img.buildSteps ? (stepImage(img, i) === null ? '<missing>' : id(stepImage(img, i), full)) : i === r.length - 1 ? id(img.id, full) : '<missing>',
      created(h.created),
      h.layerIndex === null ? 'empty layer' : `image layer ${h.layerIndex}`,
      ellipsis(h.createdBy, 60, full),
      humanSize(sizes ? h.size : h.blobSize),
      h.storage ?? '',
    ]).reverse();
    return `IMAGE ${describeImage(img)}\n${table(['IMAGE', 'CREATED', 'LAYER', 'CREATED BY', sizes ? 'SIZE' : 'BLOB SIZE', 'STORAGE'], rows)}`;
  }).join('\n\n');
}
