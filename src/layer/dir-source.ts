import { Readable } from 'node:stream';
import { LayerdigError } from '../errors.js';
import type { Member, Store } from '../store/store.js';
import { eachSequential } from '../store/store.js';
import { layerFileName, reassemble, tarSplitEntries, type ReassemblyProblem } from './tar-split.js';

/** Bytes of a compressed data-root's layer files held in memory at once (see batchedFiles). */
const BATCH_BYTES = 64 * 1024 * 1024;
import { copyDiffTar, walkDir, walkLayerDir } from './dir-walk.js';
import { copyChanges } from './container-changes.js';

/**
 * A layer that is a directory (an image store's unpacked layer), not a blob.
 * Either its exact tar is rebuilt from tar-split (image layers: the result
 * hashes to the diffID) or, without tar-split (a container's writable layer),
 * a tar is written from a walk of the directory, overlay whiteouts turned into
 * OCI `.wh.` entries. Both feed the one layer pass, so listings, overlay,
 * efficiency, audit and verify see entries of the same shape as from a blob.
 */
export type DirLayer =
  | { kind: 'tar-split'; tarSplit: string; dir: string }
  | { kind: 'walk'; dir: string; whiteouts: 'overlay' | 'none'; /** vfs: the layer below's full copy, to write only what differs */ lower?: string };

/**
 * A Store that adds one virtual member per directory layer (its tar) to the
 * store of the input (a data-root directory or a tar of it). Everything else is
 * the input's. No `locate`: a virtual member is no byte range of a file, so
 * the reader reads these layers on this thread.
 */
export class DirLayerStore implements Store {
  readonly kind: Store['kind'];
  readonly outerCompression: Store['outerCompression'];
  readonly path: string;
  private readonly layers = new Map<string, DirLayer>();
  /** files that do not match tar-split, per virtual member (filled as layers are read) */
  readonly problems = new Map<string, ReassemblyProblem[]>();

  constructor(readonly base: Store) {
    this.kind = base.kind;
    this.outerCompression = base.outerCompression;
    this.path = base.path;
  }

  /** Register a directory layer under a virtual member name. */
  add(member: string, layer: DirLayer): void {
    this.layers.set(member, layer);
  }

  /** a layer written from a walk: its tar is not the one its diffID was taken of */
  diffIdUnchecked(name: string): boolean {
    return this.layers.get(name)?.kind === 'walk';
  }

  layer(member: string): DirLayer | undefined {
    return this.layers.get(member);
  }

  members(): Member[] {
    return this.base.members();
  }

  member(name: string): Member | undefined {
    if (this.layers.has(name)) return { name, type: 'file', size: 0 };
    return this.base.member(name);
  }

  readBytes(name: string, limit: number): Promise<Buffer> {
    return this.base.readBytes(name, limit);
  }

  async head(name: string, n: number): Promise<Buffer> {
    if (!this.layers.has(name)) return this.base.head(name, n);
    const chunks: Buffer[] = [];
    let got = 0;
    const s = this.open(name);
    for await (const c of s as AsyncIterable<Buffer>) {
      chunks.push(c);
      got += c.length;
      if (got >= n) break;
    }
    s.destroy();
    return Buffer.concat(chunks).subarray(0, n);
  }

  open(name: string): Readable {
    const l = this.layers.get(name);
    if (!l) return this.base.open(name);
    if (l.kind === 'walk' && l.lower !== undefined) {
      const changes = copyChanges(walkDir(this.base, l.dir), walkDir(this.base, l.lower));
      return Readable.from(copyDiffTar(this.base, l.dir, changes), { objectMode: false });
    }
    if (l.kind === 'walk') return Readable.from(walkLayerDir(this.base, l.dir, l.whiteouts), { objectMode: false });
    const problems: ReassemblyProblem[] = [];
    this.problems.set(name, problems);
    const where = this.base.storage(l.tarSplit);
    const file = this.base.kind === 'compressed-tar' ? this.batchedFiles(l, where) : (n: string) => {
      const m = this.base.member(`${l.dir}/${n}`);
      return m?.type === 'file' ? { body: this.base.open(m.name), size: m.size } : null;
    };
    return Readable.from(reassemble(tarSplitEntries(this.base.open(l.tarSplit), where), {
      where, open: file, checkCrc: true, onProblem: (p) => problems.push(p),
    }), { objectMode: false });
  }

  /**
   * A compressed tar cannot seek: opening each file would decompress the archive
   * once per file. Instead the files a layer needs are read in tar-split order,
   * in batches of at most BATCH_BYTES held in memory, one archive pass per batch
   * (a file larger than a batch is streamed in a pass of its own).
   */
  private batchedFiles(l: { tarSplit: string; dir: string }, where: string) {
    const cache = new Map<string, Buffer>();
    let plan: string[][] | null = null;
    let next = 0;
    const planBatches = async () => {
      const batches: string[][] = [];
      let cur: string[] = [];
      let bytes = 0;
      for await (const e of tarSplitEntries(this.base.open(l.tarSplit), where)) {
        if (e.type !== 'file' || e.size === 0) continue;
        const m = this.base.member(`${l.dir}/${layerFileName(e.name) ?? ''}`);
        if (m?.type !== 'file' || m.size > BATCH_BYTES) continue;
        if (bytes + m.size > BATCH_BYTES && cur.length) {
          batches.push(cur);
          cur = [];
          bytes = 0;
        }
        cur.push(m.name);
        bytes += m.size;
      }
      if (cur.length) batches.push(cur);
      return batches;
    };
    return async (n: string) => {
      const m = this.base.member(`${l.dir}/${n}`);
      if (m?.type !== 'file') return null;
      if (m.size > BATCH_BYTES) return { body: this.base.open(m.name), size: m.size };
      plan ??= await planBatches();
      while (!cache.has(m.name) && next < plan.length) {
        cache.clear();
        const batch = plan[next++]!;
        await this.base.each([...new Set(batch)], async (name, body) => {
          const chunks: Buffer[] = [];
          for await (const c of body as AsyncIterable<Buffer>) chunks.push(c);
          cache.set(name, Buffer.concat(chunks));
        });
      }
      const buf = cache.get(m.name);
      return buf ? { body: Readable.from([buf]), size: buf.length } : { body: this.base.open(m.name), size: m.size };
    };
  }

  each(names: string[], fn: (name: string, body: Readable) => Promise<void>): Promise<void> {
    if (names.some((n) => this.layers.has(n))) return eachSequential(this, names, fn);
    return this.base.each(names, fn);
  }

  storage(name: string): string {
    const l = this.layers.get(name);
    return this.base.storage(l ? l.dir : name);
  }

  get duplicates(): readonly string[] | undefined {
    return this.base.duplicates;
  }

  close(): void {
    this.base.close();
  }
}

export function dirLayerStore(store: Store): DirLayerStore {
  if (!(store instanceof DirLayerStore)) throw new LayerdigError('E_BAD_ARCHIVE', `${store.path}: internal: not a directory-layer store`);
  return store;
}
