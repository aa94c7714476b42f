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
  /** major and minor numbers of a character or block device */
  device?: { major: number; minor: number };
  /** PAX extended attributes (`SCHILY.xattr.*`), e.g. security.capability, base64 values */
  xattrs?: Record<string, string>;
  /** `.wh.<name>`: the path this whiteout deletes from lower layers */
  whiteout?: string;
  /** `.wh..wh..opq`: the directory whose lower children this hides */
  opaque?: string;
  /**
   * why the entry as stored is unsafe to write under a directory: an absolute
   * name, a `..` component, or a hard link whose target is absolute or climbs
   * (the path above is normalised and may no longer show it)
   */
  unsafe?: string;
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

/** A `..` component (per entry on every layer read: no array allocated) */
const climbs = (p: string) => p === '..' || p.startsWith('../') || p.endsWith('/..') || p.includes('/../');

/** Why a raw tar name (and hard-link target) would escape an extraction directory, or null. */
export function unsafeReason(rawName: string, rawHardlinkTarget: string | null): string | null {
  if (rawName.startsWith('/')) return `absolute name ${JSON.stringify(rawName)}`;
  if (climbs(rawName)) return `name ${JSON.stringify(rawName)} has a ".." component`;
  if (rawHardlinkTarget !== null) {
    if (rawHardlinkTarget.startsWith('/')) return `hard link to an absolute name ${JSON.stringify(rawHardlinkTarget)}`;
    if (climbs(rawHardlinkTarget)) return `hard link target ${JSON.stringify(rawHardlinkTarget)} has a ".." component`;
  }
  return null;
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
