import { compareVersions, type Ecosystem } from './version.js';

/**
 * `--find 'openssl<3.0.12'`: a package name, optionally `deb:`/`rpm:`/`apk:`
 * first, then any number of comma-separated constraints (`>=3.0,<3.0.12`),
 * each compared by the package's own ecosystem rules.
 */
export type Op = '<' | '<=' | '=' | '>=' | '>' | '!=';
export interface PackageQuery { ecosystem: Ecosystem | null; name: string; constraints: { op: Op; version: string }[] }

const OP = /^(<=|>=|!=|==|=|<|>)\s*(.+)$/;

export function parsePackageQuery(s: string): PackageQuery {
  let rest = s.trim();
  let ecosystem: Ecosystem | null = null;
  const eco = /^(deb|rpm|apk):/.exec(rest);
  if (eco) {
    ecosystem = eco[1] as Ecosystem;
    rest = rest.slice(eco[0].length);
  }
  const other = /^([A-Za-z][\w.-]*):/.exec(rest);
  if (!ecosystem && other && !/[<>=!]/.test(other[1]!)) throw new Error(`"${other[1]}:" in "${s}" is no ecosystem layerdig knows: use deb:, rpm: or apk: (or none)`);
  const at = rest.search(/[<>=!]/);
  const name = (at < 0 ? rest : rest.slice(0, at)).trim();
  if (!name || /[\s,]/.test(name)) throw new Error(`"${s}" names no package: write NAME, NAME<VERSION or NAME>=A,<B`);
  const constraints: PackageQuery['constraints'] = [];
  if (at >= 0) {
    for (const part of rest.slice(at).split(',')) {
      const m = OP.exec(part.trim());
      if (!m || !m[2]!.trim()) throw new Error(`"${part.trim()}" in "${s}" is not a constraint: use <, <=, =, >=, > or != and a version`);
      // the characters dpkg, rpm and apk versions are made of (deb-version(7), rpm's rpmvercmp, apk's version.c)
      if (!/^[A-Za-z0-9.+~^:_-]+$/.test(m[2]!.trim())) throw new Error(`"${m[2]!.trim()}" in "${s}" is not a version: a version is letters, digits and . + ~ ^ : _ -`);
      constraints.push({ op: (m[1] === '==' ? '=' : m[1]) as Op, version: m[2]!.trim() });
    }
  }
  return { ecosystem, name, constraints };
}

export function matchesQuery(q: PackageQuery, p: { ecosystem: Ecosystem; name: string; version: string }): boolean {
  if (p.name !== q.name || (q.ecosystem !== null && q.ecosystem !== p.ecosystem)) return false;
  return q.constraints.every(({ op, version }) => {
    const c = compareVersions(p.ecosystem, p.version, version);
    switch (op) {
      case '<': return c < 0;
      case '<=': return c <= 0;
      case '=': return c === 0;
      case '>=': return c >= 0;
      case '>': return c > 0;
      case '!=': return c !== 0;
    }
  });
}
