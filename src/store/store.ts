import type { Readable } from 'node:stream';
import { join, posix } from 'node:path';
import { LayerdigError, badArchive, where } from '../errors.js';
import type { Compression } from '../compression/index.js';

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
}

/**
 * Where a member's bytes live, for the user: `app.tar!blobs/sha256/…` inside a
 * tar, a file path inside a directory. One function for the stores and for the
 * catalog (which rebuilds it from the archive path, its kind and the member).
 */
export function memberStorage(archivePath: string, isDir: boolean, member: string): string {
  return isDir ? join(archivePath, member) : `${archivePath}!${member}`;
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
  /** where a member's bytes live, for the user: `app.tar!blobs/sha256/…` or a file path */
  storage(name: string): string;
  close(): void;
}

const MAX_LINK_HOPS = 40;

/**
 * Follow symlinks and hard links inside an archive to the regular member that
 * holds the bytes. Symlink targets are relative to the link's directory.
 * Throws on loops, dangling links and links that leave the archive.
 */
export function resolveMember(store: Store, name: string): Member {
  let cur = store.member(name);
  const seen = new Set<string>();
  let hops = 0;
  let path = name;
  while (true) {
    if (!cur) {
      if (path === name) throw new LayerdigError('E_BAD_ARCHIVE', `${where(store.path, name)}: member is missing`);
      throw badArchive(store.path, name, `link leads to ${path}, which is not in the archive`);
    }
    if (cur.type === 'file') return cur;
    if (cur.type !== 'symlink' && cur.type !== 'hardlink') {
      throw badArchive(store.path, name, `is a ${cur.type}, not a regular file`);
    }
    if (seen.has(cur.name) || ++hops > MAX_LINK_HOPS) throw badArchive(store.path, name, 'link loop');
    seen.add(cur.name);
    const target = cur.linkname ?? '';
    if (target.startsWith('/')) throw badArchive(store.path, name, `link points outside the archive (${target})`);
    const joined = cur.type === 'symlink' ? posix.join(posix.dirname(cur.name), target) : posix.normalize(target);
    if (joined === '..' || joined.startsWith('../')) {
      throw badArchive(store.path, name, `link points outside the archive (${target})`);
    }
    path = joined.replace(/^\.\//, '');
    cur = store.member(path);
  }
}

/** Parse a JSON member with a size limit, turning every failure into one sentence. */
export async function readJson(store: Store, name: string, limit: number): Promise<unknown> {
  const target = resolveMember(store, name);
  const buf = await store.readBytes(target.name, limit);
  return parseJson(buf, store.path, name);
}

export function parseJson(buf: Buffer, archive: string, member: string): unknown {
  try {
    return JSON.parse(buf.toString('utf8'));
  } catch (e) {
    if (e instanceof RangeError) throw badArchive(archive, member, 'JSON is nested too deeply to read');
    throw badArchive(archive, member, `is not valid JSON (${(e as Error).message})`);
  }
}

export function tooBig(archive: string, member: string, size: number, limit: number): LayerdigError {
  return new LayerdigError(
    'E_LIMIT',
    `${where(archive, member)}: ${size} bytes is over the ${limit}-byte limit for JSON members (raise it with --max-json-bytes)`,
  );
}

/** Default `each`: open members one at a time in the given order. */
export async function eachSequential(
  store: Store,
  names: string[],
  fn: (name: string, body: Readable) => Promise<void>,
): Promise<void> {
  for (const n of names) await fn(n, store.open(n));
}
