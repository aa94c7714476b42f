import type { HistoryItem, Image, RawHistory } from './model.js';

/**
 * Pair history with layers as Docker does: each entry without `empty_layer`
 * consumes the next layer, in order. A 0-byte layer is still a layer.
 * Entries beyond the layers are reported as producing no layer; layers
 * beyond the history get a synthetic entry so none is silently dropped.
 */
export function pairHistory(history: readonly RawHistory[], layerCount: number): HistoryItem[] {
  const out: HistoryItem[] = [];
  let next = 0;
  for (const raw of history) {
    // a config is untrusted: an entry that is not an object (null, 5) is read as an empty one, as Go's decoder reads null
    const h: RawHistory = typeof raw === 'object' && raw !== null && !Array.isArray(raw) ? raw : {};
    const empty = h.empty_layer === true;
    const layerIndex = !empty && next < layerCount ? next++ : null;
    out.push({
      created: typeof h.created === 'string' ? h.created : null,
      createdBy: typeof h.created_by === 'string' ? h.created_by : '',
      comment: typeof h.comment === 'string' ? h.comment : null,
      emptyLayer: empty,
      layerIndex,
    });
  }
  for (; next < layerCount; next++) {
    out.push({ created: null, createdBy: '', comment: '(no history entry for this layer)', emptyLayer: false, layerIndex: next });
  }
  return out;
}

/** The build step (history `created_by`) that made layer `layerIndex` of an image. */
export function stepOf(img: Image, layerIndex: number): string {
  return img.history.find((h) => h.layerIndex === layerIndex)?.createdBy ?? '';
}
