import { describe, expect, it } from 'vitest';
import type { ImageSummary } from '../src/analysis/summary.js';
import { noneAll, noneFor, rankCandidates } from '../src/analysis/none.js';
import { code, d, EMPTY, img, L0, L1, L2, L3, L4 } from './helpers/summaries.js';

describe('none', () => {
  const base = img('base:1', [L0, L1]);
  const app1 = img('app:1', [L0, L1, L3]);
  const old = img(null, [L0, L1, L2]);
  const sameElsewhere = { ...old, archive: 'tagged-copy.tar', repoTags: ['app:old'] };
  const setOnly = img('shuffled:1', [L4, L2]);

  it('ranks an identical tagged image ID first (definitive)', () => {
    const [r] = noneFor(old.id.slice(7, 19), [old, base, app1, sameElsewhere]);
    expect(r!.image).toBe(old);
    expect(r!.candidates[0]).toMatchObject({ sameId: true, sharedPrefix: 3, names: ['app:old'], archives: ['tagged-copy.tar'] });
  });

  it('then by chain prefix, then by diffIDs as a set, then platform', () => {
    const arm = img('app:arm', [L0, L1, L4], { platform: 'linux/arm64' });
    const r = rankCandidates(old, [old, base, app1, setOnly, arm], 10);
    // app:1, base:1 and app:arm tie on prefix and set; the platform puts app:arm last of them
    expect(r.candidates.map((c) => c.names[0])).toEqual(['app:1', 'base:1', 'app:arm', 'shuffled:1']);
    expect(r.candidates[0]).toMatchObject({ sameId: false, sharedPrefix: 2, sharedSet: 2, samePlatform: true });
    expect(r.candidates[2]).toMatchObject({ sharedPrefix: 2, sharedSet: 2, samePlatform: false });
    expect(r.candidates[3]).toMatchObject({ sharedPrefix: 0, sharedSet: 1 });
  });

  it('the same image ID in several archives is one candidate; unrelated images are none', () => {
    const copy = { ...app1, archive: 'copy.tar', repoTags: ['app:copy'] };
    const stranger = img('stranger:1', [L4]);
    const r = rankCandidates(old, [old, app1, copy, stranger], 10);
    expect(r.candidates).toHaveLength(1);
    expect(r.candidates[0]!.names).toEqual(['app:1', 'app:copy']);
    expect(r.candidates[0]!.archives.sort()).toEqual(['app:1.tar', 'copy.tar']);
  });

  it('well-known empty layers do not count in the shared set', () => {
    const a = img(null, [L0, EMPTY]);
    const b = img('b:1', [L4, EMPTY]);
    expect(rankCandidates(a, [a, b]).candidates).toHaveLength(0);
  });

  it('--all: every untagged image; a prefix of two image IDs is ambiguous', () => {
    const other = img(null, [L4]);
    expect(noneAll([old, base, other]).map((r) => r.image)).toEqual([old, other]);
    // two images whose IDs share a first hex digit
    const twins: ImageSummary[] = [];
    for (let k = 0; twins.length < 2; k++) {
      const c = img(null, [d(`t${k}`)]);
      if (c.id[7] === old.id[7]) twins.push(c);
    }
    expect(code(() => noneFor(old.id[7]!, [old, ...twins]))).toBe('E_AMBIGUOUS');
    expect(code(() => noneFor('sha256:', [old, other]))).toBe('E_USAGE');
    expect(code(() => noneFor('ffffffffffff', [old, other]))).toBe('E_NOT_FOUND');
  });
});
