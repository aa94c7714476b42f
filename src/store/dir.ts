import { closeSync, createReadStream, lstatSync, openSync, readdirSync, readlinkSync, readSync, realpathSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import type { Readable } from 'node:stream';
import { LayerdigError, badArchive } from '../errors.js';
import { limits } from '../limits.js';
import { READ_CHUNK } from '../compression/index.js';
import { overlayOpaqueDirs } from './xattr.js';
import { eachSequential, tooBig, memberStorage, type Member, type MemberMeta, type Store } from './store.js';

/**
 * A directory input (OCI image layout, skopeo `dir:`). Names are relative to
 * the root; nothing outside the root is ever read, symlinks included.
 */
export class DirStore implements Store {
  readonly kind = 'dir' as const;
  readonly outerCompression = 'none' as const;
  private readonly root: string;
  private listing: Member[] | undefined;
  /** parent directories already resolved: whether each stays inside the root (one realpath per directory, not per member) */
  private readonly inside = new Map<string, boolean>();

  constructor(readonly path: string) {
    this.root = realpathSync(path);
  }

  /** absolute path for a member, or null when it would leave the root */
  private abs(name: string): string | null {
    if (name === '' || name.split('/').some((s) => s === '..' || s === '')) return null;
    const p = join(this.root, name);
    try {
      return this.insideRoot(join(p, '..')) ? p : null;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ELOOP') throw badArchive(this.path, name, 'directory symlink loop');
      return null;
    }
  }

  /**
   * Whether a directory below the root (by name) really is inside it: a real
   * directory is when its parent is; only a symlinked one needs realpath. One
   * lstat per directory, remembered, instead of a realpath of every component per member.
   */
  private insideRoot(dir: string): boolean {
    if (dir === this.root) return true;
    let ok = this.inside.get(dir);
    if (ok !== undefined) return ok;
    if (lstatSync(dir).isSymbolicLink()) {
      const real = realpathSync(dir);
      ok = real === this.root || real.startsWith(this.root + sep);
    } else {
      ok = this.insideRoot(dirname(dir));
    }
    this.inside.set(dir, ok);
    return ok;
  }

  member(name: string): Member | undefined {
    const p = this.abs(name);
    if (!p) return undefined;
    try {
      const st = lstatSync(p);
      const meta: MemberMeta = { mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtimeMs / 1000 };
      if (st.isSymbolicLink()) return { name, type: 'symlink', size: 0, linkname: readlinkSync(p), meta };
      if (st.isDirectory()) return { name, type: 'dir', size: 0, meta };
      if (st.isFile()) return { name, type: 'file', size: st.size, meta };
      if (st.isCharacterDevice()) meta.char = { major: Math.floor(st.rdev / 256) & 0xfff, minor: (st.rdev & 0xff) | ((st.rdev >> 12) & 0xfff00) };
      return { name, type: 'other', size: 0, meta };
    } catch {
      return undefined;
    }
  }

  members(): Member[] {
    if (this.listing) return this.listing;
    const out: Member[] = [];
    const walk = (rel: string): void => {
      const dir = rel ? join(this.root, rel) : this.root;
      for (const ent of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
        const name = rel ? `${rel}/${ent.name}` : ent.name;
        const m = this.member(name);
        if (!m) continue;
        out.push(m);
        if (out.length > limits().maxMembers) throw new LayerdigError('E_LIMIT', `${this.path}: more than ${limits().maxMembers} files (a safety limit; raise --max-members)`);
        if (m.type === 'dir') walk(name); // symlinks are listed, never followed
      }
    };
    walk('');
    this.listing = out;
    return out;
  }

  /** the entries of one directory (not recursive, links not followed): a data-root is read without walking every layer */
  children(dir: string): Member[] {
    const p = dir === '' ? this.root : this.abs(dir);
    if (!p) return [];
    let names: string[];
    try {
      names = readdirSync(p).sort();
    } catch {
      return [];
    }
    const out: Member[] = [];
    for (const n of names) {
      const m = this.member(dir === '' ? n : `${dir}/${n}`);
      if (m) out.push(m);
    }
    return out;
  }

  overlayOpaque(dir: string): Set<string> | null {
    const p = dir === '' ? this.root : this.abs(dir);
    return p ? overlayOpaqueDirs(p) : new Set();
  }

  private regular(name: string): { p: string; m: Member } {
    const m = this.member(name);
    const p = this.abs(name);
    if (!m || !p) throw new LayerdigError('E_BAD_ARCHIVE', `${this.path}/${name}: file is missing`, [], { archive: this.path, member: name });
    if (m.type !== 'file') throw badArchive(this.path, name, `is a ${m.type}, not a regular file`);
    return { p, m };
  }

  async readBytes(name: string, limit: number): Promise<Buffer> {
    const { p, m } = this.regular(name);
    if (m.size > limit) throw tooBig(this.path, name, m.size, limit);
    return this.readAt(p, m.size);
  }

  private readAt(p: string, len: number): Buffer {
    const fd = openSync(p, 'r');
    try {
      const buf = Buffer.alloc(len);
      let got = 0;
      while (got < len) {
        const n = readSync(fd, buf, got, len - got, got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    } finally {
      closeSync(fd);
    }
  }

  async head(name: string, n: number): Promise<Buffer> {
    const { p, m } = this.regular(name);
    return this.readAt(p, Math.min(n, m.size));
  }

  open(name: string): Readable {
    return createReadStream(this.regular(name).p, { highWaterMark: READ_CHUNK });
  }

  locate(name: string): { file: string; start: number; length: number } {
    const { p, m } = this.regular(name);
    return { file: p, start: 0, length: m.size };
  }

  each(names: string[], fn: (name: string, body: Readable) => Promise<void>): Promise<void> {
    return eachSequential(this, names, fn);
  }

  storage(name: string): string {
    return memberStorage(this.path, true, name);
  }

  close(): void {}
}
