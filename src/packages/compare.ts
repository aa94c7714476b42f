import { compareVersions } from './version.js';
import { packageKey, type Package } from './model.js';

type Versioned = Pick<Package, 'ecosystem' | 'name' | 'arch' | 'version'>;

/** Two images' packages side by side: what B adds, removes, upgrades or downgrades relative to A. */
export type PackageDiffChange = 'added' | 'removed' | 'upgraded' | 'downgraded' | 'changed';

export interface PackageDiff {
  change: PackageDiffChange;
  ecosystem: Package['ecosystem'];
  name: string;
  arch: string;
  /** versions in A and in B (several when a name is installed in several versions) */
  a: string[];
  b: string[];
}

export function comparePackages(a: readonly Versioned[], b: readonly Versioned[]): PackageDiff[] {
  const group = (ps: readonly Versioned[]) => {
    const m = new Map<string, Versioned[]>();
    for (const p of ps) m.set(packageKey(p), [...(m.get(packageKey(p)) ?? []), p]);
    return m;
  };
  const ga = group(a);
  const gb = group(b);
  const out: PackageDiff[] = [];
  for (const key of new Set([...ga.keys(), ...gb.keys()])) {
    const pa = ga.get(key) ?? [];
    const pb = gb.get(key) ?? [];
    const va = pa.map((p) => p.version).sort();
    const vb = pb.map((p) => p.version).sort();
    if (va.join('\0') === vb.join('\0')) continue;
    const p = (pa[0] ?? pb[0])!;
    let change: PackageDiffChange = 'changed';
    if (va.length === 0) change = 'added';
    else if (vb.length === 0) change = 'removed';
    else if (va.length === 1 && vb.length === 1) {
      const c = compareVersions(p.ecosystem, vb[0]!, va[0]!);
      change = c > 0 ? 'upgraded' : c < 0 ? 'downgraded' : 'changed';
    }
    out.push({ change, ecosystem: p.ecosystem, name: p.name, arch: p.arch, a: va, b: vb });
  }
  return out.sort((x, y) => x.ecosystem.localeCompare(y.ecosystem) || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0) || (x.arch < y.arch ? -1 : 1));
}

/** Per ecosystem, how many packages each kind of change touched (every kind present, 0 when none). */
export function diffSummary(changes: readonly PackageDiff[]): Record<string, Record<PackageDiffChange, number>> {
  const out: Record<string, Record<PackageDiffChange, number>> = {};
  for (const c of changes) {
    const s = (out[c.ecosystem] ??= { added: 0, removed: 0, upgraded: 0, downgraded: 0, changed: 0 });
    s[c.change]++;
  }
  return out;
}
