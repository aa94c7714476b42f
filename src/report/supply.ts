import type { AttachedItem } from '../supply/attached.js';
import type { SignatureCheck } from '../supply/signatures.js';

/**
 * `report`'s supply-chain section: what travels with the image (attached),
 * its signatures as verify judges them (unchecked without --key/--trusted-root),
 * provenance and SBOM summaries. A plain object; html.ts renders it.
 */
export interface SupplySection {
  signatures: {
    found: number;
    verified: number;
    /** true when keys, keyrings or a trusted root were given (else every signature is unchecked) */
    checked: boolean;
    items: { scheme: string; kind: string; how: string; document: string | null; status: string; why: string; identity: string | null }[];
  };
  provenance: {
    document: string | null; how: string; slsaVersion: string; builderId: string | null; buildType: string | null;
    sourceRepo: string | null; sourceCommit: string | null; startedOn: string | null; finishedOn: string | null;
    subjectMatches: string | null; buildArgs: Record<string, string>; secretBuildArgs: string[];
  }[];
  sboms: { document: string | null; how: string; format: string; version: string; packages: number; generators: string[]; name: string | null }[];
  /** other attestations and artifacts, by kind */
  other: Record<string, number>;
  problems: string[];
}

export function supplySection(items: AttachedItem[], checks: SignatureCheck[], checked: boolean): SupplySection {
  const other: Record<string, number> = {};
  for (const i of items) if (i.kind === 'attestation' || i.kind === 'artifact') other[i.kind] = (other[i.kind] ?? 0) + 1;
  return {
    signatures: {
      found: checks.length,
      verified: checks.filter((c) => c.status === 'verified').length,
      checked,
      items: checks.map((c) => ({
        scheme: c.scheme, kind: c.kind, how: c.how, document: c.document, status: c.status, why: c.why,
        identity: c.identity ? `${c.identity.san.join(', ')} (issuer ${c.identity.issuer ?? 'unknown'})` : c.key ? `${c.key.path} (${c.key.algorithm})` : null,
      })),
    },
    provenance: items.filter((i) => i.provenance).map((i) => {
      const p = i.provenance!;
      return {
        document: i.digest, how: i.how, slsaVersion: p.slsaVersion, builderId: p.builderId, buildType: p.buildType, sourceRepo: p.sourceRepo,
        sourceCommit: p.sourceCommit, startedOn: p.startedOn, finishedOn: p.finishedOn, subjectMatches: p.subjectMatches,
        buildArgs: p.buildArgs, secretBuildArgs: p.secretBuildArgs,
      };
    }),
    sboms: items.filter((i) => i.sbom).map((i) => ({
      document: i.digest, how: i.how, format: i.sbom!.format, version: i.sbom!.version, packages: i.sbom!.packages, generators: i.sbom!.generators, name: i.sbom!.name,
    })),
    other,
    problems: items.flatMap((i) => i.problems.map((p) => `${i.kind} ${i.digest ?? i.member}: ${p}`)),
  };
}
