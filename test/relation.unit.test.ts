import { describe, expect, it } from 'vitest';
import { relation, resolveLayerId } from '../src/analysis/relation.js';
import { LayerdigError } from '../src/errors.js';
import { code, EMPTY, img, L0, L1, L2, L3, L4 } from './helpers/summaries.js';

describe('relation', () => {
  const base = img('base:1', [L0, L1]);
  const app1 = img('app:1', [L0, L1, L2]);
  const app2 = img('app:2', [L0, L1, L3], { archive: 'other.tar' });
  // L1's content on another base: the same diffID on a different chain
  const stranger = img('stranger:1', [L4, L1]);
  const pool = [base, app1, app2, stranger];

  it('resolves a full id, a bare hex id and a 12-hex prefix, of any kind', () => {
    expect(resolveLayerId(L2, pool)).toBe(L2);
    expect(resolveLayerId(L2.slice(7), pool)).toBe(L2);
    expect(resolveLayerId(L2.slice(7, 19).toUpperCase(), pool)).toBe(L2);
    const chain = app1.layers[2]!.chainId;
    expect(resolveLayerId(`sha256:${chain.slice(7, 19)}`, pool)).toBe(chain);
  });

  it('an ambiguous prefix is E_AMBIGUOUS listing every candidate; an unknown one E_NOT_FOUND; non-hex E_USAGE', () => {
    let err: LayerdigError | null = null;
    try {
      resolveLayerId('sha256:', pool);
    } catch (e) {
      err = e as LayerdigError;
    }
    // no hex at all is not an id
    expect(err?.code).toBe('E_USAGE');
    const ids = new Set(pool.flatMap((s) => s.layers.flatMap((l) => [l.diffId, l.chainId])));
    const first = [...ids].map((x) => x[7]!);
    const shared = first.find((c, i) => first.indexOf(c) !== i)!;
    try {
      resolveLayerId(shared, pool);
    } catch (e) {
      err = e as LayerdigError;
    }
    expect(err?.code).toBe('E_AMBIGUOUS');
    expect(err!.candidates.length).toBe([...ids].filter((x) => x[7] === shared).length);
    expect(code(() => resolveLayerId('0000000000000000', pool))).toBe('E_NOT_FOUND');
    expect(code(() => resolveLayerId('xyz', pool))).toBe('E_USAGE');
  });

  it('tells shared ancestry (same chainID) from content only', () => {
    const r = relation(L1.slice(7, 19), pool);
    expect(r.id).toBe(L1);
    const by = new Map(r.matches.map((m) => [m.image.repoTags[0], m]));
    expect([...by.keys()].sort()).toEqual(['app:1', 'app:2', 'base:1', 'stranger:1']);
    for (const n of ['base:1', 'app:1', 'app:2']) {
      expect(by.get(n)).toMatchObject({ layerIndex: 1, matchedOn: ['diffID', 'digest'], sameChain: true, chainGroup: 1, weak: false });
    }
    expect(by.get('stranger:1')).toMatchObject({ layerIndex: 1, sameChain: false, chainGroup: 2 });
  });

  it('layer 0: the chainID is the diffID, so both kinds match', () => {
    const r = relation(L0, pool);
    expect(r.matches.every((m) => m.matchedOn.includes('diffID') && m.matchedOn.includes('chainID'))).toBe(true);
    expect(r.matches).toHaveLength(3);
  });

  it('a chainID query matches only that chain', () => {
    const r = relation(app1.layers[1]!.chainId, pool);
    expect(r.matches.map((m) => m.image.repoTags[0]).sort()).toEqual(['app:1', 'app:2', 'base:1']);
    expect(r.matches.every((m) => m.matchedOn.join() === 'chainID' && m.sameChain)).toBe(true);
  });

  it('the empty layer is a weak match', () => {
    const a = img('a:1', [L0, EMPTY]);
    const b = img('b:1', [L4, EMPTY]);
    const r = relation(EMPTY, [a, b]);
    expect(r.matches.every((m) => m.weak && !m.sameChain)).toBe(true);
  });
});
