import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';

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
