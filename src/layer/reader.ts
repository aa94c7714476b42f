import type { Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Image, Layer } from '../image/model.js';
import { readLayer, type EntryVisitor, type LayerListing } from './pass.js';

export interface LayerRef {
  store: Store;
  layer: Layer;
}

/**
 * Reads layers at most once per run: listings are cached by diffID, so a layer
 * shared by several images or archives is read once. For a compressed outer
 * archive, `prefetch` reads all wanted layers in one sequential pass.
 */
export class LayerReader {
  private readonly cache = new Map<Digest, LayerListing>();
  /** diffIDs whose content hashed to something else: a finding, reported loudly */
  readonly mismatches: { layer: Layer; actual: Digest; where: string }[] = [];

  constructor(private readonly onProgress?: (where: string, bytes: number, total: number) => void) {}

  cached(diffId: Digest): LayerListing | undefined {
    return this.cache.get(diffId);
  }

  private record(ref: LayerRef, listing: LayerListing): LayerListing {
    if (listing.diffId !== ref.layer.diffId) {
      this.mismatches.push({ layer: ref.layer, actual: listing.diffId, where: ref.layer.storage });
    }
    // cached under the declared diffID: that is what the image asks for
    this.cache.set(ref.layer.diffId, listing);
    return listing;
  }

  /** Read every layer of these images that is not cached yet, in the cheapest order. */
  async prefetch(store: Store, images: Image[]): Promise<void> {
    const todo = new Map<string, Layer>();
    for (const img of images) {
      for (const l of img.layers) if (!this.cache.has(l.diffId) && !todo.has(l.member)) todo.set(l.member, l);
    }
    if (todo.size === 0) return;
    await store.each([...todo.keys()], async (member, body) => {
      const layer = todo.get(member)!;
      const listing = await readLayer(body, {
        where: layer.storage,
        onProgress: this.onProgress ? (b) => this.onProgress!(layer.storage, b, layer.compressedSize) : undefined,
      });
      this.record({ store, layer }, listing);
    });
  }

  async listing(store: Store, layer: Layer): Promise<LayerListing> {
    const hit = this.cache.get(layer.diffId);
    if (hit) return hit;
    const listing = await readLayer(store.open(layer.member), {
      where: layer.storage,
      onProgress: this.onProgress ? (b) => this.onProgress!(layer.storage, b, layer.compressedSize) : undefined,
    });
    return this.record({ store, layer }, listing);
  }

  /** Stream a layer's entries with their bodies (cat, extract, content search); not cached. */
  async visit(store: Store, layer: Layer, onEntry: EntryVisitor): Promise<LayerListing> {
    return readLayer(store.open(layer.member), { where: layer.storage, onEntry });
  }
}

export function assertNoMismatch(reader: LayerReader): void {
  const m = reader.mismatches[0];
  if (m) {
    throw new LayerdigError('E_BAD_ARCHIVE',
      `${m.where}: layer ${m.layer.index} content hashes to ${m.actual}, but the config says its diffID is ${m.layer.diffId}`);
  }
}
