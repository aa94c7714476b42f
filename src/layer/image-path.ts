import { posix } from 'node:path';
import type { LayerEntry } from './entry.js';

/**
 * Paths inside an image, as a user types them and as the image's own symlinks
 * name them, and the overlay lookup through a stack of layers. Pure: a lookup
 * function (or the layers' indexed entries) stands for the tree. One module
 * with one symlink-hop limit, below both layer/ (final-file.ts) and analysis/.
 */

/** What the resolver needs of a tree node: its entry's type and link target. */
export interface PathNode {
  entry: Pick<LayerEntry, 'type' | 'linkTarget'>;
}

/** `/etc/`, `./etc`, `etc` → `etc`; `/`, `.`, `` → `` (the root). Keeps `..` for the resolver. */
export function normalizeImagePath(p: string): string {
  const parts = p.split('/').filter((c) => c !== '' && c !== '.');
  return parts.join('/');
}

export const MAX_SYMLINK_HOPS = 40;

export type Resolved<N extends PathNode = PathNode> =
  | { ok: true; path: string; node: N | null }
  | { ok: false; reason: 'missing' | 'not-a-directory' | 'loop'; at: string };

/**
 * Resolve `path` in an image tree the way the kernel would inside the image's
 * root: absolute symlink targets start at the image root, `..` never climbs
 * above it (as in a chroot), at most MAX_SYMLINK_HOPS links are followed.
 * With `followLast` false, a symlink as the last component is returned itself
 * (lstat); intermediate symlinks are always followed. The root is `{path: '', node: null}`.
 */
export function resolveImagePath<N extends PathNode>(lookup: (p: string) => N | undefined, path: string, followLast = true): Resolved<N> {
  const queue = path.split('/').filter((c) => c !== '' && c !== '.');
  const cur: string[] = [];
  let hops = 0;
  let node: N | null = null;
  while (queue.length) {
    const c = queue.shift()!;
    if (c === '..') {
      cur.pop();
      node = cur.length ? lookup(cur.join('/')) ?? null : null;
      continue;
    }
    const candidate = [...cur, c].join('/');
    const n = lookup(candidate);
    if (!n) return { ok: false, reason: 'missing', at: candidate };
    const last = queue.length === 0;
    if (n.entry.type === 'symlink' && (!last || followLast)) {
      if (++hops > MAX_SYMLINK_HOPS) return { ok: false, reason: 'loop', at: candidate };
      const target = n.entry.linkTarget ?? '';
      if (target.startsWith('/')) cur.length = 0;
      queue.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      node = cur.length ? lookup(cur.join('/')) ?? null : null;
      continue;
    }
    if (!last && n.entry.type !== 'dir') return { ok: false, reason: 'not-a-directory', at: candidate };
    cur.push(c);
    node = n;
  }
  return { ok: true, path: cur.join('/'), node: cur.length ? node : null };
}

/** True when `p` is `root` or lies under it (`root` '' is the whole tree). */
export function isUnder(p: string, root: string): boolean {
  return root === '' || p === root || p.startsWith(`${root}/`);
}

/**
 * Where a symlink at `linkPath` points, relative to the image root, without
 * clamping: null when a relative target climbs above the root (on the host it
 * would leave the directory that stands for the root).
 */
export function symlinkTargetInRoot(linkPath: string, target: string): string | null {
  const parts = target.startsWith('/') ? [] : linkPath.split('/').slice(0, -1);
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(c);
  }
  return parts.join('/');
}

/** A relative symlink target that reaches `target` (root-relative) from the directory of `linkPath`. */
export function relativeLinkTarget(linkPath: string, target: string): string {
  const from = linkPath.split('/').slice(0, -1);
  const to = target === '' ? [] : target.split('/');
  let i = 0;
  while (i < from.length && i < to.length && from[i] === to[i]) i++;
  const up = from.length - i;
  const rest = to.slice(i);
  const parts = [...Array<string>(up).fill('..'), ...rest];
  return parts.length ? parts.join('/') : '.';
}

/** One layer's entries, indexed for lookups. */
export interface LayerView {
  index: number;
  byPath: Map<string, LayerEntry>;
  /** paths this layer deletes from the layers below (`.wh.<name>`) */
  whiteouts: Set<string>;
  /** directories whose lower contents this layer hides (`.wh..wh..opq`) */
  opaques: Set<string>;
}

export function layerView(index: number, entries: readonly LayerEntry[]): LayerView {
  const v: LayerView = { index, byPath: new Map(), whiteouts: new Set(), opaques: new Set() };
  for (const e of entries) {
    if (e.whiteout !== undefined) v.whiteouts.add(e.whiteout);
    else if (e.opaque !== undefined) v.opaques.add(e.opaque);
    else v.byPath.set(e.path, e);
  }
  return v;
}

export type FinalLookup =
  | { status: 'found'; layerIndex: number; path: string; entry: LayerEntry; links: string[] }
  | { status: 'absent'; why: string; links: string[] }
  /** the layers seen so far do not decide it: look at lower layers */
  | { status: 'unknown'; path: string; links: string[] };

function ancestors(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** Resolve a symlink target found at `at` (inside the image: `..` stops at the root). */
export function resolveLink(at: string, target: string, rest: string): string {
  const base = target.startsWith('/') ? target : posix.join(posix.dirname(`/${at}`), target);
  const joined = posix.normalize(`/${base}/${rest}`);
  return joined.replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * Look a path up in the image's final (merged) filesystem, from layers given
 * top (newest) first. Follows symlinks, also in parent directories, inside the
 * image; honours whiteouts and opaque directories, of the path and of its
 * parents. `complete` says the layers reach down to the bottom one: otherwise
 * an undecided path is `unknown` (read the next lower layer and ask again).
 */
export function lookupFinal(layersTopDown: readonly LayerView[], path: string, complete: boolean): FinalLookup {
  let p = path.replace(/^\/+/, '');
  const links: string[] = [];
  for (let hop = 0; hop <= MAX_SYMLINK_HOPS; hop++) {
    const outcome = lookupOnce(layersTopDown, p);
    if (outcome.kind === 'link') {
      links.push(`${outcome.at} -> ${outcome.target}`);
      p = outcome.next;
      continue;
    }
    if (outcome.kind === 'found') return { status: 'found', layerIndex: outcome.layer, path: p, entry: outcome.entry, links };
    if (outcome.kind === 'absent') return { status: 'absent', why: outcome.why, links };
    return complete ? { status: 'absent', why: `/${p} is in no layer`, links } : { status: 'unknown', path: p, links };
  }
  return { status: 'absent', why: `more than ${MAX_SYMLINK_HOPS} symlinks resolving /${path}`, links };
}

type Once =
  | { kind: 'found'; layer: number; entry: LayerEntry }
  | { kind: 'link'; at: string; target: string; next: string }
  | { kind: 'absent'; why: string }
  | { kind: 'none' };

function lookupOnce(layers: readonly LayerView[], p: string): Once {
  const parents = ancestors(p);
  for (const l of layers) {
    const e = l.byPath.get(p);
    if (e) {
      if (e.type === 'symlink') return { kind: 'link', at: p, target: e.linkTarget ?? '', next: resolveLink(p, e.linkTarget ?? '', '') };
      return { kind: 'found', layer: l.index, entry: e };
    }
    if (l.whiteouts.has(p)) return { kind: 'absent', why: `/${p} is deleted by a whiteout in layer ${l.index}` };
    // the deepest parent this layer says something about decides
    for (let i = parents.length - 1; i >= 0; i--) {
      const a = parents[i]!;
      const pe = l.byPath.get(a);
      if (pe) {
        if (pe.type === 'symlink') {
          const rest = p.slice(a.length + 1);
          return { kind: 'link', at: a, target: pe.linkTarget ?? '', next: resolveLink(a, pe.linkTarget ?? '', rest) };
        }
        if (pe.type !== 'dir') return { kind: 'absent', why: `/${a} is a ${pe.type}, not a directory, in layer ${l.index}` };
      }
      if (l.opaques.has(a)) return { kind: 'absent', why: `/${a} is made opaque in layer ${l.index}, which has no /${p}` };
      if (l.whiteouts.has(a)) return { kind: 'absent', why: `/${a} is deleted by a whiteout in layer ${l.index}` };
      // a plain directory here: lower layers may still hold the path, unless a shallower parent is opaque
    }
  }
  return { kind: 'none' };
}
