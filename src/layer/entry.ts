/** One entry of a layer tar, as the OCI layer spec describes changesets. */
export type EntryType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'char' | 'block' | 'fifo' | 'other';

export interface LayerEntry {
  /** normalised: no leading `./` or `/`, no trailing `/` */
  path: string;
  type: EntryType;
  /** bytes of a regular file's body; 0 for everything else */
  size: number;
  mode: number;
  uid: number;
  gid: number;
  /** seconds since the epoch */
  mtime: number;
  /** symlink target, or the path a hard link refers to (normalised) */
  linkTarget: string | null;
  /** PAX extended attributes (`SCHILY.xattr.*`), e.g. security.capability, base64 values */
  xattrs?: Record<string, string>;
  /** `.wh.<name>`: the path this whiteout deletes from lower layers */
  whiteout?: string;
  /** `.wh..wh..opq`: the directory whose lower children this hides */
  opaque?: string;
}

export const WHITEOUT_PREFIX = '.wh.';
export const OPAQUE_MARKER = '.wh..wh..opq';

/** Layer entry paths: drop `./`, leading `/` and trailing `/`; `.` is the root (''). */
export function normalizeEntryPath(p: string): string {
  let n = p.replace(/\/{2,}/g, '/');
  while (n.startsWith('./')) n = n.slice(2);
  n = n.replace(/^\/+/, '').replace(/\/+$/, '');
  return n === '.' ? '' : n;
}

/** Fill `whiteout` / `opaque` from the name. */
export function classifyWhiteout(e: LayerEntry): LayerEntry {
  const slash = e.path.lastIndexOf('/');
  const base = e.path.slice(slash + 1);
  if (!base.startsWith(WHITEOUT_PREFIX)) return e;
  const dir = slash === -1 ? '' : e.path.slice(0, slash);
  if (base === OPAQUE_MARKER) e.opaque = dir;
  else e.whiteout = (dir ? `${dir}/` : '') + base.slice(WHITEOUT_PREFIX.length);
  return e;
}

/** Docker's DiffSize contribution: regular file bytes and symlink target lengths; hard links count 0. */
export function diffSizeOf(e: LayerEntry): number {
  if (e.whiteout !== undefined || e.opaque !== undefined) return 0;
  if (e.type === 'file') return e.size;
  if (e.type === 'symlink') return Buffer.byteLength(e.linkTarget ?? '');
  return 0;
}

/** The first path component of every entry, whiteouts included, sorted and unique. */
export function topLevelNames(entries: readonly LayerEntry[]): string[] {
  const s = new Set<string>();
  for (const e of entries) if (e.path) s.add(e.path.split('/', 1)[0]!);
  return [...s].sort();
}
