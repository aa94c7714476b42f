import type { LayerEntry } from '../layer/entry.js';
import { compareVersions } from './version.js';
import { packageKey, type Package } from './model.js';

/**
 * Who did what to each package: compare the package sets of consecutive
 * layers. Pure: sets and listings in, events and attributed packages out.
 */
export type PackageChange = 'installed' | 'upgraded' | 'downgraded' | 'reinstalled' | 'removed';

export interface PackageEvent {
  change: PackageChange;
  ecosystem: Package['ecosystem'];
  name: string;
  arch: string;
  /** the version after this layer; null when removed */
  version: string | null;
  /** the version before this layer; null when installed */
  previous: string | null;
  layerIndex: number;
  /** removed packages only: owned regular files still stored in lower layers (hidden, recoverable) */
  recoverable?: { files: number; bytes: number };
}

export interface AttributedPackage extends Omit<Package, 'files'> {
  /** the layer that installed this version */
  layerIndex: number;
  files: number;
  /** earlier versions of this package, oldest first, with the layer that installed each */
  earlier: { version: string; layerIndex: number }[];
}

export interface Attribution {
  packages: AttributedPackage[];
  /** per layer, in layer order */
  events: PackageEvent[][];
}

const byName = (a: { ecosystem: string; name: string; arch: string }, b: typeof a) =>
  a.ecosystem.localeCompare(b.ecosystem) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0);

/** `sets[k]`: the packages as of layer k. `listings[k]`: layer k's entries (for recoverable bytes). */
export function attribute(sets: readonly (readonly Package[])[], listings: readonly (readonly LayerEntry[])[]): Attribution {
  const events: PackageEvent[][] = [];
  let prev = new Map<string, Package>();
  const since = new Map<string, { layerIndex: number; earlier: AttributedPackage['earlier'] }>();
  sets.forEach((set, k) => {
    const cur = new Map(set.map((p) => [packageKey(p), p] as const));
    const out: PackageEvent[] = [];
    const ev = (change: PackageChange, p: Package, version: string | null, previous: string | null): PackageEvent =>
      ({ change, ecosystem: p.ecosystem, name: p.name, arch: p.arch, version, previous, layerIndex: k });
    for (const [key, p] of cur) {
      const before = prev.get(key);
      if (!before) {
        out.push(ev('installed', p, p.version, null));
        since.set(key, { layerIndex: k, earlier: [] });
        continue;
      }
      if (before.version === p.version) continue;
      const c = compareVersions(p.ecosystem, p.version, before.version);
      out.push(ev(c > 0 ? 'upgraded' : c < 0 ? 'downgraded' : 'reinstalled', p, p.version, before.version));
      const s = since.get(key)!;
      since.set(key, { layerIndex: k, earlier: [...s.earlier, { version: before.version, layerIndex: s.layerIndex }] });
    }
    for (const [key, p] of prev) {
      if (cur.has(key)) continue;
      out.push({ ...ev('removed', p, null, p.version), recoverable: recoverable(p.files, listings.slice(0, k)) });
      since.delete(key);
    }
    events.push(out.sort(byName));
    prev = cur;
  });
  const packages = [...prev.entries()].map(([key, p]): AttributedPackage => {
    const s = since.get(key)!;
    return { ecosystem: p.ecosystem, name: p.name, version: p.version, arch: p.arch, source: p.source, layerIndex: s.layerIndex, files: p.files.length, earlier: s.earlier };
  }).sort(byName);
  return { packages, events };
}

/** Regular files of `paths` that some lower layer stores: their latest stored size each. */
function recoverable(paths: readonly string[], lower: readonly (readonly LayerEntry[])[]): { files: number; bytes: number } {
  const want = new Set(paths);
  const found = new Map<string, number>();
  for (const entries of lower) {
    for (const e of entries) if (e.type === 'file' && e.whiteout === undefined && want.has(e.path)) found.set(e.path, e.size);
  }
  let bytes = 0;
  for (const s of found.values()) bytes += s;
  return { files: found.size, bytes };
}
