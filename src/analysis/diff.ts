import type { Digest } from '../digest.js';
import type { Image, Layer } from '../image/model.js';
import type { LayerEntry } from '../layer/entry.js';
import type { Node, Overlay } from './filetree.js';

/**
 * `layerdig diff A B`: the layers two images share (equal chainIDs from the
 * bottom: a chainID covers every layer under it), then the files of their
 * final filesystems that were added, removed or changed. Pure. Content is
 * compared by identity first (the same entry of the same layer), then by size,
 * and only files of equal size from different layers need hashing: the caller
 * hashes `pending` and calls `settle`.
 */

export interface SharedLayers {
  /** how many bottom layers have the same chainID in both */
  count: number;
  /** the chainID of the topmost shared layer, or null */
  chainId: Digest | null;
  onlyA: Layer[];
  onlyB: Layer[];
}

export function sharedLayers(a: Image, b: Image): SharedLayers {
  let n = 0;
  while (n < a.layers.length && n < b.layers.length && a.layers[n]!.chainId === b.layers[n]!.chainId) n++;
  return { count: n, chainId: n ? a.layers[n - 1]!.chainId : null, onlyA: a.layers.slice(n), onlyB: b.layers.slice(n) };
}

/** What differs for a path present in both. */
export type Difference = 'type' | 'mode' | 'owner' | 'linkTarget' | 'size' | 'content' | 'xattrs' | 'device';

export interface FileDiff {
  path: string;
  change: 'added' | 'removed' | 'changed';
  a: Node | null;
  b: Node | null;
  sizeA: number | null;
  sizeB: number | null;
  what: Difference[];
}

export interface PendingContent {
  path: string;
  a: LayerEntry;
  b: LayerEntry;
  diff: FileDiff;
}

export interface TreeDiff {
  files: FileDiff[];
  /** same size, different layers: equal only if the bytes hash the same */
  pending: PendingContent[];
}

/** The entry that holds a node's bytes (a hard link's file), or null when it has none. */
export function bytesOf(n: Node): LayerEntry | null {
  if (n.entry.type === 'file') return n.entry;
  if (n.entry.type === 'hardlink') return n.linkedTo?.entry.type === 'file' ? n.linkedTo.entry : null;
  return null;
}

/** The kind a user sees: a hard link is a regular file (one more name for it). */
const kind = (n: Node) => (n.entry.type === 'hardlink' ? 'file' : n.entry.type);
const sizeOf = (n: Node) => bytesOf(n)?.size ?? 0;

const sameXattrs = (x?: Record<string, string>, y?: Record<string, string>) => {
  const kx = Object.keys(x ?? {}).sort();
  const ky = Object.keys(y ?? {}).sort();
  return kx.length === ky.length && kx.every((k, i) => k === ky[i] && x![k] === y![k]);
};

/** Metadata and (where it is decidable without bytes) content differences. mtime is not compared. */
export function diffTrees(a: Overlay, b: Overlay): TreeDiff {
  const files: FileDiff[] = [];
  const pending: PendingContent[] = [];
  const paths = [...new Set([...a.final.keys(), ...b.final.keys()])].sort();
  for (const path of paths) {
    const na = a.final.get(path) ?? null;
    const nb = b.final.get(path) ?? null;
    if (!na || !nb) {
      files.push({ path, change: na ? 'removed' : 'added', a: na, b: nb, sizeA: na ? sizeOf(na) : null, sizeB: nb ? sizeOf(nb) : null, what: [] });
      continue;
    }
    const what: Difference[] = [];
    const ea = na.entry;
    const eb = nb.entry;
    let contentPending: PendingContent | null = null;
    if (kind(na) !== kind(nb)) what.push('type');
    else {
      if ((ea.mode & 0o7777) !== (eb.mode & 0o7777)) what.push('mode');
      if (ea.uid !== eb.uid || ea.gid !== eb.gid) what.push('owner');
      if (ea.type === 'symlink' && ea.linkTarget !== eb.linkTarget) what.push('linkTarget');
      if ((ea.device?.major ?? 0) !== (eb.device?.major ?? 0) || (ea.device?.minor ?? 0) !== (eb.device?.minor ?? 0)) what.push('device');
      if (!sameXattrs(ea.xattrs, eb.xattrs)) what.push('xattrs');
      if (kind(na) === 'file') {
        const ba = bytesOf(na);
        const bb = bytesOf(nb);
        if (ba !== bb) {
          if (!ba || !bb || ba.size !== bb.size) what.push('size', 'content');
          else if (ba.size > 0) contentPending = { path, a: ba, b: bb, diff: null as unknown as FileDiff };
        }
      }
    }
    const d: FileDiff = { path, change: 'changed', a: na, b: nb, sizeA: sizeOf(na), sizeB: sizeOf(nb), what };
    if (contentPending) {
      contentPending.diff = d;
      pending.push(contentPending);
    }
    if (what.length || contentPending) files.push(d);
  }
  return { files, pending };
}

/** Decide the pending content comparisons from hashes; drop rows that turn out identical. */
export function settle(t: TreeDiff, digests: ReadonlyMap<LayerEntry, Digest>): FileDiff[] {
  const same = new Set<FileDiff>();
  for (const p of t.pending) {
    const da = digests.get(p.a);
    const db = digests.get(p.b);
    if (da === undefined || db === undefined) throw new Error(`diff: no digest for ${p.path}`);
    if (da !== db) p.diff.what.push('content');
    else if (p.diff.what.length === 0) same.add(p.diff);
  }
  return t.files.filter((f) => !same.has(f));
}

export interface DiffSummary {
  added: number;
  removed: number;
  changed: number;
  /** bytes of regular files only in B */
  bytesAdded: number;
  /** bytes of regular files only in A */
  bytesRemoved: number;
  /** sum of (sizeB - sizeA) over changed files */
  bytesChanged: number;
}

export function summarize(files: readonly FileDiff[]): DiffSummary {
  const s: DiffSummary = { added: 0, removed: 0, changed: 0, bytesAdded: 0, bytesRemoved: 0, bytesChanged: 0 };
  for (const f of files) {
    s[f.change]++;
    if (f.change === 'added') s.bytesAdded += f.sizeB ?? 0;
    else if (f.change === 'removed') s.bytesRemoved += f.sizeA ?? 0;
    else s.bytesChanged += (f.sizeB ?? 0) - (f.sizeA ?? 0);
  }
  return s;
}
