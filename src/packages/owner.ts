import type { Node } from '../analysis/filetree.js';
import type { Package } from './model.js';
import { canonicalParent } from './unowned.js';

/**
 * Which installed package owns a path, as `dpkg -S` / `rpm -qf` answer it:
 * every package whose file list names the path (a directory is often owned
 * by several). A listed path is also matched at the place the image stores
 * it: on a usr-merged image dpkg lists `/bin/bash` and the layer stores
 * `usr/bin/bash`, so both names answer `bash`.
 */
export interface Owner { ecosystem: Package['ecosystem']; name: string; version: string; arch: string }

export type OwnerLookup = (path: string) => Owner[];

export function ownerIndex(final: ReadonlyMap<string, Node>, packages: readonly Package[]): OwnerLookup {
  const by = new Map<string, Owner[]>();
  const add = (path: string, o: Owner) => {
    const list = by.get(path);
    if (!list) by.set(path, [o]);
    else if (!list.includes(o)) list.push(o);
  };
  for (const p of packages) {
    const o: Owner = { ecosystem: p.ecosystem, name: p.name, version: p.version, arch: p.arch };
    for (const f of p.files) {
      add(f, o);
      const c = canonicalParent(final, f);
      if (c !== f) add(c, o);
    }
  }
  for (const list of by.values()) list.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : a.ecosystem < b.ecosystem ? -1 : a.ecosystem > b.ecosystem ? 1 : 0));
  return (path) => by.get(path.replace(/^\/+|\/+$/g, '')) ?? [];
}

/** `--json`: the owner (the first by name when several own the path) or null, and all of them when several do. */
export function ownerJson(owners: readonly Owner[]): { package: Owner | null; owners?: Owner[] } {
  return owners.length > 1 ? { package: owners[0]!, owners: [...owners] } : { package: owners[0] ?? null };
}

/** Text: the owners' names as `dpkg -S` prints them (`a, b`), `-` for none. */
export const ownerCell = (owners: readonly Owner[]) => (owners.length ? owners.map((o) => o.name).join(', ') : '-');
