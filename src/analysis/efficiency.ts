import { posix } from 'node:path';
import type { LayerEntry } from '../layer/entry.js';
import { goSort, goStringLess } from './gosort.js';

/**
 * dive's image efficiency, re-implemented to give its numbers bit for bit.
 * Pure: per-layer entry lists in, metrics out.
 *
 * dive does not use the OCI overlay: it builds one tree per layer tar and
 * compares paths across those trees. Its rules, which this module keeps on
 * purpose even where the overlay (filetree.ts) says otherwise:
 *
 * - a layer's tree holds every entry by its cleaned path; a parent that the
 *   layer did not state is created with empty metadata (size 0, *not* a
 *   directory); a later entry for the same path replaces the metadata and
 *   keeps the children; names starting `.wh..wh..` (opaque markers) are
 *   dropped, so opaque directories hide nothing;
 * - a whiteout `.wh.x` is a node of its own, whose path is `…/x`;
 * - only leaves are counted (a directory with children in that layer is not),
 *   each under its path across all layers: the size is the tar header size
 *   (0 for directories, links, devices); a whiteout counts 0, unless the
 *   path was a directory in the stacked lower layers, when it counts the sum
 *   of every size under it there;
 * - the stacked tree starts from a copy of layer 0 and stacks layers
 *   0..k-1 on it (layer 0 twice, as dive does); stacking adds every node with
 *   its metadata (so a parent a layer did not state loses its directory
 *   flag) and removes a whiteout's path;
 * - a whiteout whose path is not in the stacked tree stops the walk of that
 *   layer: dive logs an error and skips the rest of the layer's leaves;
 * - a path seen in ≥ 2 layers is inefficient; the list is ordered with Go's
 *   unstable sort.Sort by cumulative size and printed largest first;
 * - efficiency = Σ smallest size per path / Σ cumulative size per path
 *   (1 when nothing was counted); wasted bytes = Σ cumulative size of the
 *   inefficient paths; layer size = Σ header sizes of its entries; user size =
 *   every layer but the first; user wasted percent = wasted / user size
 *   (NaN for a one-layer image, as 0/0 in Go).
 */

interface Info {
  size: number;
  isDir: boolean;
}

const EMPTY: Info = { size: 0, isDir: false };

class DNode {
  readonly children = new Map<string, DNode>();
  constructor(
    readonly name: string,
    public parent: DNode | null,
    public info: Info,
  ) {}

  isLeaf(): boolean {
    return this.children.size === 0;
  }

  isWhiteout(): boolean {
    return this.name.startsWith(WH);
  }

  /** `/a/b`, with the whiteout prefix dropped from this node's own name */
  path(): string {
    const names: string[] = [];
    for (let n: DNode | null = this; n && n.parent; n = n.parent) {
      names.push(n === this && n.name.startsWith(WH) ? n.name.slice(WH.length) : n.name);
    }
    return `/${names.reverse().join('/')}`.replaceAll('//', '/');
  }

  sortedChildren(): DNode[] {
    return [...this.children.values()].sort((a, b) => (a.name === b.name ? 0 : goStringLess(a.name, b.name) ? -1 : 1));
  }

  copy(parent: DNode | null): DNode {
    const n = new DNode(this.name, parent, this.info);
    for (const [k, c] of this.children) n.children.set(k, c.copy(n));
    return n;
  }
}

const WH = '.wh.';
const OPAQUE_PREFIX = '.wh..wh..';

class DTree {
  root = new DNode('', null, EMPTY);
  /** Σ header sizes of the layer's entries (dive's layer size) */
  fileSize = 0;

  getNode(path: string): DNode | null {
    let node = this.root;
    for (const name of trimSlashes(path).split('/')) {
      if (name === '') continue;
      const c = node.children.get(name);
      if (!c) return null;
      node = c;
    }
    return node;
  }

  addPath(path: string, info: Info): void {
    const names = trimSlashes(cleanPath(path)).split('/');
    let node = this.root;
    for (let i = 0; i < names.length; i++) {
      const name = names[i]!;
      if (name === '') continue;
      let c = node.children.get(name);
      if (!c) {
        if (name.startsWith(OPAQUE_PREFIX)) return;
        c = new DNode(name, node, EMPTY);
        node.children.set(name, c);
      }
      node = c;
      if (i === names.length - 1) node.info = info;
    }
  }

  removePath(path: string): void {
    const n = this.getNode(path);
    if (n && n.parent) n.parent.children.delete(n.name);
  }

  copy(): DTree {
    const t = new DTree();
    t.root = this.root.copy(null);
    t.fileSize = this.fileSize;
    return t;
  }

  /** dive's Stack: graft every node of `upper` (children first, by name), removing whiteouts' paths */
  stack(upper: DTree): void {
    visitChildFirst(upper.root, (n) => {
      if (n.isWhiteout()) this.removePath(n.path());
      else this.addPath(n.path(), n.info);
    });
  }
}

function trimSlashes(p: string): string {
  return p.replace(/^\/+|\/+$/g, '');
}

/** Go's path.Clean for the relative paths of layer entries */
function cleanPath(p: string): string {
  if (p === '') return '.';
  const n = posix.normalize(p);
  return n.length > 1 ? n.replace(/\/+$/, '') : n;
}

/** depth first, children in Go string order, each node after its children; the root is never visited */
function visitChildFirst(root: DNode, visit: (n: DNode) => void, only?: (n: DNode) => boolean): void {
  const walk = (n: DNode) => {
    for (const c of n.sortedChildren()) walk(c);
    if (n !== root && (!only || only(n))) visit(n);
  };
  walk(root);
}

/** One layer's tree as dive builds it from the layer tar. */
function layerTree(entries: readonly LayerEntry[]): DTree {
  const t = new DTree();
  for (const e of entries) {
    const p = cleanPath(e.path);
    if (p === '.') continue;
    t.fileSize += e.size;
    t.addPath(p, { size: e.size, isDir: e.type === 'dir' });
  }
  return t;
}

export interface Inefficiency {
  path: string;
  /** layers in which the path was counted */
  count: number;
  cumulativeSize: number;
}

export interface DiveEfficiency {
  efficiency: number;
  /** Σ layer sizes (dive's SizeBytes) */
  sizeBytes: number;
  /** Σ sizes of every layer but the first */
  userSizeBytes: number;
  wastedBytes: number;
  /** wasted / user size; NaN when the user size is 0 and nothing is wasted, Infinity when only it is 0 */
  userWastedPercent: number;
  /** largest first, as dive prints them */
  inefficiencies: Inefficiency[];
  /** dive's layer sizes */
  layerSizes: number[];
  /** where dive stops walking a layer (a whiteout of a path not in the layers below) */
  notes: string[];
}

class PathData {
  count = 0;
  cumulativeSize = 0;
  minDiscoveredSize = -1;
  constructor(readonly path: string) {}
}

class StopLayer extends Error {}

export function diveEfficiency(layers: readonly (readonly LayerEntry[])[]): DiveEfficiency {
  const trees = layers.map(layerTree);
  const notes: string[] = [];
  const byPath = new Map<string, PathData>();
  const inefficient: PathData[] = [];

  if (trees.length > 0) {
    // StackTreeRange(trees, 0, k-1) for the whiteouts of layer k: the same tree for every whiteout
    // of a layer, so it is built lazily and advanced layer by layer instead of from scratch each time
    let stacked: DTree | null = null; // copy(layer 0) + layers 0..through stacked
    let through = 0;
    const stackedBelow = (k: number): DTree => {
      if (k === 0) return trees[0]!.copy();
      if (!stacked) {
        stacked = trees[0]!.copy();
        stacked.stack(trees[0]!);
      }
      while (through < k - 1) stacked.stack(trees[++through]!);
      return stacked;
    };
    for (let k = 0; k < trees.length; k++) {
      let below: DTree | null = null;
      try {
        visitChildFirst(trees[k]!.root, (node) => {
          const path = node.path();
          let d = byPath.get(path);
          if (!d) byPath.set(path, (d = new PathData(path)));
          let size = 0;
          if (node.isWhiteout()) {
            below ??= stackedBelow(k);
            const prev = below.getNode(path);
            if (!prev) {
              notes.push(`layer ${k}: whiteout of ${path}, which the layers below do not have: dive stops counting this layer there`);
              throw new StopLayer();
            }
            if (prev.info.isDir) {
              const sum = (n: DNode) => {
                size += n.info.size;
                for (const c of n.children.values()) sum(c);
              };
              sum(prev);
            }
          } else {
            size = node.info.size;
          }
          d.cumulativeSize += size;
          if (d.minDiscoveredSize < 0 || size < d.minDiscoveredSize) d.minDiscoveredSize = size;
          d.count++;
          if (d.count === 2) inefficient.push(d);
        }, (n) => n.isLeaf());
      } catch (e) {
        if (!(e instanceof StopLayer)) throw e;
      }
    }
  }

  let minimum = 0;
  let discovered = 0;
  for (const d of byPath.values()) {
    minimum += d.minDiscoveredSize;
    discovered += d.cumulativeSize;
  }
  const efficiency = discovered === 0 ? 1 : minimum / discovered;
  goSort(inefficient, (a, b) => a.cumulativeSize < b.cumulativeSize);

  const layerSizes = trees.map((t) => t.fileSize);
  const sizeBytes = layerSizes.reduce((s, x) => s + x, 0);
  const userSizeBytes = sizeBytes - (layerSizes[0] ?? 0);
  const wastedBytes = inefficient.reduce((s, d) => s + d.cumulativeSize, 0);
  return {
    efficiency,
    sizeBytes,
    userSizeBytes,
    wastedBytes,
    userWastedPercent: wastedBytes / userSizeBytes,
    inefficiencies: inefficient.reverse().map((d) => ({ path: d.path, count: d.count, cumulativeSize: d.cumulativeSize })),
    layerSizes,
    notes,
  };
}
