import { summaryRef } from '../analysis/summary.js';
import type { BaseResult, ClueKind } from '../analysis/base.js';
import { ellipsis, id } from './text.js';
import { summaryLabel } from './summary.js';
import { table } from './table.js';

/** `base --json`: `{image, clues: [{kind, value, evidence, detail}], disagreements}`. */
export function baseReport(r: BaseResult) {
  return {
    image: summaryRef(r.image),
    clues: r.clues.map((c) => ({ kind: c.kind, value: c.value, evidence: c.evidence, detail: c.detail })),
    disagreements: r.disagreements,
  };
}

const CLUE: Record<ClueKind, string> = { annotation: 'annotation', label: 'label', os: 'OS', chain: 'chain prefix', history: 'history' };

export function renderBase(r: BaseResult, full: boolean): string {
  const rows = r.clues.map((c) => [CLUE[c.kind], c.value === null ? '-' : ellipsis(c.value, 60, full), ellipsis(c.evidence, 110, full)]);
  const out = [`IMAGE ${summaryLabel(r.image, (d) => id(d, full))}`, table(['CLUE', 'SAYS', 'EVIDENCE'], rows)];
  if (r.disagreements.length) out.push(`CLUES DISAGREE:\n${r.disagreements.map((d) => `  - ${d}`).join('\n')}`);
  else out.push('the clues that say something agree');
  return out.join('\n');
}
