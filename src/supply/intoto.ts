import { isRecord, str, SupplyProblem } from './problem.js';

/** in-toto attestation framework statements (v0.1 as BuildKit writes, v1). */
export const STATEMENT_TYPES: readonly string[] = ['https://in-toto.io/Statement/v0.1', 'https://in-toto.io/Statement/v1'];

export interface Subject {
  name: string;
  /** algorithm → hex, as the statement writes it */
  digest: Record<string, string>;
}

export interface Statement {
  type: string;
  predicateType: string;
  subjects: Subject[];
  predicate: unknown;
}

export function decodeStatement(v: unknown): Statement {
  if (!isRecord(v)) throw new SupplyProblem('the in-toto statement is not a JSON object');
  const type = str(v._type);
  if (type === null || !STATEMENT_TYPES.includes(type)) throw new SupplyProblem(`not an in-toto statement (_type ${JSON.stringify(v._type ?? null)})`);
  const predicateType = str(v.predicateType);
  if (predicateType === null) throw new SupplyProblem('the in-toto statement has no predicateType');
  if (!Array.isArray(v.subject) || v.subject.length === 0) throw new SupplyProblem('the in-toto statement has no subject');
  const subjects = v.subject.map((s, i) => {
    if (!isRecord(s) || !isRecord(s.digest)) throw new SupplyProblem(`the in-toto statement's subject[${i}] has no digest`);
    const digest: Record<string, string> = {};
    for (const [k, d] of Object.entries(s.digest)) if (typeof d === 'string') digest[k] = d.toLowerCase();
    return { name: str(s.name) ?? '', digest };
  });
  return { type, predicateType, subjects, predicate: v.predicate };
}

/** Which of the image's digests a statement is about, if any (`sha256:<hex>` in, `manifest`/`config` out). */
export function subjectMatch(st: Statement, image: { manifest: string; config: string }): 'manifest' | 'config' | null {
  const hexes = st.subjects.map((s) => s.digest.sha256).filter((h): h is string => !!h);
  if (hexes.includes(image.manifest.replace(/^sha256:/, ''))) return 'manifest';
  if (hexes.includes(image.config.replace(/^sha256:/, ''))) return 'config';
  return null;
}

export function subjectDigests(st: Statement): string[] {
  return st.subjects.flatMap((s) => Object.entries(s.digest).map(([a, h]) => `${a}:${h}`));
}
