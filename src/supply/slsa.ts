import { isRecord, str } from './problem.js';

/** SLSA provenance predicates (slsa.dev/provenance v0.2 and v1). */
export const SLSA_V02 = 'https://slsa.dev/provenance/v0.2';
export const SLSA_V1 = 'https://slsa.dev/provenance/v1';

export function isProvenance(predicateType: string): boolean {
  return predicateType === SLSA_V02 || predicateType === SLSA_V1 || predicateType.startsWith('https://slsa.dev/provenance/');
}

/** What a reviewer asks of provenance first: who built it, from what, how. */
export interface ProvenanceSummary {
  slsaVersion: string;
  builderId: string | null;
  buildType: string | null;
  sourceRepo: string | null;
  sourceCommit: string | null;
  /** build arguments by name (BuildKit's `build-arg:` prefix removed) */
  buildArgs: Record<string, string>;
  startedOn: string | null;
  finishedOn: string | null;
}

const obj = (v: unknown): Record<string, unknown> => (isRecord(v) ? v : {});

/** A git commit from a digest set: sha1 (BuildKit, v0.2) or gitCommit (SLSA v1 resource descriptors). */
function commitOf(d: unknown): string | null {
  const o = obj(d);
  return str(o.gitCommit) ?? str(o.sha1) ?? null;
}

/** BuildKit's `args`: `build-arg:X` are the build arguments; other keys (labels, target) are not. */
function buildArgs(args: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  const o = obj(args);
  const keys = Object.keys(o);
  const prefixed = keys.some((k) => k.startsWith('build-arg:'));
  for (const k of keys) {
    const v = o[k];
    if (typeof v !== 'string') continue;
    if (prefixed && !k.startsWith('build-arg:')) continue;
    out[prefixed ? k.slice('build-arg:'.length) : k] = v;
  }
  return out;
}

/** The first material/dependency that is a git source, when the configSource says nothing. */
function gitMaterial(list: unknown): { uri: string; commit: string | null } | null {
  if (!Array.isArray(list)) return null;
  for (const m of list) {
    const o = obj(m);
    const uri = str(o.uri);
    const commit = commitOf(o.digest);
    if (uri && (commit || /^git\+|\.git\b|^https:\/\/github\.com\//.test(uri))) return { uri, commit };
  }
  return null;
}

export function summarizeProvenance(predicateType: string, predicate: unknown): ProvenanceSummary {
  const p = obj(predicate);
  if (predicateType === SLSA_V1 || isRecord(p.buildDefinition)) {
    const def = obj(p.buildDefinition);
    const run = obj(p.runDetails);
    const ext = obj(def.externalParameters);
    const cs = obj(ext.configSource ?? ext.source);
    const wf = obj(ext.workflow); // GitHub Actions build type
    const dep = gitMaterial(def.resolvedDependencies);
    const meta = obj(run.metadata);
    return {
      slsaVersion: '1',
      builderId: str(obj(run.builder).id),
      buildType: str(def.buildType),
      sourceRepo: str(cs.uri) ?? str(wf.repository) ?? dep?.uri ?? null,
      sourceCommit: commitOf(cs.digest) ?? dep?.commit ?? null,
      buildArgs: buildArgs(obj(ext.request).args ?? ext.buildArgs ?? ext.args),
      startedOn: str(meta.startedOn),
      finishedOn: str(meta.finishedOn),
    };
  }
  const inv = obj(p.invocation);
  const cs = obj(inv.configSource);
  const mat = gitMaterial(p.materials);
  const meta = obj(p.metadata);
  return {
    slsaVersion: predicateType.replace(/^https:\/\/slsa\.dev\/provenance\/v?/, '') || '0.2',
    builderId: str(obj(p.builder).id),
    buildType: str(p.buildType),
    sourceRepo: str(cs.uri) ?? mat?.uri ?? null,
    sourceCommit: commitOf(cs.digest) ?? mat?.commit ?? null,
    buildArgs: buildArgs(obj(inv.parameters).args),
    startedOn: str(meta.buildStartedOn),
    finishedOn: str(meta.buildFinishedOn),
  };
}
