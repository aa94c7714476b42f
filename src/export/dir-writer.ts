import { constants, promises as fs, type Stats } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { LayerdigError } from '../errors.js';

/**
 * Writes files only under one output directory, and never through a link.
 * Every parent of a path is checked with lstat (a symbolic link planted by an
 * earlier entry, or already in the directory, is refused, not followed), files
 * are created with O_CREAT|O_EXCL|O_NOFOLLOW, and names are checked again here
 * (no `..`, no absolute names) even though the plan already refused them.
 */

const SAFE_COMPONENT = (c: string) => c !== '' && c !== '.' && c !== '..' && !c.includes('\0');

export class SafeDirWriter {
  /** directories we created or checked: their chmod/utimes wait until the end */
  private readonly dirMeta = new Map<string, { mode: number; mtime: number }>();
  private readonly checked = new Set<string>(['']);
  /** regular files this run wrote: the only things a hard link may name */
  private readonly written = new Set<string>();
  files = 0;
  bytes = 0;

  private constructor(readonly root: string) {}

  static async open(dir: string): Promise<SafeDirWriter> {
    try {
      await fs.mkdir(dir, { recursive: true });
      const st = await fs.lstat(dir);
      if (!st.isDirectory()) throw new LayerdigError('E_IO', `${dir}: not a directory`);
      return new SafeDirWriter(await fs.realpath(dir));
    } catch (e) {
      if (e instanceof LayerdigError) throw e;
      throw new LayerdigError('E_IO', `${dir}: cannot create the output directory (${(e as Error).message})`);
    }
  }

  /**
   * Which of these paths already exist in the output directory as something
   * other than a directory (checked with lstat: a link is not followed), so
   * that a run can refuse before it writes anything rather than replace them.
   */
  async existing(rels: readonly string[]): Promise<string[]> {
    const found: string[] = [];
    for (const rel of rels) {
      const st = await this.lstat(join(this.root, rel)).catch(() => null);
      if (st && !st.isDirectory()) found.push(rel);
    }
    return found;
  }

  private unsafe(rel: string, why: string): LayerdigError {
    return new LayerdigError('E_UNSAFE_PATH', `refused ${JSON.stringify(rel)}: ${why}; nothing is written outside ${this.root}`);
  }

  private parts(rel: string): string[] {
    const parts = rel.split('/');
    if (rel.startsWith('/') || !parts.every(SAFE_COMPONENT)) throw this.unsafe(rel, 'not a plain relative name');
    return parts;
  }

  private async lstat(abs: string): Promise<Stats | null> {
    try {
      return await fs.lstat(abs);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    }
  }

  /** Make sure every parent of `parts` is a real directory under the root; create missing ones. */
  private async parents(rel: string, parts: string[]): Promise<void> {
    for (let i = 1; i < parts.length; i++) {
      const p = parts.slice(0, i).join('/');
      if (this.checked.has(p)) continue;
      const abs = join(this.root, p);
      const st = await this.lstat(abs);
      if (!st) await fs.mkdir(abs, { mode: 0o700 });
      else if (st.isSymbolicLink()) throw this.unsafe(rel, `${p} is a symbolic link in the output directory; layerdig does not write through links`);
      else if (!st.isDirectory()) throw this.unsafe(rel, `${p} exists and is not a directory`);
      this.checked.add(p);
    }
  }

  /** Remove a non-directory in the way (a symlink is removed, never followed). */
  private async clear(rel: string, abs: string): Promise<void> {
    const st = await this.lstat(abs);
    if (!st) return;
    if (st.isDirectory()) throw this.unsafe(rel, 'a directory with that name already exists');
    await fs.unlink(abs);
  }

  async dir(rel: string, mode: number, mtime: number): Promise<void> {
    const parts = this.parts(rel);
    await this.parents(rel, parts);
    const abs = join(this.root, rel);
    const st = await this.lstat(abs);
    if (!st) await fs.mkdir(abs, { mode: 0o700 });
    else if (st.isSymbolicLink()) throw this.unsafe(rel, 'a symbolic link with that name already exists in the output directory');
    else if (!st.isDirectory()) throw this.unsafe(rel, 'exists and is not a directory');
    this.checked.add(rel);
    this.dirMeta.set(rel, { mode, mtime });
  }

  async file(rel: string, body: Readable, mode: number, mtime: number): Promise<void> {
    const parts = this.parts(rel);
    await this.parents(rel, parts);
    const abs = join(this.root, rel);
    await this.clear(rel, abs);
    const fh = await fs.open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      for await (const chunk of body as AsyncIterable<Buffer>) {
        await fh.write(chunk);
        this.bytes += chunk.length;
      }
      await fh.chmod(mode & 0o777);
      await fh.utimes(mtime, mtime);
    } finally {
      await fh.close();
    }
    this.written.add(rel);
    this.files++;
  }

  async symlink(rel: string, target: string, mtime: number): Promise<void> {
    const parts = this.parts(rel);
    await this.parents(rel, parts);
    const abs = join(this.root, rel);
    await this.clear(rel, abs);
    await fs.symlink(target, abs);
    await fs.lutimes(abs, mtime, mtime).catch(() => undefined);
  }

  /** A hard link to a file this run wrote (never to anything else on the host). */
  async hardlink(rel: string, existing: string): Promise<void> {
    if (!this.written.has(existing)) throw this.unsafe(rel, `hard link to ${JSON.stringify(existing)}, which this extraction did not write`);
    const parts = this.parts(rel);
    await this.parents(rel, parts);
    const abs = join(this.root, rel);
    const src = join(this.root, existing);
    const st = await this.lstat(src);
    if (!st?.isFile()) throw this.unsafe(rel, `hard link target ${JSON.stringify(existing)} is no longer a regular file`);
    await this.clear(rel, abs);
    await fs.link(src, abs);
    this.written.add(rel);
  }

  /** Apply directory modes and times, deepest first (a read-only directory is filled before it is closed). */
  async finish(): Promise<void> {
    const dirs = [...this.dirMeta].sort(([a], [b]) => b.split('/').length - a.split('/').length);
    for (const [rel, { mode, mtime }] of dirs) {
      const abs = join(this.root, rel);
      const st = await this.lstat(abs);
      if (!st?.isDirectory()) continue;
      await fs.chmod(abs, (mode & 0o1777) | 0o700);
      await fs.utimes(abs, mtime, mtime);
    }
  }
}
