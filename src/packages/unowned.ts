import type { Node } from '../analysis/filetree.js';
import { resolveLink } from '../layer/image-path.js';
import type { Package } from './model.js';

/**
 * Regular files of the final image that no installed package owns: dropped
 * binaries, vendored libraries, build leftovers. A package's paths are
 * canonicalised through the image's symlinked directories first (usr-merged
 * Debian lists `/bin/bash`, the layer stores `usr/bin/bash`). The package
 * managers' own database directories are left out: they are never owned.
 */
export interface UnownedFile { path: string; layerIndex: number; size: number }

const DB_DIRS = ['var/lib/dpkg/', 'lib/apk/db/', 'var/lib/rpm/', 'usr/lib/sysimage/rpm/'];
const MAX_LINKS = 40;

/** The path with every symlinked parent directory replaced by what it points at (the last component kept). */
export function canonicalParent(final: ReadonlyMap<string, Node>, path: string): string {
  let parts = path.split('/').filter(Boolean);
  let links = 0;
  for (let i = 0; i < parts.length - 1; i++) {
    const prefix = parts.slice(0, i + 1).join('/');
    const n = final.get(prefix);
    if (n?.entry.type !== 'symlink' || n.entry.linkTarget === null) continue;
    if (++links > MAX_LINKS) return path;
    const resolved = resolveLink(prefix, n.entry.linkTarget, parts.slice(i + 1).join('/'));
    parts = resolved.split('/').filter(Boolean);
    i = -1; // start over: the target may itself go through links
  }
  return parts.join('/');
}

export function unownedFiles(final: ReadonlyMap<string, Node>, packages: readonly Package[]): UnownedFile[] {
  const owned = new Set<string>();
  for (const p of packages) for (const f of p.files) owned.add(canonicalParent(final, f));
  const out: UnownedFile[] = [];
  for (const [path, n] of final) {
    if (n.entry.type !== 'file' && n.entry.type !== 'hardlink') continue;
    if (owned.has(path) || DB_DIRS.some((d) => path.startsWith(d))) continue;
    out.push({ path, layerIndex: n.layerIndex, size: n.entry.type === 'file' ? n.entry.size : n.linkedTo?.entry.size ?? 0 });
  }
  return out.sort((a, b) => a.layerIndex - b.layerIndex || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
