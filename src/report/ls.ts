import type { Image, Layer } from '../image/model.js';
import type { LayerEntry } from '../layer/entry.js';
import { imageRef } from './images.js';
import { printable } from './text.js';
import { ownerCell, ownerJson, type Owner } from '../packages/owner.js';

/** One line of `layerdig ls`: an entry, where it came from, and (with --changes) what it did. */
export interface LsRow {
  path: string;
  entry: LayerEntry;
  layerIndex: number;
  /** a file's bytes, or a hard link's linked file's bytes (merged view) */
  size: number;
  change?: 'added' | 'modified' | 'deleted';
  /** with --packages: the installed packages (final image) that own this path */
  owners?: Owner[];
}

const TYPE_CHAR: Record<LayerEntry['type'], string> = {
  file: '-', dir: 'd', symlink: 'l', hardlink: 'h', char: 'c', block: 'b', fifo: 'p', other: '?',
};

/** `ls -l`'s mode string: type, then rwx triplets with setuid/setgid (s/S) and sticky (t/T). */
export function modeString(type: LayerEntry['type'], mode: number): string {
  const bit = (m: number, c: string) => (mode & m ? c : '-');
  const special = (x: number, s: number, lower: string, upper: string) =>
    mode & s ? (mode & x ? lower : upper) : bit(x, 'x');
  return TYPE_CHAR[type]
    + bit(0o400, 'r') + bit(0o200, 'w') + special(0o100, 0o4000, 's', 'S')
    + bit(0o040, 'r') + bit(0o020, 'w') + special(0o010, 0o2000, 's', 'S')
    + bit(0o004, 'r') + bit(0o002, 'w') + special(0o001, 0o1000, 't', 'T');
}

export const octalMode = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

export function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.000Z$/, 'Z');
}


export function lsEntryJson(r: LsRow, withChange: boolean) {
  const e = r.entry;
  return {
    path: r.path,
    type: e.type,
    size: r.size,
    mode: octalMode(e.mode),
    uid: e.uid,
    gid: e.gid,
    mtime: isoTime(e.mtime),
    linkTarget: e.linkTarget,
    xattrs: e.xattrs ?? null,
    layerIndex: r.layerIndex,
    ...(withChange ? { change: r.change ?? null } : {}),
    ...(r.owners ? ownerJson(r.owners) : {}),
  };
}

export function lsReport(img: Image, layer: Layer | null, rows: LsRow[], withChange: boolean) {
  return {
    image: imageRef(img),
    layer: layer ? { index: layer.index, diffId: layer.diffId } : null,
    entries: rows.map((r) => lsEntryJson(r, withChange)),
  };
}

const CHANGE_MARK = { added: 'A', modified: 'M', deleted: 'D' } as const;

function describeName(r: LsRow): string {
  const e = r.entry;
  let s = printable(r.path);
  if (e.type === 'symlink') s += ` -> ${printable(e.linkTarget ?? '')}`;
  else if (e.type === 'hardlink') s += ` link to ${printable(e.linkTarget ?? '')}`;
  if (e.whiteout !== undefined) s += `  (whiteout: deletes ${printable(e.whiteout)})`;
  else if (e.opaque !== undefined) s += `  (opaque: hides lower entries of ${printable(e.opaque || '/')})`;
  if (e.unsafe) s += `  (unsafe: ${printable(e.unsafe)})`;
  if (e.xattrs) s += `  [xattrs: ${Object.keys(e.xattrs).map(printable).join(', ')}]`;
  return s;
}

function sizeCell(r: LsRow): string {
  const e = r.entry;
  if (e.device) return `${e.device.major},${e.device.minor}`;
  return String(r.size);
}

/** A long listing like `ls -l` / `tar -tv`: mode, uid/gid, size, mtime, name → link. */
export function renderLong(rows: LsRow[], withChange: boolean, withLayer: boolean): string {
  const cols = rows.map((r) => [
    ...(withChange ? [r.change ? CHANGE_MARK[r.change] : ' '] : []),
    ...(withLayer ? [`L${r.layerIndex}`] : []),
    modeString(r.entry.type, r.entry.mode),
    `${r.entry.uid}/${r.entry.gid}`,
    sizeCell(r),
    isoTime(r.entry.mtime).replace('T', ' ').replace(/:\d\dZ$/, ''),
    ...(r.owners ? [ownerCell(r.owners)] : []),
    describeName(r),
  ]);
  if (cols.length === 0) return '(no entries)';
  const n = cols[0]!.length;
  const width = Array.from({ length: n - 1 }, (_, i) => Math.max(...cols.map((c) => c[i]!.length)));
  const sizeCol = (withChange ? 1 : 0) + (withLayer ? 1 : 0) + 2;
  return cols.map((c) => c.map((cell, i) => (i === n - 1 ? cell : i === sizeCol ? cell.padStart(width[i]!) : cell.padEnd(width[i]!))).join(' ')).join('\n');
}

interface TreeNode { name: string; row?: LsRow; kids: Map<string, TreeNode> }

/** A tree like `tree`: one line per entry, children under their directory. */
export function renderTree(rows: LsRow[], withChange: boolean): string {
  if (rows.length === 0) return '(no entries)';
  const root: TreeNode = { name: '/', kids: new Map() };
  for (const r of rows) {
    let cur = root;
    for (const part of r.path.split('/')) {
      let k = cur.kids.get(part);
      if (!k) cur.kids.set(part, (k = { name: part, kids: new Map() }));
      cur = k;
    }
    cur.row = r;
  }
  const lines: string[] = ['.'];
  const label = (n: TreeNode) => {
    const r = n.row;
    let s = printable(n.name);
    if (!r) return s;
    const e = r.entry;
    if (e.type === 'dir') s += '/';
    if (e.type === 'symlink') s += ` -> ${printable(e.linkTarget ?? '')}`;
    if (e.type === 'hardlink') s += ` => ${printable(e.linkTarget ?? '')}`;
    if (e.type === 'file' || e.type === 'hardlink') s += `  (${r.size})`;
    if (withChange && r.change) s = `[${CHANGE_MARK[r.change]}] ${s}`;
    if (r.owners?.length) s += `  [${ownerCell(r.owners)}]`;
    return s;
  };
  const walk = (n: TreeNode, prefix: string) => {
    const kids = [...n.kids.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      lines.push(`${prefix}${last ? '└── ' : '├── '}${label(k)}`);
      walk(k, prefix + (last ? '    ' : '│   '));
    });
  };
  walk(root, '');
  return lines.join('\n');
}
