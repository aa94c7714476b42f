import { isRecord, str } from './problem.js';

/** SBOM documents: SPDX 2.2/2.3 JSON and CycloneDX 1.4+ JSON, bare or as an in-toto predicate. */
export const SBOM_PREDICATES: readonly string[] = ['https://spdx.dev/Document', 'https://cyclonedx.org/bom'];

export function isSbomPredicate(t: string): boolean {
  return SBOM_PREDICATES.some((p) => t === p || t.startsWith(`${p}/`));
}

export interface SbomSummary {
  format: 'SPDX' | 'CycloneDX';
  /** `2.3`, `1.5` */
  version: string;
  name: string | null;
  /** the tools that wrote it */
  generators: string[];
  created: string | null;
  /** SPDX packages; CycloneDX components, nested ones included */
  packages: number;
}

function countComponents(list: unknown, depth = 0): number {
  if (!Array.isArray(list) || depth > 64) return 0;
  return list.reduce<number>((n, c) => n + 1 + (isRecord(c) ? countComponents(c.components, depth + 1) : 0), 0);
}

/** CycloneDX 1.4 `tools` is a list; 1.5 made it an object of components and services. */
function cdxTools(tools: unknown): string[] {
  const list = Array.isArray(tools) ? tools
    : isRecord(tools) ? [...(Array.isArray(tools.components) ? tools.components : []), ...(Array.isArray(tools.services) ? tools.services : [])]
      : [];
  return list.flatMap((t) => {
    if (!isRecord(t) || typeof t.name !== 'string') return [];
    return [typeof t.version === 'string' ? `${t.name}@${t.version}` : t.name];
  });
}

/** The SBOM a JSON value is, or null when it is neither SPDX 2.x nor CycloneDX 1.4+. */
export function recognizeSbom(v: unknown): SbomSummary | null {
  if (!isRecord(v)) return null;
  const spdx = str(v.spdxVersion);
  if (spdx && /^SPDX-2\.\d+$/.test(spdx)) {
    const info = isRecord(v.creationInfo) ? v.creationInfo : {};
    const creators = Array.isArray(info.creators) ? info.creators.filter((c): c is string => typeof c === 'string') : [];
    const tools = creators.filter((c) => c.startsWith('Tool:')).map((c) => c.slice(5).trim());
    return {
      format: 'SPDX', version: spdx.slice(5), name: str(v.name),
      generators: tools.length ? tools : creators, created: str(info.created),
      packages: Array.isArray(v.packages) ? v.packages.length : 0,
    };
  }
  const spec = str(v.specVersion);
  if (v.bomFormat === 'CycloneDX' && spec && /^1\.(\d+)$/.test(spec) && Number(spec.slice(2)) >= 4) {
    const meta = isRecord(v.metadata) ? v.metadata : {};
    const comp = isRecord(meta.component) ? meta.component : {};
    return {
      format: 'CycloneDX', version: spec, name: str(comp.name), generators: cdxTools(meta.tools),
      created: str(meta.timestamp), packages: countComponents(v.components),
    };
  }
  return null;
}
