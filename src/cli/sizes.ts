import type { Archive } from '../app/archive.js';
import type { Digest } from '../digest.js';
import type { Image } from '../image/model.js';
import type { LayerReader } from '../layer/reader.js';

/** `--no-content` for the commands whose SIZE is Docker's: metadata only, stored sizes under BLOB SIZE. */
export const contentOption = {
  type: 'boolean', default: true,
  describe: "read each layer once for Docker's SIZE (DiffSize); --no-content reads JSON only and shows BLOB SIZE (stored bytes)",
} as const;

/**
 * Docker's DiffSize of every layer of these images, by diffID: the same cached
 * content pass `layers` makes (each distinct layer read once, with progress).
 * Layers whose size `into` already holds (from another archive) are not read again, nor
 * layers whose engine recorded their size.
 */
export async function readDiffSizes(reader: LayerReader, ar: Archive, imgs: Image[], into = new Map<Digest, number>()): Promise<Map<Digest, number>> {
  // an engine's own record is what that engine shows (a data-root's layerdb `size`: overlay2 counts a chmod's copy-up differently)
  for (const img of imgs) for (const l of img.layers) if (l.recordedSize !== undefined && !into.has(l.diffId)) into.set(l.diffId, l.recordedSize);
  const todo = imgs.map((img) => ({ ...img, layers: img.layers.filter((l) => !into.has(l.diffId)) }));
  await reader.prefetch(ar.store, todo);
  for (const img of todo) {
    for (const l of img.layers) into.set(l.diffId, (await reader.listing(ar.store, l)).size);
  }
  return into;
}
