import type { LayerEntry } from '../layer/entry.js';

/**
 * The overlay: apply layers in order with the OCI whiteout rules (image-spec
 * layer.md) and record, per layer, what each path became. Pure: entries in,
 * tree and changes out.
 *
 * - `.wh.x` deletes `x` (and its subtree) from lower layers;
 * - `.wh..wh..opq` hides every lower child of its directory, applied before
 *   the layer's own entries (whiteouts only ever hide lower layers);
 * - a file↔directory type change replaces the whole subtree;
 * - a hard link refers to its target: it keeps the target's bytes even if
 *   the target is later deleted.
 */

export interface Node {
  entry: LayerEntry;
  /** the layer that last wrote this path */
  layerIndex: number;
  /** a parent directory no layer stated, created because a child needed it */
  implicit?: boolean;
  /**
   * for an implicit directory: the symbolic link it replaced because a later
   * entry named a path below the link (`evil -> /x`, then `evil/f`). A real
   * extraction writes through such a link; `extract`/`export` refuse its children.
   */
  throughLink?: LinkSource;
  /**
   * for a hard link: the entry that holds the bytes it shares (never itself a
   * hard link), resolved when the link's layer was applied
   */
  linkedTo?: LinkSource;
}

/** The non-hard-link entry a hard link shares its inode with, and the layer that stored it. */
export interface LinkSource {
  layerIndex: number;
  entry: LayerEntry;
}

export type Change = 'added' | 'modified' | 'deleted';

export interface PathChange {
  path: string;
  change: Change;
  layerIndex: number;
  /** what this layer wrote; null for a deletion */
  entry: LayerEntry | null;
  /** what was there before, from which layer; null when added */
  before: Node | null;
  /** for deletions: a whiteout or opaque marker of this path or of an ancestor, or a type change above it */
  cause?: 'whiteout' | 'opaque' | 'replaced';
}

export interface Overlay {
  /** the merged filesystem: path → node */
  final: Map<string, Node>;
  /** changes[k]: what layer k did, in the layer's order (deletions first) */
  changes: PathChange[][];
  /**
   * entries a layer stored that the same layer overwrote (a tar with a path twice):
   * they occupy the blob but are never visible
   */
  shadowed: { layerIndex: number; entry: LayerEntry }[];
  /**
   * every hard-link entry (by identity) → the entry holding its bytes, as the
   * tree stood when the link's layer was applied; absent when the target was missing
   */
  links: Map<LayerEntry, LinkSource>;
}

const parentOf = (p: string) => {
  const i = p.lastIndexOf('/');
  return i === -1 ? '' : p.slice(0, i);
};

class Tree {
  readonly nodes = new Map<string, Node>();
  private readonly children = new Map<string, Set<string>>();

  get(p: string) {
    return this.nodes.get(p);
  }

  set(p: string, n: Node): void {
    this.nodes.set(p, n);
    const parent = parentOf(p);
    let s = this.children.get(parent);
    if (!s) this.children.set(parent, (s = new Set()));
    s.add(p);
  }

  /** delete p's descendants (deepest last), returning them with their nodes */
  removeDescendants(p: string): [string, Node][] {
    const out: [string, Node][] = [];
    const walk = (dir: string) => {
      const kids = this.children.get(dir);
      if (!kids) return;
      for (const k of [...kids].sort()) {
        const n = this.nodes.get(k);
        if (n) out.push([k, n]);
        walk(k);
        this.nodes.delete(k);
      }
      this.children.delete(dir);
    };
    walk(p);
    return out;
  }

  remove(p: string): [string, Node][] {
    const n = this.nodes.get(p);
    if (!n) return [];
    const out: [string, Node][] = [[p, n], ...this.removeDescendants(p)];
    this.nodes.delete(p);
    this.children.get(parentOf(p))?.delete(p);
    return out;
  }
}

function sameMetadata(a: LayerEntry, b: LayerEntry): boolean {
  return a.type === b.type && a.mode === b.mode && a.uid === b.uid && a.gid === b.gid && a.linkTarget === b.linkTarget;
}

const implicitDir = (path: string): LayerEntry => ({ path, type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 0, linkTarget: null });

export function overlay(layers: readonly (readonly LayerEntry[])[]): Overlay {
  const tree = new Tree();
  const changes: PathChange[][] = [];
  const shadowed: Overlay['shadowed'] = [];
  const links = new Map<LayerEntry, LinkSource>();

  layers.forEach((entries, k) => {
    const out: PathChange[] = [];
    const del = (removed: [string, Node][], cause: PathChange['cause']) => {
      for (const [path, before] of removed) out.push({ path, change: 'deleted', layerIndex: k, entry: null, before, cause });
    };
    // 1. whiteouts and opaque markers hide lower layers only: apply them first
    for (const e of entries) {
      if (e.opaque !== undefined) del(tree.removeDescendants(e.opaque), 'opaque');
      else if (e.whiteout !== undefined) del(tree.remove(e.whiteout), 'whiteout');
    }
    // 2. the layer's own entries
    const written = new Map<string, LayerEntry>();
    for (const e of entries) {
      if (e.opaque !== undefined || e.whiteout !== undefined || e.path === '') continue;
      const earlier = written.get(e.path);
      if (earlier) shadowed.push({ layerIndex: k, entry: earlier });
      written.set(e.path, e);
      // parents: create missing ones, replace a non-directory in the way
      const parts = e.path.split('/');
      for (let i = 1; i < parts.length; i++) {
        const p = parts.slice(0, i).join('/');
        const n = tree.get(p);
        if (n?.entry.type === 'dir') continue;
        if (n) del(tree.remove(p), 'replaced');
        const through = n?.entry.type === 'symlink' ? { layerIndex: n.layerIndex, entry: n.entry } : undefined;
        const node: Node = { entry: implicitDir(p), layerIndex: k, implicit: true, ...(through ? { throughLink: through } : {}) };
        tree.set(p, node);
        out.push({ path: p, change: 'added', layerIndex: k, entry: node.entry, before: null });
      }
      const before = tree.get(e.path);
      if (before && (before.entry.type === 'dir') !== (e.type === 'dir')) {
        // file ↔ directory: the old subtree is gone
        del(tree.removeDescendants(e.path), 'replaced');
      }
      let linkedTo: LinkSource | undefined;
      if (e.type === 'hardlink' && e.linkTarget !== null) {
        const t = e.linkTarget === e.path ? before : tree.get(e.linkTarget);
        if (t && t.entry.type !== 'dir' && !t.implicit) {
          linkedTo = t.linkedTo ?? (t.entry.type === 'hardlink' ? undefined : { layerIndex: t.layerIndex, entry: t.entry });
          if (linkedTo) links.set(e, linkedTo);
        }
      }
      tree.set(e.path, linkedTo ? { entry: e, layerIndex: k, linkedTo } : { entry: e, layerIndex: k });
      if (!before) out.push({ path: e.path, change: 'added', layerIndex: k, entry: e, before: null });
      else if (earlier) {
        // the same layer states the path twice: keep one change record, updated
        const prev = out.find((c) => c.path === e.path && c.change !== 'deleted');
        if (prev) prev.entry = e;
      } else if (e.type !== 'dir' || before.implicit || !sameMetadata(before.entry, e)) {
        // a file, link or device stated again was rewritten; a directory only counts when its metadata changed
        out.push({ path: e.path, change: 'modified', layerIndex: k, entry: e, before });
      }
    }
    changes.push(out);
  });
  return { final: tree.nodes, changes, shadowed, links };
}

/** The merged filesystem as a sorted list. */
export function mergedEntries(o: Overlay): (Node & { path: string })[] {
  return [...o.final.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([path, n]) => ({ path, ...n }));
}

/** Where a path written in layer k ended: still visible, or deleted/replaced by a later layer. */
export type Fate = { state: 'final' } | { state: 'deleted' | 'replaced'; layerIndex: number };

export function fateOf(o: Overlay, path: string, layerIndex: number): Fate {
  for (let k = layerIndex + 1; k < o.changes.length; k++) {
    for (const c of o.changes[k]!) {
      if (c.path !== path || !c.before || c.before.layerIndex !== layerIndex) continue;
      return { state: c.change === 'deleted' ? 'deleted' : 'replaced', layerIndex: k };
    }
  }
  return { state: 'final' };
}
