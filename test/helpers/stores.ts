import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Unpack a packed image store (a data-root, a containerd root, a podman store) into `dir` with
 * GNU tar, keeping what makes it a store: 0/0 character devices (overlay whiteouts), trusted.*
 * xattrs (opaque directories) and numeric owners. Needs root for the first two.
 */
export function unpackStore(tgz: string, dir: string): string {
  mkdirSync(dir, { recursive: true });
  execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '-xzf', tgz, '-C', dir]);
  return dir;
}

export interface StoreInput { driver: string; kind: string; path: string }

/**
 * The forms a test reads one packed store in: the `.tar.gz` itself, optionally a plain
 * `.tar` of it, and (as root: whiteouts and trusted.* xattrs need it) the unpacked directory.
 */
export function storeForms(tgz: string, driver: string, tmp: string, o: { plain?: boolean; root: boolean; label?: string }): StoreInput[] {
  const label = o.label ?? '';
  const out: StoreInput[] = [{ driver, kind: `${label}tar.gz`, path: tgz }];
  const base = join(tmp, `${driver}${label ? `-${label.trim()}` : ''}`);
  if (o.plain) {
    execFileSync('sh', ['-c', `gzip -dc "${tgz}" > "${base}.tar"`]);
    out.push({ driver, kind: `${label}tar`, path: `${base}.tar` });
  }
  if (o.root) out.push({ driver, kind: `${label}dir`, path: unpackStore(tgz, `${base}.dir`) });
  return out;
}
