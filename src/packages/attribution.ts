import type { LayerEntry } from '../layer/entry.js';
import { compareVersions } from './version.js';
import { packageKey, type Package } from './model.js';

/**
 * Who did what to each package: compare the package sets of consecutive
 * layers. Pure: sets and listings in, events and attributed packages out.
 * A name can be installed in several versions at once (rpm's installonly
 * kernels, gpg-pubkey entries): a one-for-one version change is an upgrade,
 * downgrade or reinstall; otherwise versions come and go as installs and removals.
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

const byName = (a: { ecosystem: string; name: string; arch: string; version?: string | null }, b: typeof a) =>
  a.ecosystem.localeCompare(b.ecosystem) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || (a.arch < b.arch ? -1 : a.arch > b.arch ? 1 : 0)
  || ((a.version ?? '') < (b.version ?? '') ? -1 : (a.version ?? '') > (b.version ?? '') ? 1 : 0);

type Since = { layerIndex: number; earlier: AttributedPackage['earlier'] };

/** name+arch → version → package */
function grouped(set: readonly Package[]): Map<string, Map<string, Package>> {
  const out = new Map<string, Map<string, Package>>();
  for (const p of set) {
    const k = packageKey(p);
    const g = out.get(k) ?? new Map<string, Package>();
    out.set(k, g);
    g.set(p.version, p);
  }
  return out;
}

/** `sets[k]`: the packages as of layer k. `listings[k]`: layer k's entries (for recoverable bytes). */
export function attribute(sets: readonly (readonly Package[])[], listings: readonly (readonly LayerEntry[])[]): Attribution {
  const events: PackageEvent[][] = [];
  let prev = new Map<string, Map<string, Package>>();
  const since = new Map<string, Since>(); // key \0 version
  sets.forEach((set, k) => {
    const cur = grouped(set);
    const out: PackageEvent[] = [];
    const ev = (change: PackageChange, p: Package, version: string | null, previous: string | null): PackageEvent =>
      ({ change, ecosystem: p.ecosystem, name: p.name, arch: p.arch, version, previous, layerIndex: k });
    for (const key of new Set([...prev.keys(), ...cur.keys()])) {
      const before = prev.get(key) ?? new Map<string, Package>();
      const after = cur.get(key) ?? new Map<string, Package>();
      const gone = [...before.values()].filter((p) => !after.has(p.version));
      const came = [...after.values()].filter((p) => !before.has(p.version));
      if (gone.length === 1 && came.length === 1) {
        const [o, n] = [gone[0]!, came[0]!];
        const c = compareVersions(n.ecosystem, n.version, o.version);
        out.push(ev(c > 0 ? 'upgraded' : c < 0 ? 'downgraded' : 'reinstalled', n, n.version, o.version));
        const s = since.get(`${key}\0${o.version}`)!;
        since.delete(`${key}\0${o.version}`);
        since.set(`${key}\0${n.version}`, { layerIndex: k, earlier: [...s.earlier, { version: o.version, layerIndex: s.layerIndex }] });
        continue;
      }
      for (const p of gone) {
        // files a remaining version of the same package still owns are not hidden
        const kept = new Set([...after.values()].flatMap((q) => q.files));
        out.push({ ...ev('removed', p, null, p.version), recoverable: recoverable(p.files.filter((f) => !kept.has(f)), listings.slice(0, k)) });
        since.delete(`${key}\0${p.version}`);
      }
      for (const p of came) {
        out.push(ev('installed', p, p.version, null));
        since.set(`${key}\0${p.version}`, { layerIndex: k, earlier: [] });
      }
    }
    events.push(out.sort((a, b) => byName(a, b) || a.change.localeCompare(b.change)));
    prev = cur;
  });
  const packages: AttributedPackage[] = [];
  for (const [key, g] of prev) {
    for (const p of g.values()) {
      const s = since.get(`${key}\0${p.version}`)!;
      packages.push({ ecosystem: p.ecosystem, name: p.name, version: p.version, arch: p.arch, source: p.source, layerIndex: s.layerIndex, files: p.files.length, earlier: s.earlier });
    }
  }
  return { packages: packages.sort(byName), events };
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
