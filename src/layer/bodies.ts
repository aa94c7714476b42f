import type { Readable } from 'node:stream';
import { sha256Stream, type Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import type { Layer } from '../image/model.js';
import type { Store } from '../store/store.js';
import type { LayerEntry } from './entry.js';
import { readLayer } from './pass.js';
import type { LayerReader } from './reader.js';

/**
 * Entry bodies, for commands that need bytes (cat, extract, export, content
 * search, diff). Each layer blob that holds a wanted entry is read once, in
 * the cheapest order for the store (one sequential pass for a compressed
 * archive), and each body is handed over with the entry object of the cached
 * listing (identity), so plans made from listings can name what they want.
 */
export type BodyVisitor = (entry: LayerEntry, body: Readable, layer: Layer) => Promise<void>;

export async function visitBodies(
  store: Store,
  reader: LayerReader,
  layers: readonly Layer[],
  want: ReadonlySet<LayerEntry>,
  fn: BodyVisitor,
): Promise<void> {
  const byMember = new Map<string, { layer: Layer; entries: readonly LayerEntry[] }>();
  for (const l of layers) {
    if (byMember.has(l.member)) continue;
    const listing = await reader.listing(store, l);
    if (listing.entries.some((e) => want.has(e))) byMember.set(l.member, { layer: l, entries: listing.entries });
  }
  if (byMember.size === 0) return;
  await store.each([...byMember.keys()], async (member, blob) => {
    const { layer, entries } = byMember.get(member)!;
    let i = 0;
    await readLayer(blob, {
      where: layer.storage,
      onEntry: async (e, body) => {
        const cached = entries[i++];
        if (!cached || cached.path !== e.path) {
          throw new LayerdigError('E_BAD_ARCHIVE', `${layer.storage}: the layer changed while layerdig read it (entry ${i} is ${e.path}, was ${cached?.path ?? 'absent'})`);
        }
        if (want.has(cached)) await fn(cached, body, layer);
      },
    });
  });
}

/** sha256 of each wanted entry's body. */
export async function hashBodies(store: Store, reader: LayerReader, layers: readonly Layer[], want: ReadonlySet<LayerEntry>, into = new Map<LayerEntry, Digest>()): Promise<Map<LayerEntry, Digest>> {
  const todo = new Set([...want].filter((e) => !into.has(e)));
  await visitBodies(store, reader, layers, todo, async (e, body) => {
    into.set(e, (await sha256Stream(body as AsyncIterable<Buffer>)).digest);
  });
  return into;
}
