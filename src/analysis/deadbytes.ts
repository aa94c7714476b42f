import type { LayerEntry } from '../layer/entry.js';
import type { Overlay, PathChange } from './filetree.js';

/**
 * Dead bytes, the waste dive does not show: bytes of regular files stored in
 * a layer blob that the final filesystem never shows, each with the layer
 * that made them invisible and why. Pure: layer entries and their overlay in.
 *
 * A file body stays alive while any path refers to it in the merged tree: its
 * own path, or a hard link of the same layer (a hard link keeps its target's
 * bytes after the target is deleted). It dies when the last such path is
 * removed; that removal names the cause:
 *
 * - `overwritten`: a later layer stored something else at the path;
 * - `rewritten-same-size`: a later layer stored a regular file of the same
 *   size at the path (what `chmod`, `chown` or `touch` do: the whole file is
 *   copied for a metadata change; layerdig does not hash file bodies, so a
 *   same-size rewrite with new content is counted here too);
 * - `deleted`: a whiteout of the path itself (`rm file`);
 * - `deleted-with-directory`: a whiteout of a directory above it (`rm -rf dir`);
 * - `hidden-by-opaque`: an opaque directory marker above it (the directory was
 *   replaced as a whole);
 * - `replaced-by-type-change`: a file↔directory change at the path or above;
 * - `shadowed`: the same layer stored the path again later in its tar.
 *
 * Only regular file bodies count (not tar headers, padding, or symlink
 * targets): the sum over all layers of the bytes not visible in the final
 * filesystem.
 */

export type DeadCause =
  | 'overwritten'
  | 'rewritten-same-size'
  | 'deleted'
  | 'deleted-with-directory'
  | 'hidden-by-opaque'
  | 'replaced-by-type-change'
  | 'shadowed';

export interface DeadPath {
  path: string;
  /** the layer whose blob stores the bytes */
  layerIndex: number;
  size: number;
  cause: DeadCause;
  /** the layer that made them invisible */
  byLayer: number;
}

export interface DeadLayer {
  layerIndex: number;
  /** dead bytes this layer's blob stores */
  bytes: number;
  /** bytes of lower layers (or its own) this layer made invisible */
  causedBytes: number;
}

export interface DeadBytes {
  total: number;
  byLayer: DeadLayer[];
  /** largest first, then by layer and path */
  paths: DeadPath[];
}

interface Body {
  entry: LayerEntry;
  layerIndex: number;
  /** the entry itself and the hard links of its layer that resolve to it */
  refs: LayerEntry[];
}

interface Removal {
  layer: number;
  cause: DeadCause;
  /** the change that removed the entry (none for a shadowed one) */
  change?: PathChange;
}

export function deadBytes(layers: readonly (readonly LayerEntry[])[], ov: Overlay): DeadBytes {
  // 1. every stored body, and the hard links of the same layer that reach it
  const bodies: Body[] = [];
  const bodyOf = new Map<LayerEntry, Body>();
  layers.forEach((entries, k) => {
    const latest = new Map<string, LayerEntry>(); // path → the entry a hard link written now would reach
    for (const e of entries) {
      if (e.whiteout !== undefined || e.opaque !== undefined) continue;
      if (e.type === 'file') {
        if (e.size > 0) {
          const b: Body = { entry: e, layerIndex: k, refs: [e] };
          bodies.push(b);
          bodyOf.set(e, b);
        }
        latest.set(e.path, e);
      } else if (e.type === 'hardlink' && e.linkTarget !== null) {
        const target = latest.get(e.linkTarget);
        const b = target ? bodyOf.get(target) : undefined;
        if (b) {
          b.refs.push(e);
          bodyOf.set(e, b);
        }
        latest.set(e.path, target ?? e);
      } else {
        latest.delete(e.path);
      }
    }
  });

  // 2. where each entry left the merged tree
  const visible = new Set<LayerEntry>();
  for (const n of ov.final.values()) visible.add(n.entry);
  const removedBy = new Map<LayerEntry, Removal>();
  for (const s of ov.shadowed) removedBy.set(s.entry, { layer: s.layerIndex, cause: 'shadowed' });
  ov.changes.forEach((changes, k) => {
    const whiteouts = new Set(layers[k]!.filter((e) => e.whiteout !== undefined).map((e) => e.whiteout!));
    for (const c of changes) {
      if (!c.before || removedBy.has(c.before.entry)) continue;
      removedBy.set(c.before.entry, { layer: k, cause: causeOf(c, whiteouts), change: c });
    }
  });

  // 3. a body is dead when none of its references is visible; the last removal is the cause
  const paths: DeadPath[] = [];
  const stored = new Map<number, number>();
  const caused = new Map<number, number>();
  for (const b of bodies) {
    if (b.refs.some((r) => visible.has(r))) continue;
    let last: Removal | undefined;
    for (const r of b.refs) {
      const rm = removedBy.get(r);
      if (rm && (!last || rm.layer > last.layer)) last = rm;
    }
    // an entry neither visible nor removed cannot happen with a consistent overlay; count it as shadowed by its own layer
    last ??= { layer: b.layerIndex, cause: 'shadowed' };
    let cause = last.cause;
    const c = last.change;
    // the body's own path written again in the same size as a regular file: a metadata change copies the whole file
    if (cause === 'overwritten' && c?.before?.entry === b.entry && c.entry?.type === 'file' && c.entry.size === b.entry.size) {
      cause = 'rewritten-same-size';
    }
    paths.push({ path: b.entry.path, layerIndex: b.layerIndex, size: b.entry.size, cause, byLayer: last.layer });
    stored.set(b.layerIndex, (stored.get(b.layerIndex) ?? 0) + b.entry.size);
    caused.set(last.layer, (caused.get(last.layer) ?? 0) + b.entry.size);
  }
  paths.sort((x, y) => y.size - x.size || x.layerIndex - y.layerIndex || (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
  const byLayer = layers.map((_, k) => ({ layerIndex: k, bytes: stored.get(k) ?? 0, causedBytes: caused.get(k) ?? 0 }));
  return { total: paths.reduce((s, p) => s + p.size, 0), byLayer, paths };
}

function causeOf(c: PathChange, whiteouts: Set<string>): DeadCause {
  if (c.change === 'modified') return 'overwritten';
  switch (c.cause) {
    case 'whiteout':
      return whiteouts.has(c.path) ? 'deleted' : 'deleted-with-directory';
    case 'opaque':
      return 'hidden-by-opaque';
    case 'replaced':
      return 'replaced-by-type-change';
    default:
      return 'overwritten';
  }
}
