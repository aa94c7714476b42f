import type { LayerEntry } from '../layer/entry.js';
import type { Node } from './filetree.js';
import { isUnder, relativeLinkTarget, symlinkTargetInRoot } from '../layer/image-path.js';

/**
 * What `extract` and `export` will write, decided before a byte is written:
 * every entry of a tree under some roots, hard links grouped by the file that
 * holds their bytes (the first one written carries the body, the others link
 * to it), and every entry refused as unsafe. Pure.
 */

export interface PlanEntry {
  path: string;
  /** the entry whose metadata is written (for a hard link: the link's own header) */
  entry: LayerEntry;
  layerIndex: number;
}

export interface PlanSymlink extends PlanEntry {
  /** the target to write (an absolute target rewritten relative when contained) */
  target: string;
  rewritten: boolean;
}

/** Paths sharing one file's bytes: `owner` is written with the body, `links` as hard links to it. */
export interface BodyGroup {
  /** the regular-file entry whose body is the bytes (identity: the listing's object) */
  source: LayerEntry;
  sourceLayer: number;
  owner: PlanEntry;
  links: PlanEntry[];
}

export interface Refusal {
  path: string;
  layerIndex: number;
  reason: string;
}

export interface ExtractPlan {
  /** sorted by path: parents before children */
  dirs: PlanEntry[];
  symlinks: PlanSymlink[];
  /** char and block devices, fifos */
  specials: PlanEntry[];
  /** by source entry */
  groups: Map<LayerEntry, BodyGroup>;
  /** hard links whose target did not exist when their layer was applied */
  dangling: PlanEntry[];
  refused: Refusal[];
}

/** Every non-directory path the plan writes (files, hard links, symlinks, devices). */
export function plannedFiles(plan: ExtractPlan): string[] {
  return [
    ...[...plan.groups.values()].flatMap((g) => [g.owner.path, ...g.links.map((l) => l.path)]),
    ...plan.symlinks.map((s) => s.path),
    ...plan.specials.map((s) => s.path),
  ].sort();
}

export interface PlanOptions {
  /**
   * A symlink whose relative target climbs above the root is refused either way.
   * `contain` (extract to a directory): an absolute target is rewritten relative,
   * so the link stays inside the output directory. `verbatim` (export to a tar,
   * a root filesystem): absolute targets as stored.
   */
  symlinks: 'contain' | 'verbatim';
}

const byPath = <T extends { path: string }>(a: T, b: T) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** Reasons a path is unsafe to create under an output directory, whatever its entry says. */
function unsafePath(path: string): string | null {
  const parts = path.split('/');
  if (path === '' || parts.some((p) => p === '' || p === '.')) return `empty or "." component in ${JSON.stringify(path)}`;
  if (parts.includes('..')) return `name ${JSON.stringify(path)} has a ".." component`;
  if (path.includes('\0')) return 'NUL in name';
  return null;
}

/**
 * An entry named below a symbolic link (`evil -> /etc`, then `evil/cron.d/x`):
 * tar and Docker would write it wherever the link points, not below it.
 */
function throughSymlink(tree: ReadonlyMap<string, Node>, path: string): string | null {
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const link = tree.get(path.slice(0, i))?.throughLink;
    if (link) {
      return `written through the symbolic link ${JSON.stringify(path.slice(0, i))} (-> ${JSON.stringify(link.entry.linkTarget ?? '')}, layer ${link.layerIndex}): `
        + 'a real extraction would write where the link points';
    }
  }
  return null;
}

/**
 * Plan the entries of `tree` that are under one of `roots` ('' = everything),
 * plus the directories above each root.
 */
export function planExtract(tree: ReadonlyMap<string, Node>, roots: string[], opts: PlanOptions): ExtractPlan {
  const plan: ExtractPlan = { dirs: [], symlinks: [], specials: [], groups: new Map(), dangling: [], refused: [] };
  const chosen = new Map<string, Node>();
  for (const r of roots) {
    const parts = r === '' ? [] : r.split('/');
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      const n = tree.get(p);
      if (n?.entry.type === 'dir') chosen.set(p, n);
    }
  }
  for (const [p, n] of tree) if (roots.some((r) => isUnder(p, r))) chosen.set(p, n);

  const members = new Map<LayerEntry, { sourceLayer: number; items: PlanEntry[] }>();
  for (const [path, stated] of [...chosen].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    // a directory that only exists because an entry was named below a symbolic link is that link
    const node: Node = stated.throughLink ? { entry: { ...stated.throughLink.entry, path }, layerIndex: stated.throughLink.layerIndex } : stated;
    const e = node.entry;
    const item: PlanEntry = { path, entry: e, layerIndex: node.layerIndex };
    const bad = e.unsafe ?? unsafePath(path) ?? throughSymlink(tree, path);
    if (bad && node.implicit) continue; // a parent no layer stated (`..` of `../x`): its children are the refused members
    if (bad) {
      plan.refused.push({ path, layerIndex: node.layerIndex, reason: bad });
      continue;
    }
    switch (e.type) {
      case 'dir':
        plan.dirs.push(item);
        break;
      case 'symlink': {
        const target = e.linkTarget ?? '';
        const inRoot = symlinkTargetInRoot(path, target);
        if (inRoot === null && !target.startsWith('/')) {
          plan.refused.push({ path, layerIndex: node.layerIndex, reason: `symbolic link to ${JSON.stringify(target)} climbs out of the output directory` });
        } else if (target.startsWith('/') && opts.symlinks === 'contain') {
          plan.symlinks.push({ ...item, target: relativeLinkTarget(path, inRoot!), rewritten: true });
        } else {
          plan.symlinks.push({ ...item, target, rewritten: false });
        }
        break;
      }
      case 'file':
      case 'hardlink': {
        const src = e.type === 'file' ? { layerIndex: node.layerIndex, entry: e } : node.linkedTo;
        if (!src) {
          plan.dangling.push(item);
          break;
        }
        if (src.entry.type !== 'file') {
          // a hard link to a symlink or device: write a copy of what it links to
          if (src.entry.type === 'symlink') {
            plan.symlinks.push(...planLinkCopy(item, src.entry, opts, plan));
          } else plan.specials.push({ ...item, entry: { ...src.entry, path } });
          break;
        }
        let m = members.get(src.entry);
        if (!m) members.set(src.entry, (m = { sourceLayer: src.layerIndex, items: [] }));
        m.items.push(item);
        break;
      }
      default:
        plan.specials.push(item);
    }
  }
  for (const [source, m] of members) {
    const owner = m.items.find((i) => i.entry === source) ?? m.items[0]!;
    plan.groups.set(source, { source, sourceLayer: m.sourceLayer, owner, links: m.items.filter((i) => i !== owner) });
  }
  plan.dirs.sort(byPath);
  plan.symlinks.sort(byPath);
  plan.specials.sort(byPath);
  return plan;
}

function planLinkCopy(item: PlanEntry, link: LayerEntry, opts: PlanOptions, plan: ExtractPlan): PlanSymlink[] {
  const target = link.linkTarget ?? '';
  const inRoot = symlinkTargetInRoot(item.path, target);
  if (inRoot === null && !target.startsWith('/')) {
    plan.refused.push({ path: item.path, layerIndex: item.layerIndex, reason: `hard link to a symbolic link to ${JSON.stringify(target)} climbs out of the output directory` });
    return [];
  }
  const rewrite = target.startsWith('/') && opts.symlinks === 'contain';
  return [{ ...item, target: rewrite ? relativeLinkTarget(item.path, inRoot!) : target, rewritten: rewrite }];
}

/** Bytes the plan writes from layer bodies. */
export function planBytes(plan: ExtractPlan): number {
  let n = 0;
  for (const g of plan.groups.values()) n += g.source.size;
  return n;
}

/** Counts for a one-line summary. */
export function planCounts(plan: ExtractPlan) {
  let files = 0;
  let links = 0;
  for (const g of plan.groups.values()) {
    files++;
    links += g.links.length;
  }
  return { dirs: plan.dirs.length, files, hardlinks: links, symlinks: plan.symlinks.length, specials: plan.specials.length, dangling: plan.dangling.length };
}
