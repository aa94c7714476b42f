import type { Image } from '../image/model.js';
import { created, ellipsis, humanSize, id } from './text.js';
import { describeImage } from '../image/select.js';
import { imageRef, type DiffSizes } from './images.js';
import { table } from './table.js';
import { createdSince } from './time.js';

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
        ...(img.buildSteps || img.historyImages ? { imageId: stepImage(img, i) } : {}),
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
  if (img.historyImages) return img.historyImages[i] ?? null;
  return img.buildSteps?.[img.history.length - 1 - i] ?? null;
}

/** The IMAGE column, oldest first: the image on its newest entry (and each build step a data-root knows), `<missing>` elsewhere. */
export function historyIds(img: Image, full: boolean): string[] {
  const n = img.history.length;
  return img.history.map((_, i) => {
    const step = img.buildSteps || img.historyImages ? stepImage(img, i) : i === n - 1 ? img.id : null;
    return step === null ? '<missing>' : id(step, full);
  });
}

export interface HistoryView {
  full: boolean;
  /** CREATED as "3 years ago" and sizes in units (docker's -H); false: RFC 3339 UTC and bytes */
  human: boolean;
  now?: number;
}

/**
 * docker history's columns (IMAGE CREATED CREATED BY SIZE COMMENT), newest
 * first, then layerdig's LAYER and STORAGE. SIZE is Docker's when the layers
 * were read; else the stored size, under a header that says so.
 */
export function renderHistory(imgs: Image[], sizes: DiffSizes | null, v: HistoryView): string {
  return imgs.map((img) => {
    const r = historyReport(img, sizes).history;
    const ids = historyIds(img, v.full);
    const rows = r.map((h, i) => {
      const size = sizes ? h.size : h.blobSize;
      return [
        ids[i]!,
        v.human ? createdSince(h.created, v.now) : created(h.created),
        ellipsis(h.createdBy, 45, v.full),
        size === null ? '-' : v.human ? humanSize(size) : String(size),
        h.comment ?? '',
        h.layerIndex === null ? 'empty layer' : `image layer ${h.layerIndex}`,
        h.storage ?? '',
      ];
    }).reverse();
    const head = ['IMAGE', v.human ? 'CREATED' : 'CREATED AT', 'CREATED BY', sizes ? 'SIZE' : 'BLOB SIZE', 'COMMENT', 'LAYER', 'STORAGE'];
    return `IMAGE ${describeImage(img)}\n${table(head, rows)}`;
  }).join('\n\n');
}
