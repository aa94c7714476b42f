import { lstatSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';

/**
 * What tells the catalog an archive is unchanged: its size and mtime. For an
 * image directory (OCI layout, skopeo dir:) it is the total size of its files,
 * the latest mtime of anything in it, and how many entries it has (so a
 * deleted blob counts as a change).
 */
export interface Fingerprint {
  kind: 'file' | 'dir';
  size: number;
  mtimeMs: number;
  entries: number;
}

export function fingerprint(path: string): Fingerprint | null {
  let st;
  try {
    st = statSync(path);
  } catch {
    return null;
  }
  if (!st.isDirectory()) return { kind: 'file', size: st.size, mtimeMs: Math.floor(st.mtimeMs), entries: 1 };
  const fp: Fingerprint = { kind: 'dir', size: 0, mtimeMs: Math.floor(st.mtimeMs), entries: 0 };
  const walk = (dir: string, depth: number) => {
    if (depth > 32) return;
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      let s;
      try {
        s = lstatSync(p);
      } catch {
        continue;
      }
      fp.entries++;
      fp.mtimeMs = Math.max(fp.mtimeMs, Math.floor(s.mtimeMs));
      if (s.isDirectory()) walk(p, depth + 1);
      else if (s.isFile()) fp.size += s.size;
    }
  };
  walk(path, 0);
  return fp;
}

export function sameFingerprint(a: Fingerprint, b: Fingerprint): boolean {
  return a.kind === b.kind && a.size === b.size && a.mtimeMs === b.mtimeMs && a.entries === b.entries;
}

/** `$XDG_CACHE_HOME/layerdig/catalog.db`, else `~/.cache/layerdig/catalog.db` (XDG: a relative XDG_CACHE_HOME is ignored). */
export function defaultDbPath(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env.XDG_CACHE_HOME;
  const cache = xdg && isAbsolute(xdg) ? xdg : join(env.HOME || homedir(), '.cache');
  return join(cache, 'layerdig', 'catalog.db');
}

/** The catalog keys archives by absolute path; answers show them relative to the working directory when inside it. */
export function absolute(p: string): string {
  return resolve(p);
}

export function display(abs: string, cwd = process.cwd()): string {
  const rel = relative(cwd, abs);
  return rel && !rel.startsWith('..') && !isAbsolute(rel) ? rel : abs;
}

/** `abs` is `root` or inside it. */
export function within(abs: string, root: string): boolean {
  return abs === root || abs.startsWith(root.endsWith(sep) ? root : root + sep);
}
