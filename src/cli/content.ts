import type { Archive } from '../app/archive.js';
import type { Layer } from '../image/model.js';
import { LayerReader } from '../layer/reader.js';
import { overlay, type Overlay } from '../analysis/filetree.js';
import { loadImages, mismatchWarnings, type LoadedImage } from '../app/load.js';
import { recordFindings } from '../app/outcome.js';
import { layerReader, warn, type GlobalArgs } from './context.js';
import { selectOne } from '../image/select.js';
import { selectLayer } from '../image/layer-select.js';

export { loadImages, type LoadedImage };

/**
 * The one image a single-image content command works on (`-i`, `--platform`),
 * its listings read, and the layer `--layer` names (null: the final image).
 */
export async function loadSelected(a: GlobalArgs & { image?: string; layer?: string }, ar: Archive):
  Promise<{ reader: LayerReader; loaded: LoadedImage; layer: Layer | null }> {
  const img = selectOne(ar.images, a.image, a.platform);
  const layer = a.layer !== undefined ? selectLayer(img, a.layer) : null;
  const reader = layerReader(a);
  const [loaded] = await loadImages(reader, ar, [img]);
  return { reader, loaded: loaded!, layer };
}

/** The filesystem as it stood after `layer` was applied (the final one when null). */
export function overlayAt(loaded: LoadedImage, layer: Layer | null): Overlay {
  if (!layer || layer.index === loaded.image.layers.length - 1) return loaded.overlay;
  return overlay(loaded.listings.slice(0, layer.index + 1));
}

/**
 * The diffID-mismatch policy (app/load.ts) on the terminal: one warning per
 * layer, and the command's exit code becomes 1. True when there was one.
 */
export function warnMismatches(reader: LayerReader, already = new Set<string>()): boolean {
  for (const w of mismatchWarnings(reader, already)) warn(w);
  if (reader.mismatches.length) recordFindings();
  return reader.mismatches.length > 0;
}
