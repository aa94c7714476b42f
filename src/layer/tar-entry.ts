import type tarStream from 'tar-stream';
import type { WalkHeader } from './tar-walk.js';
import { classifyWhiteout, normalizeEntryPath, unsafeReason, type EntryType, type LayerEntry } from './entry.js';

/** A tar header (either reader's) as a layer entry: type, owner, mode, link, xattrs, whiteout, safety. */

const TYPES: Record<string, EntryType> = {
  file: 'file', 'contiguous-file': 'file', directory: 'dir', symlink: 'symlink', link: 'hardlink',
  'character-device': 'char', 'block-device': 'block', fifo: 'fifo',
};

/** A tar header from either reader (tar-stream for bodies, TarWalker for listings). */
export function toEntry(h: WalkHeader): LayerEntry {
  const type = TYPES[h.type ?? 'file'] ?? 'other';
  const e: LayerEntry = {
    path: normalizeEntryPath(h.name),
    type,
    size: type === 'file' ? h.size ?? 0 : 0,
    mode: (h.mode ?? 0) & 0o7777,
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    mtime: Math.floor(h.mtime),
    linkTarget: h.linkname ? (type === 'hardlink' ? normalizeEntryPath(h.linkname) : h.linkname) : null,
  };
  if (type === 'char' || type === 'block') e.device = { major: h.devmajor, minor: h.devminor };
  const unsafe = unsafeReason(h.name, type === 'hardlink' ? h.linkname ?? '' : null);
  if (unsafe) e.unsafe = unsafe;
  if (h.pax) addXattrs(e, h.pax);
  return classifyWhiteout(e);
}

/** xattrs from PAX records; values are byte-exact binary strings (pax.ts). */
function addXattrs(e: LayerEntry, pax: Record<string, string>): void {
  for (const [k, v] of Object.entries(pax)) {
    if (k.startsWith('SCHILY.xattr.')) (e.xattrs ??= {})[k.slice(13)] = Buffer.from(String(v), 'latin1').toString('base64');
  }
  for (const [k, v] of Object.entries(pax)) {
    // bsdtar also writes LIBARCHIVE.xattr.<url-encoded name>=<base64>; SCHILY wins when both exist
    if (!k.startsWith('LIBARCHIVE.xattr.')) continue;
    let name: string;
    try {
      name = decodeURIComponent(k.slice(17));
    } catch {
      continue;
    }
    if (e.xattrs?.[name] === undefined) (e.xattrs ??= {})[name] = Buffer.from(String(v), 'base64').toString('base64');
  }
}

export function fromTarStream(h: tarStream.Header): WalkHeader {
  return {
    name: h.name, type: h.type ?? null, size: h.size ?? 0, mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0,
    mtime: h.mtime ? h.mtime.getTime() / 1000 : 0, linkname: h.linkname ?? null, devmajor: h.devmajor ?? 0, devminor: h.devminor ?? 0,
    pax: (h.pax as Record<string, string> | undefined) ?? null,
  };
}

/** Bytes of body after a header: tar-stream (like GNU tar) reads none for a directory, whatever its size field says. */
export function bodySize(h: tarStream.Header): number {
  return h.type === 'directory' ? 0 : h.size ?? 0;
}
