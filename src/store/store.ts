import type { Readable } from 'node:stream';
import { join, posix } from 'node:path';
import { LayerdigError, badArchive, errorAt } from '../errors.js';
import type { Compression } from '../compression/index.js';
import { normalizeMemberName, unsafeMemberName } from './tar-header.js';

/**
 * A Store is the bytes an input holds, addressed by member name: a tar file
 * (seekable), a compressed tar (one sequential pass), or a directory. Formats
 * read JSON and open blobs through it and never touch the file system.
 */
export type MemberType = 'file' | 'dir' | 'symlink' | 'hardlink' | 'other';

export interface Member {
  /** normalised: no leading `./` or `/` */
  name: string;
  type: MemberType;
  size: number;
  linkname?: string;
  /** owner, mode, time as the input records them: read when a subtree of the input is itself a layer (a Docker data-root) */
  meta?: MemberMeta;
}

export interface MemberMeta {
  /** permission bits (07777) */
  mode: number;
  uid: number;
  gid: number;
  /** seconds, fractional where the input keeps more */
  mtime: number;
  /** a character device's numbers (overlayfs whiteouts are 0/0) */
  char?: { major: number; minor: number };
  /** extended attributes, values base64 (from PAX SCHILY.xattr.*; a directory input has none: Node cannot read them) */
  xattrs?: Record<string, string>;
}

/**
 * Where a member's bytes live, for the user: `app.tar!blobs/sha256/…` inside a
 * tar, a file path inside a directory. One function for the stores and for the
 * catalog (which rebuilds it from the archive path, its kind and the member).
 */
export function memberStorage(archivePath: string, isDir: boolean, member: string): string {
  return isDir ? join(archivePath, member) : `${archivePath}!${member}`;
}

/** How to open a store: what only the formats know, passed down (store/ sits below format/). */
export interface StoreOptions {
  /** a member to keep whole when the store can read it only once (a compressed tar): see Format.isMetadata */
  isMetadata?: (name: string) => boolean;
}

export interface Store {
  /** the path the user gave */
  readonly path: string;
  readonly kind: 'tar' | 'compressed-tar' | 'dir';
  /** compression of the whole archive (`docker save | gzip`) */
  readonly outerCompression: Compression;
  /** every member, in archive order (directories: sorted walk) */
  members(): Member[];
  /** the member by name, links not followed */
  member(name: string): Member | undefined;
  /** whole body of a regular member, refusing more than `limit` bytes */
  readBytes(name: string, limit: number): Promise<Buffer>;
  /** first bytes of a member (for sniffing compression) */
  head(name: string, n: number): Promise<Buffer>;
  /** stream a member's body */
  open(name: string): Readable;
  /**
   * Stream several members' bodies, each to `fn`, in the order that is
   * cheapest for this store (archive order for a compressed tar: one pass).
   */
  each(names: string[], fn: (name: string, body: Readable) => Promise<void>): Promise<void>;
  /**
   * Where a regular member's bytes sit in a file on disk, when they do (a tar
   * member's byte range, a file of a directory): lets worker threads read it
   * themselves. Absent or null for a compressed archive.
   */
  locate?(name: string): { file: string; start: number; length: number } | null;
  /**
   * A layer member whose bytes are not the layer's diff as it was hashed (a data-root
   * layer written from its directory, without tar-split): its hash is not compared with the diffID.
   */
  diffIdUnchecked?(name: string): boolean;
  /** the entries of one directory, when the store can list one without listing everything (a directory) */
  children?(dir: string): Member[];
  /**
   * Directories under `dir` that overlayfs marks opaque (an xattr), relative to
   * `dir`; a directory input reads them with a helper tool (Node has no xattr
   * API), null when none is installed. Tar inputs carry xattrs in `meta`.
   */
  overlayOpaque?(dir: string): Set<string> | null;
  /** where a member's bytes live, for the user: `app.tar!blobs/sha256/…` or a file path */
  storage(name: string): string;
  /** member names that occur more than once in a tar (the last one is read, as extraction would) */
  readonly duplicates?: readonly string[];
  /** outer members whose name, as written, is absolute or climbs out with `..` (raw names) */
  readonly unsafeNames?: readonly string[];
  close(): void;
}

/** At most this many members are named in the one warning line about an archive. */
const MAX_NAMED = 5;

/**
 * The archive-level integrity warning, as one sentence, or null: outer members
 * a loader would treat differently from layerdig (a name used twice: Docker's
 * loader keeps the last one, as layerdig reads; a name that is absolute or
 * climbs out with `..`). Commands still answer, and exit 1 as for a mismatch.
 */
export function storeWarning(store: Store): string | null {
  const parts: string[] = [];
  for (const raw of store.unsafeNames ?? []) {
    parts.push(`${raw} (${unsafeMemberName(raw) ?? 'an unsafe name'})`);
  }
  const counts = new Map<string, number>();
  for (const n of store.duplicates ?? []) counts.set(n, (counts.get(n) ?? 1) + 1);
  for (const [n, k] of counts) parts.push(`${n} (${k} members of this name: the last one is read, as Docker's loader does)`);
  if (parts.length === 0) return null;
  const named = parts.slice(0, MAX_NAMED).join('; ') + (parts.length > MAX_NAMED ? `; and ${parts.length - MAX_NAMED} more` : '');
  return `${store.path}: hostile outer member${parts.length === 1 ? '' : 's'}: ${named} — \`layerdig verify\` reports ${parts.length === 1 ? 'it' : 'them'} as a mismatch`;
}

const MAX_LINK_HOPS = 40;

/** Where a link chain ends: a member of any type, or why it cannot be followed. */
export type LinkEnd = { member: Member; problem?: undefined } | { member?: undefined; problem: string; missing?: boolean };

/**
 * Follow symlinks and hard links inside an archive from `name` to the member
 * they end at (of any type). Symlink targets are relative to the link's directory.
 */
export function followLinks(store: Store, name: string): LinkEnd {
  // `/abs.tar` or `./abs.tar` in a document names the member the archive lists as `abs.tar`
  let cur = store.member(name) ?? (normalizeMemberName(name) ? store.member(normalizeMemberName(name)) : undefined);
  const seen = new Set<string>();
  let hops = 0;
  let path = name;
  while (true) {
    if (!cur) {
      if (path === name) return { problem: 'member is missing', missing: true };
      return { problem: `link leads to ${path}, which is not in the archive`, missing: true };
    }
    if (cur.type !== 'symlink' && cur.type !== 'hardlink') return { member: cur };
    if (seen.has(cur.name) || ++hops > MAX_LINK_HOPS) return { problem: 'link loop' };
    seen.add(cur.name);
    const target = cur.linkname ?? '';
    if (target.startsWith('/')) return { problem: `link points outside the archive (${target})` };
    const joined = cur.type === 'symlink' ? posix.join(posix.dirname(cur.name), target) : posix.normalize(target);
    if (joined === '..' || joined.startsWith('../')) return { problem: `link points outside the archive (${target})` };
    // `loop -> .` or `blobs/sha256/up -> ../..`: the archive's own root, inside it (a directory)
    if (joined === '.') return { member: { name: '.', type: 'dir', size: 0 } };
    path = joined.replace(/^\.\//, '');
    cur = store.member(path);
  }
}

/**
 * Follow links to the regular member that holds the bytes. Throws on loops,
 * links that leave the archive, and (E_INTEGRITY) members a document
 * references that the archive does not hold.
 */
export function resolveMember(store: Store, name: string): Member {
  const end = followLinks(store, name);
  if (end.problem !== undefined) {
    throw errorAt(end.missing ? 'E_INTEGRITY' : 'E_BAD_ARCHIVE', store.path, name, end.problem);
  }
  if (end.member.type !== 'file') throw badArchive(store.path, name, `is a ${end.member.type}, not a regular file`);
  return end.member;
}

/** Parse a JSON member with a size limit, turning every failure into one sentence. */
export async function readJson(store: Store, name: string, limit: number): Promise<unknown> {
  const target = resolveMember(store, name);
  const buf = await store.readBytes(target.name, limit);
  return parseJson(buf, store.path, name);
}

/** Deeper than this, a document is hostile: no image format nests past a handful of levels. */
export const MAX_JSON_DEPTH = 256;

/**
 * The deepest nesting of `[`/`{` outside strings. V8 parses any depth, but
 * printing or walking a deep value overflows the stack, so it is refused first.
 */
export function jsonDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) {
      inString = true;
    } else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) max = depth;
    } else if (c === 0x5d || c === 0x7d) {
      depth--;
    }
  }
  return max;
}

/** Parse JSON text, turning every failure into one sentence naming the member. */
export function parseJsonText(text: string, archive: string, member: string): unknown {
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw badArchive(archive, member, `JSON is nested more than ${MAX_JSON_DEPTH} levels deep: refused`);
  try {
    return JSON.parse(text);
  } catch (e) {
    if (e instanceof RangeError) throw badArchive(archive, member, 'JSON is nested too deeply to read');
    throw badArchive(archive, member, `is not valid JSON (${(e as Error).message})`);
  }
}

export function parseJson(buf: Buffer, archive: string, member: string): unknown {
  return parseJsonText(buf.toString('utf8'), archive, member);
}

export function tooBig(archive: string, member: string, size: number, limit: number): LayerdigError {
  return errorAt('E_LIMIT', archive, member, `${size} bytes is over the ${limit}-byte limit for JSON members (raise it with --max-json-bytes)`);
}

/** Default `each`: open members one at a time in the given order. */
export async function eachSequential(
  store: Store,
  names: string[],
  fn: (name: string, body: Readable) => Promise<void>,
): Promise<void> {
  for (const n of names) await fn(n, store.open(n));
}

/** The entries directly inside `dir` ('' = the root), names sorted. */
export function childrenOf(store: Store, dir: string): Member[] {
  if (store.children) return store.children(dir);
  const prefix = dir === '' ? '' : `${dir}/`;
  return store.members()
    .filter((m) => m.name.startsWith(prefix) && m.name.length > prefix.length && !m.name.slice(prefix.length).includes('/'))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
