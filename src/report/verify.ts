import { isDigest, shortId } from '../digest.js';
import type { Check } from '../analysis/verify.js';
import type { VerifyReport } from '../app/verify.js';
import { table } from './table.js';

/** `verify --json`: exactly `{archive, ok, images: [{id, ok, checks: [{check, subject, expected, actual, ok}]}], artifacts, blobs, notes}`. */
export function verifyDocument(r: VerifyReport) {
  return {
    archive: r.archive,
    ok: r.ok,
    images: r.images.map((i) => ({
      id: i.id,
      ok: i.ok,
      checks: i.checks.map((c) => ({ check: c.check, subject: c.subject, expected: c.expected, actual: c.actual, ok: c.ok })),
    })),
    artifacts: r.artifacts,
    blobs: r.blobs,
    notes: r.notes,
  };
}

function cell(v: Check['expected'], full: boolean): string {
  if (v === null) return '-';
  if (typeof v === 'string' && isDigest(v) && !full) return shortId(v);
  return String(v);
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

const STATUS = { verified: 'verified', mismatch: 'MISMATCH', unreadable: 'COULD NOT READ' } as const;

/** One line per failed check, then a summary line per archive. */
export function renderVerify(reports: VerifyReport[], full: boolean): string {
  const out: string[] = [];
  for (const r of reports) {
    const all = r.images.flatMap((i) => i.checks.map((c) => ({ id: i.id, c })));
    const failed = all.filter(({ c }) => !c.ok);
    if (failed.length) {
      out.push(table(['IMAGE', 'CHECK', 'MEMBER', 'EXPECTED', 'ACTUAL'],
        failed.map(({ id, c }) => [id ? shortId(id) : '(archive)', c.check, c.subject, cell(c.expected, full), cell(c.actual, full)])));
    }
    const images = r.images.filter((i) => i.id !== null).length;
    const counts = failed.length ? `${failed.length} of ${all.length} checks failed` : `${all.length} checks passed`;
    const what = [plural(images, 'image'), plural(r.artifacts, 'artifact'), `${plural(r.blobs, 'blob')} ${r.status === 'verified' ? 'verified' : 'checked'}`];
    out.push(`${r.archive}: ${STATUS[r.status]}: ${counts} (${what.join(', ')})`);
  }
  if (reports.length > 1) {
    const n = (s: VerifyReport['status']) => reports.filter((r) => r.status === s).length;
    out.push(`${reports.length} archives: ${n('verified')} verified, ${n('mismatch')} with mismatches, ${n('unreadable')} could not be read`);
  }
  return out.join('\n');
}
