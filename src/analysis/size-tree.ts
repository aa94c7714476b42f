import type { Overlay } from './filetree.js';
import { mergedEntries } from './filetree.js';

/**
 * The final filesystem's regular files as a size tree, folded for display
 * (the HTML report's treemap): deep directories summarised, small children
 * merged into "(n more)", each node coloured by the layer holding most bytes.
 */

export interface TreeNode {
  name: string;
  size: number;
  /** for a file: the layer that wrote it; for a directory: the layer holding most of its bytes */
  layerIndex: number;
  files?: number;
  children?: TreeNode[];
}

export interface LargestFile {
  path: string;
  size: number;
  layerIndex: number;
}

/** Directories deeper than this are summarised (their bytes stay in the parent). */
const MAX_DEPTH = 6;
/** Children kept per directory; the rest become one "(n more)" node. */
const MAX_CHILDREN = 24;
/** A child smaller than this share of the whole image is folded into "(n more)". */
const MIN_SHARE = 0.001;

interface Build { name: string; size: number; files: number; byLayer: Map<number, number>; kids: Map<string, Build> | null; layerIndex: number }

function dominant(byLayer: Map<number, number>): number {
  let best = -1;
  let bytes = -1;
  for (const [k, v] of byLayer) if (v > bytes || (v === bytes && k < best)) { best = k; bytes = v; }
  return best;
}

/** The final filesystem's regular files as a size tree (pure). */
export function sizeTree(o: Overlay): { tree: TreeNode; files: number; bytes: number; largest: LargestFile[] } {
  const root: Build = { name: '/', size: 0, files: 0, byLayer: new Map(), kids: new Map(), layerIndex: -1 };
  const all: LargestFile[] = [];
  for (const n of mergedEntries(o)) {
    if (n.entry.type !== 'file') continue;
    const size = n.entry.size;
    all.push({ path: n.path, size, layerIndex: n.layerIndex });
    const parts = n.path.split('/');
    let cur = root;
    const stack = [root];
    for (let i = 0; i < parts.length; i++) {
      const leaf = i === parts.length - 1;
      const name = parts[i]!;
      let next = cur.kids!.get(name);
      if (!next) {
        next = { name, size: 0, files: 0, byLayer: new Map(), kids: leaf ? null : new Map(), layerIndex: leaf ? n.layerIndex : -1 };
        cur.kids!.set(name, next);
      } else if (!leaf && !next.kids) {
        next.kids = new Map(); // cannot happen in a merged tree; be safe
      }
      cur = next;
      stack.push(cur);
    }
    for (const b of stack) {
      b.size += size;
      b.files += 1;
      b.byLayer.set(n.layerIndex, (b.byLayer.get(n.layerIndex) ?? 0) + size);
    }
  }
  const total = root.size || 1;
  const prune = (b: Build, depth: number): TreeNode => {
    const node: TreeNode = { name: b.name, size: b.size, layerIndex: b.kids ? dominant(b.byLayer) : b.layerIndex };
    if (!b.kids) return node;
    node.files = b.files;
    if (depth >= MAX_DEPTH) return node;
    const kids = [...b.kids.values()].sort((x, y) => y.size - x.size || (x.name < y.name ? -1 : 1));
    const kept = kids.filter((k, i) => i < MAX_CHILDREN && k.size / total >= MIN_SHARE);
    const rest = kids.slice(kept.length);
    node.children = kept.map((k) => prune(k, depth + 1));
    const restSize = rest.reduce((s, k) => s + k.size, 0);
    if (rest.length && restSize > 0) {
      const byLayer = new Map<number, number>();
      for (const k of rest) for (const [l, v] of k.byLayer) byLayer.set(l, (byLayer.get(l) ?? 0) + v);
      node.children.push({ name: `(${rest.length} more)`, size: restSize, layerIndex: dominant(byLayer), files: rest.reduce((s, k) => s + k.files, 0) });
    }
    return node;
  };
  all.sort((a, b) => b.size - a.size || (a.path < b.path ? -1 : 1));
  return { tree: prune(root, 0), files: root.files, bytes: root.size, largest: all.slice(0, 25) };
}
