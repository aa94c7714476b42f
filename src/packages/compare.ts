import { compareVersions } from './version.js';
import { packageKey } from './model.js';
import type { AttributedPackage } from './attribution.js';

/** Two images' packages side by side: what B adds, removes, upgrades or downgrades relative to A. */
export type PackageDiffChange = 'added' | 'removed' | 'upgraded' | 'downgraded' | 'changed';

export interface PackageDiff {
  change: PackageDiffChange;
  ecosystem: AttributedPackage['ecosystem'];
  name: string;
  arch: string;
  /** versions in A and in B (several when a name is installed in several versions) */
  a: string[];
  b: string[];
}

export function comparePackages(a: readonly AttributedPackage[], b: readonly AttributedPackage[]): PackageDiff[] {
  const group = (ps: readonly AttributedPackage[]) => {
    const m = new Map<string, AttributedPackage[]>();
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
