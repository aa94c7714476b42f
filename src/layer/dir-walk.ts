import type { Member, Store } from '../store/store.js';
import { childrenOf } from '../store/store.js';

/** One file of an unpacked layer directory, named relative to it. */
export interface DirFile {
  /** relative to the layer directory, no leading `/` */
  path: string;
  member: Member;
}

/**
 * Every entry under `dir` of the input, parents before children, names
 * sorted; symlinks listed, never followed (the store refuses paths that
 * leave the input). A directory input is listed one directory at a time.
 */
export function* walkDir(store: Store, dir: string): Generator<DirFile> {
  if (store.children) {
    const walk = function* (rel: string): Generator<DirFile> {
      for (const m of store.children!(rel === '' ? dir : `${dir}/${rel}`)) {
        const path = rel === '' ? m.name.slice(dir.length + 1) : `${rel}/${m.name.slice(dir.length + rel.length + 2)}`;
        yield { path, member: m };
        if (m.type === 'dir') yield* walk(path);
      }
    };
    yield* walk('');
    return;
  }
  const prefix = `${dir}/`;
  const under = store.members().filter((m) => m.name.startsWith(prefix) && m.name.length > prefix.length);
  under.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const m of under) yield { path: m.name.slice(prefix.length), member: m };
}

const OPAQUE = Buffer.from('y').toString('base64');

/** overlayfs marks a deleted file with a 0/0 character device in the upper directory. */
export function isOverlayWhiteout(m: Member): boolean {
  return m.type === 'other' && m.meta?.char?.major === 0 && m.meta.char.minor === 0;
}

/** overlayfs marks a directory that hides everything below it with this xattr (rootless: user.overlay.opaque). */
export function isOverlayOpaque(m: Member): boolean {
  const x = m.meta?.xattrs;
  return m.type === 'dir' && !!x && (x['trusted.overlay.opaque'] === OPAQUE || x['user.overlay.opaque'] === OPAQUE);
}

/** Does the store exist as a directory at `dir`? */
export function hasDir(store: Store, dir: string): boolean {
  return store.member(dir)?.type === 'dir' || childrenOf(store, dir).length > 0;
}

// ---- a tar written from a walk (a layer directory without tar-split) ----

function octal(n: number, len: number): string {
  return `${Math.max(0, Math.floor(n)).toString(8).padStart(len - 1, '0')}\0`;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function header(name: string, flag: string, size: number, m: Member, linkname = '', char?: { major: number; minor: number }): Buffer {
  const b = Buffer.alloc(512);
  b.write(name, 0, 100, 'utf8');
  b.write(octal(m.meta?.mode ?? 0o644, 8), 100, 'latin1');
  b.write(octal(m.meta?.uid ?? 0, 8), 108, 'latin1');
  b.write(octal(m.meta?.gid ?? 0, 8), 116, 'latin1');
  b.write(octal(size, 12), 124, 'latin1');
  b.write(octal(m.meta?.mtime ?? 0, 12), 136, 'latin1');
  b.write(flag, 156, 'latin1');
  b.write(linkname, 157, 100, 'utf8');
  b.write('ustar\x0000', 257, 'latin1');
  if (char) {
    b.write(octal(char.major, 8), 329, 'latin1');
    b.write(octal(char.minor, 8), 337, 'latin1');
  }
  b.fill(0x20, 148, 156);
  let sum = 0;
  for (const x of b) sum += x;
  b.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'latin1');
  return b;
}

/** One tar entry's header blocks: a PAX header first when names are long or xattrs are kept. */
function entryHeader(name: string, flag: string, size: number, m: Member, linkname = '', char?: { major: number; minor: number }): Buffer[] {
  const records: Buffer[] = [];
  if (Buffer.byteLength(name) > 99) records.push(paxRecord('path', Buffer.from(name)));
  if (Buffer.byteLength(linkname) > 99) records.push(paxRecord('linkpath', Buffer.from(linkname)));
  for (const [k, v] of Object.entries(m.meta?.xattrs ?? {})) {
    if (!k.startsWith('trusted.overlay.') && !k.startsWith('user.overlay.')) records.push(paxRecord(`SCHILY.xattr.${k}`, Buffer.from(v, 'base64')));
  }
  const out: Buffer[] = [];
  if (records.length) {
    const body = Buffer.concat(records);
    out.push(header('././@PaxHeader', 'x', body.length, m), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  out.push(header(name, flag, size, m, linkname, char));
  return out;
}

/**
 * A layer directory as a tar stream, in walk order. With `overlay` whiteouts,
 * a 0/0 character device becomes `.wh.<name>` and an opaque directory gets a
 * `.wh..wh..opq` entry, so the layer pass reads OCI whiteouts as from any blob.
 */
export async function* walkLayerDir(store: Store, dir: string, whiteouts: 'overlay' | 'none'): AsyncGenerator<Buffer> {
  // a directory input has no xattrs in its members: its opaque directories are read in one go
  const opaque = whiteouts === 'overlay' ? store.overlayOpaque?.(dir) ?? null : null;
  for (const { path, member: m } of walkDir(store, dir)) {
    if (whiteouts === 'overlay' && isOverlayWhiteout(m)) {
      const slash = path.lastIndexOf('/');
      yield* entryHeader(`${path.slice(0, slash + 1)}.wh.${path.slice(slash + 1)}`, '0', 0, m);
      continue;
    }
    yield* entryTar(store, path, m);
    if (m.type === 'dir' && whiteouts === 'overlay' && (isOverlayOpaque(m) || opaque?.has(path))) yield* entryHeader(`${path}/.wh..wh..opq`, '0', 0, m);
  }
  yield Buffer.alloc(1024);
}

/** One member of a layer directory as tar blocks: header, then (a regular file) its body and padding. */
async function* entryTar(store: Store, path: string, m: Member): AsyncGenerator<Buffer> {
  if (m.type === 'dir') {
    yield* entryHeader(`${path}/`, '5', 0, m);
  } else if (m.type === 'symlink') {
    yield* entryHeader(path, '2', 0, m, m.linkname ?? '');
  } else if (m.type === 'file') {
    yield* entryHeader(path, '0', m.size, m);
    let left = m.size;
    for await (const c of store.open(m.name) as AsyncIterable<Buffer>) {
      const part = c.length > left ? c.subarray(0, left) : c;
      left -= part.length;
      yield part;
      if (left === 0) break;
    }
    if (left > 0) yield Buffer.alloc(left); // the file shrank while being read: keep the tar's shape
    if (m.size % 512) yield Buffer.alloc(512 - (m.size % 512));
  } else if (m.meta?.char) {
    yield* entryHeader(path, '3', 0, m, '', m.meta.char);
  }
}

/**
 * A vfs layer without tar-split: its directory is a full copy of the filesystem
 * up to this layer, so the layer is what differs from the layer below's copy,
 * as the naive differ writes it (`changes`: paths from copyChanges, parents
 * included): each added or changed path's entry, a `.wh.` file per deletion.
 */
export async function* copyDiffTar(store: Store, dir: string, changes: readonly { kind: 'A' | 'C' | 'D'; path: string }[]): AsyncGenerator<Buffer> {
  for (const c of changes) {
    const path = c.path.replace(/^\//, '');
    if (c.kind === 'D') {
      const slash = path.lastIndexOf('/');
      const name = `${path.slice(0, slash + 1)}.wh.${path.slice(slash + 1)}`;
      yield* entryHeader(name, '0', 0, { name, type: 'file', size: 0, meta: { mode: 0o644, uid: 0, gid: 0, mtime: 0 } });
      continue;
    }
    const m = store.member(`${dir}/${path}`);
    if (m) yield* entryTar(store, path, m);
  }
  yield Buffer.alloc(1024);
}
