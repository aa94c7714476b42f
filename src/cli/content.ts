import type { Archive } from '../app/archive.js';
import type { Image, Layer } from '../image/model.js';
import type { LayerEntry } from '../layer/entry.js';
import { LayerReader } from '../layer/reader.js';
import { overlay, type Overlay } from '../analysis/filetree.js';
import { layerReader, warn, type GlobalArgs } from './context.js';
import { selectOne } from '../image/select.js';
import { selectLayer } from '../image/layer-select.js';

/** An image with its layer listings (read once per diffID) and its overlay. */
export interface LoadedImage {
  archive: Archive;
  image: Image;
  listings: LayerEntry[][];
  overlay: Overlay;
}

/** Read the listings of these images (one pass per distinct layer) and apply the overlay. */
export async function loadImages(reader: LayerReader, ar: Archive, images: Image[]): Promise<LoadedImage[]> {
  await reader.prefetch(ar.store, images);
  const out: LoadedImage[] = [];
  for (const image of images) {
    const listings: LayerEntry[][] = [];
    for (const l of image.layers) listings.push((await reader.listing(ar.store, l)).entries);
    out.push({ archive: ar, image, listings, overlay: overlay(listings) });
  }
  return out;
}

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

/** A layer whose content does not hash to its diffID is a finding: say it loudly, once each. */
export function warnMismatches(reader: LayerReader, already = new Set<string>()): boolean {
  for (const m of reader.mismatches) {
    const key = `${m.where}\0${m.actual}`;
    if (already.has(key)) continue;
    already.add(key);
    warn(`${m.where}: layer ${m.layer.index} hashes to ${m.actual} but the config declares diffID ${m.layer.diffId} — the archive does not match its config`);
  }
  return reader.mismatches.length > 0;
}
