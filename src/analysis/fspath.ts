import type { Node } from './filetree.js';

/**
 * Paths inside an image, as a user types them and as the image's own symlinks
 * name them. Pure: a lookup function stands for the tree.
 */

/** `/etc/`, `./etc`, `etc` → `etc`; `/`, `.`, `` → `` (the root). Keeps `..` for the resolver. */
export function normalizeImagePath(p: string): string {
  const parts = p.split('/').filter((c) => c !== '' && c !== '.');
  return parts.join('/');
}

export const MAX_SYMLINK_HOPS = 40;

export type Resolved =
  | { ok: true; path: string; node: Node | null }
  | { ok: false; reason: 'missing' | 'not-a-directory' | 'loop'; at: string };

/**
 * Resolve `path` in an image tree the way the kernel would inside the image's
 * root: absolute symlink targets start at the image root, `..` never climbs
 * above it (as in a chroot), at most MAX_SYMLINK_HOPS links are followed.
 * With `followLast` false, a symlink as the last component is returned itself
 * (lstat); intermediate symlinks are always followed. The root is `{path: '', node: null}`.
 */
export function resolveImagePath(lookup: (p: string) => Node | undefined, path: string, followLast = true): Resolved {
  const queue = path.split('/').filter((c) => c !== '' && c !== '.');
  const cur: string[] = [];
  let hops = 0;
  let node: Node | null = null;
  while (queue.length) {
    const c = queue.shift()!;
    if (c === '..') {
      cur.pop();
      node = cur.length ? lookup(cur.join('/')) ?? null : null;
      continue;
    }
    const candidate = [...cur, c].join('/');
    const n = lookup(candidate);
    if (!n) return { ok: false, reason: 'missing', at: candidate };
    const last = queue.length === 0;
    if (n.entry.type === 'symlink' && (!last || followLast)) {
      if (++hops > MAX_SYMLINK_HOPS) return { ok: false, reason: 'loop', at: candidate };
      const target = n.entry.linkTarget ?? '';
      if (target.startsWith('/')) cur.length = 0;
      queue.unshift(...target.split('/').filter((x) => x !== '' && x !== '.'));
      node = cur.length ? lookup(cur.join('/')) ?? null : null;
      continue;
    }
    if (!last && n.entry.type !== 'dir') return { ok: false, reason: 'not-a-directory', at: candidate };
    cur.push(c);
    node = n;
  }
  return { ok: true, path: cur.join('/'), node: cur.length ? node : null };
}

/** True when `p` is `root` or lies under it (`root` '' is the whole tree). */
export function isUnder(p: string, root: string): boolean {
  return root === '' || p === root || p.startsWith(`${root}/`);
}

/**
 * Where a symlink at `linkPath` points, relative to the image root, without
 * clamping: null when a relative target climbs above the root (on the host it
 * would leave the directory that stands for the root).
 */
export function symlinkTargetInRoot(linkPath: string, target: string): string | null {
  const parts = target.startsWith('/') ? [] : linkPath.split('/').slice(0, -1);
  for (const c of target.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(c);
  }
  return parts.join('/');
}

/** A relative symlink target that reaches `target` (root-relative) from the directory of `linkPath`. */
export function relativeLinkTarget(linkPath: string, target: string): string {
  const from = linkPath.split('/').slice(0, -1);
  const to = target === '' ? [] : target.split('/');
  let i = 0;
  while (i < from.length && i < to.length && from[i] === to[i]) i++;
  const up = from.length - i;
  const rest = to.slice(i);
  const parts = [...Array<string>(up).fill('..'), ...rest];
  return parts.length ? parts.join('/') : '.';
}
