import type { Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Image, Layer } from '../image/model.js';
import { readLayer, type EntryVisitor, type LayerListing } from './pass.js';
import { defaultJobs, LayerPool, workersAvailable } from './pool.js';
import { fileRange } from './file-range.js';
import { listRange, workHint } from './range-pass.js';
import { HashRing } from './hash-ring.js';
import { limits } from '../limits.js';

export interface LayerRef {
  store: Store;
  layer: Layer;
}

/** What a long read reports as it goes (the CLI draws it on a TTY). */
export interface ReadProgress {
  /** the layers about to be read: `where` names each, `total` is its blob size */
  plan?(items: { where: string; total: number; label?: string }[]): void;
  /** `bytes` of the blob read so far */
  update(where: string, bytes: number, total: number): void;
  /** that layer is read */
  done?(where: string): void;
}

export interface ReaderOptions {
  progress?: ReadProgress;
  /**
   * Layers read at once (lanes: this thread, then worker threads). Undefined/0:
   * automatic (the cores, at most 4, when at least two layers and 8 MiB of blobs
   * are to be read; this thread's lane hashes on the hash thread); 1: all on this
   * thread, hashing too; n ≥ 2: n lanes whatever the sizes.
   */
  jobs?: number;
}

/** Below this many blob bytes in one prefetch, workers cost more than they save (automatic mode). */
const WORKER_MIN_BYTES = 8 * 1024 * 1024;
/** Below this blob size a layer is hashed where it is read: handing it to the hash thread costs more than it saves. */
const RING_MIN_BYTES = 8 * 1024 * 1024;

/**
 * Reads layers at most once per run: listings are cached by diffID, so a layer
 * shared by several images or archives is read once. `prefetch` reads all
 * wanted layers in the cheapest way: in parallel worker threads when their
 * bytes sit in files (tar members, layout blobs), else in one sequential pass
 * (a compressed outer archive).
 */
export class LayerReader {
  private readonly cache = new Map<Digest, LayerListing>();
  /** diffIDs whose content hashed to something else: a finding, reported loudly */
  readonly mismatches: { layer: Layer; actual: Digest; where: string }[] = [];
  private readonly progress: ReadProgress | undefined;
  private readonly jobs: number | undefined;

  /** A bare function is the older progress form: `(where, bytes, total)`. */
  constructor(opts?: ReaderOptions | ((where: string, bytes: number, total: number) => void)) {
    if (typeof opts === 'function') {
      this.progress = { update: opts };
    } else {
      this.progress = opts?.progress;
      this.jobs = opts?.jobs;
    }
  }

  cached(diffId: Digest): LayerListing | undefined {
    return this.cache.get(diffId);
  }

  private record(ref: LayerRef, listing: LayerListing): LayerListing {
    if (listing.diffId !== ref.layer.diffId && !ref.store.diffIdUnchecked?.(ref.layer.member)) {
      this.mismatches.push({ layer: ref.layer, actual: listing.diffId, where: ref.layer.storage });
    }
    // cached under the declared diffID: that is what the image asks for
    this.cache.set(ref.layer.diffId, listing);
    return listing;
  }

  private onBytes(layer: Layer): ((b: number) => void) | undefined {
    const p = this.progress;
    return p ? (b) => p.update(layer.storage, b, layer.compressedSize) : undefined;
  }

  private finished(layer: Layer): void {
    this.progress?.update(layer.storage, layer.compressedSize, layer.compressedSize);
    this.progress?.done?.(layer.storage);
  }

  private workerCount(layers: Layer[], store: Store): number {
    if (!store.locate || !workersAvailable() || layers.length < 2) return 1;
    if (this.jobs !== undefined && this.jobs > 0) return Math.min(this.jobs, layers.length);
    const bytes = layers.reduce((s, l) => s + l.compressedSize, 0);
    if (bytes < WORKER_MIN_BYTES) return 1;
    // a lane per core: this thread's lane hands its hashing to the hash thread, which the largest layer
    // leaves ~2/3 idle; that is where a worker's lane fits (measured, docs/performance.md)
    return Math.max(1, Math.min(defaultJobs(), layers.length));
  }

  /** Read every layer of these images that is not cached yet, in the cheapest order. */
  async prefetch(store: Store, images: Image[]): Promise<void> {
    const todo = new Map<string, Layer>();
    for (const img of images) {
      for (const l of img.layers) if (!this.cache.has(l.diffId) && !todo.has(l.member)) todo.set(l.member, l);
    }
    if (todo.size === 0) return;
    const layers = [...todo.values()];
    this.progress?.plan?.(layers.map((l) => ({ where: l.storage, total: l.compressedSize, label: `layer ${l.index}` })));
    const n = this.workerCount(layers, store);
    if (n >= 2) {
      await this.prefetchParallel(store, layers, n);
      return;
    }
    if (store.locate) {
      // bytes in files: each layer can be opened again (igzip, pass.ts) and two may be in flight
      await this.prefetchHere(store, layers);
      return;
    }
    await store.each([...todo.keys()], async (member, body) => {
      const layer = todo.get(member)!;
      const listing = await readLayer(body, { where: layer.storage, onProgress: this.onBytes(layer) });
      this.finished(layer);
      this.record({ store, layer }, listing);
    });
  }

  /**
   * n lanes: this thread and n-1 workers, each taking the largest layer left, so
   * the last to finish is a small one (this thread is otherwise idle: using it
   * saves a worker's memory). Results are recorded in layer order.
   */
  private async prefetchParallel(store: Store, layers: Layer[], n: number): Promise<void> {
    const pool = new LayerPool(n - 1);
    const results = new Map<Layer, LayerListing>();
    // costliest first (decompressed bytes, as the blob says): this thread starts at once, workers a little later
    const work = new Map(layers.map((l) => { const at = store.locate!(l.member); return [l, at ? workHint(at) : l.compressedSize]; }));
    const queue = [...layers].sort((a, b) => work.get(b)! - work.get(a)!);
    const failures: { index: number; error: unknown }[] = [];
    const lane = async (read: (layer: Layer) => Promise<LayerListing>, first = queue.shift()) => {
      for (let layer = first; layer; layer = queue.shift()) {
        try {
          const listing = await read(layer);
          this.finished(layer);
          results.set(layer, listing);
        } catch (error) {
          failures.push({ index: layers.indexOf(layer), error });
        }
      }
    };
    // this thread's lane hashes on another thread: its layer is the costliest (hash-ring.ts)
    const ring = this.ring();
    const here = (layer: Layer) => this.read(store, layer, ring);
    const there = (layer: Layer) => pool.run({ ...store.locate!(layer.member)!, where: layer.storage }, this.onBytes(layer));
    try {
      // this thread starts at once, workers only once loaded: it takes the costliest layer, then lets the
      // event loop post every worker its first layer before its own synchronous reads begin
      const mine = queue.shift();
      const workers = Array.from({ length: n - 1 }, () => lane(there));
      await new Promise<void>((r) => setImmediate(r));
      await Promise.all([lane(here, mine), ...workers]);
    } finally {
      ring?.release();
      await pool.close();
    }
    // the same error a sequential read would have met first
    if (failures.length) throw failures.sort((a, b) => a.index - b.index)[0]!.error;
    for (const layer of layers) this.record({ store, layer }, results.get(layer)!);
  }

  /** One layer on this thread; its blob can be opened again (a gzip blob may go through igzip). */
  private async read(store: Store, layer: Layer, ring?: HashRing | null): Promise<LayerListing> {
    const at = store.locate?.(layer.member);
    const onProgress = this.onBytes(layer);
    const listed = at ? await listRange(at, { where: layer.storage, limits: limits(), ...(onProgress ? { onProgress } : {}), ...(ring ? { ring } : {}) }) : null;
    if (listed) return listed;
    const open = at ? () => fileRange(at.file, at.start, at.length) : () => store.open(layer.member);
    return readLayer(open, { where: layer.storage, size: layer.compressedSize, onProgress });
  }

  /** Layers on this thread, in layer order (the error met first is the one a sequential read meets). */
  private async prefetchHere(store: Store, layers: Layer[]): Promise<void> {
    const ring = layers.some((l) => l.compressedSize >= RING_MIN_BYTES) ? this.ring() : null;
    try {
      for (const layer of layers) {
        const listing = await this.read(store, layer, layer.compressedSize >= RING_MIN_BYTES ? ring : null);
        this.finished(layer);
        this.record({ store, layer }, listing);
      }
    } finally {
      ring?.release();
    }
  }

  /** Hashing on another core (hash-ring.ts), unless --jobs 1 asks for this thread alone or there is one core. */
  private ring(): HashRing | null {
    return this.jobs !== 1 && defaultJobs() >= 2 ? HashRing.acquire() : null;
  }

  async listing(store: Store, layer: Layer): Promise<LayerListing> {
    const hit = this.cache.get(layer.diffId);
    if (hit) return hit;
    const listing = await this.read(store, layer);
    this.finished(layer);
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
