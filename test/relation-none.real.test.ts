import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tmp.js';
import { ROOT, run, runJson } from './helpers/cli.js';
import { POOL_DIRS, truthPool, type PoolImage } from './helpers/truth-pool.js';
import { writeDockerArchive } from './helpers/synth-docker.js';

/** Every command runs on the whole truth pool (fixtures/real and fixtures/external) at once. */
const ALL = POOL_DIRS;
const pool = truthPool();

interface ImageRef { archive: string; id: string; repoTags: string[]; refName: string | null }
interface RelationDoc {
  query: string; id: string;
  matches: { image: ImageRef; layerIndex: number; matchedOn: string[]; diffId: string; chainId: string; digest: string | null; sameChain: boolean; chainGroup: number; weak: boolean }[];
}
interface NoneDoc {
  image: ImageRef;
  candidates: { image: ImageRef; sameId: boolean; sharedPrefix: number; sharedSet: number; samePlatform: boolean; names: string[]; archives: string[] }[];
}

/** (archive, image, layer, kinds) for every layer the truth files say holds `id`. */
function expectedHolders(id: string, images: PoolImage[] = pool): string[] {
  const out: string[] = [];
  for (const img of images) {
    img.diffIds.forEach((d, i) => {
      const kinds = [d === id && 'diffID', img.chainIds[i] === id && 'chainID', img.digests[i] === id && 'digest'].filter(Boolean);
      if (kinds.length) out.push(`${img.archive} ${img.id} ${i} ${kinds.join(',')}`);
    });
  }
  return out.sort();
}

const holders = (doc: RelationDoc) => doc.matches.map((m) => `${m.image.archive} ${m.image.id} ${m.layerIndex} ${m.matchedOn.join(',')}`).sort();

const app1 = pool.find((p) => p.archive.endsWith('app1/app1.oci-gzip'))!;
const base = pool.find((p) => p.archive.endsWith('base/base.docker-archive.tar'))!;
const dive = pool.find((p) => p.archive.endsWith('dive/test-docker-image.tar'))!;

describe('relation on the whole truth pool (fixtures/real, fixtures/external)', () => {
  it.each([
    ['a diffID, full with sha256:', () => app1.diffIds[2]!],
    ['a diffID, 64 hex without sha256:', () => app1.diffIds[2]!.slice(7)],
    ['a diffID, 12 hex as `layers` prints it', () => app1.diffIds[2]!.slice(7, 19)],
    ['a chainID, sha256: and 12 hex', () => `sha256:${app1.chainIds[3]!.slice(7, 19)}`],
    ['a gzip blob digest, 16 hex upper case', () => app1.digests[2]!.slice(7, 23).toUpperCase()],
    ['the base layer every real image shares', () => base.diffIds[0]!.slice(7, 19)],
    ['a legacy docker save layer (external/dive)', () => dive.diffIds[3]!.slice(7, 19)],
  ])('finds every image holding %s', (_what, q) => {
    const query = q();
    const doc = runJson<RelationDoc>(['relation', query, ...ALL, '-q']);
    expect(doc.query).toBe(query);
    expect(doc.id.slice(7).startsWith(query.toLowerCase().replace(/^sha256:/, ''))).toBe(true);
    const want = expectedHolders(doc.id);
    expect(want.length).toBeGreaterThan(0);
    expect(holders(doc)).toEqual(want);
  });

  it('chain ancestry vs content: the empty layer at app1 layer 1 and fixture layer 6 are two chains, all weak', () => {
    const EMPTY = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';
    const doc = runJson<RelationDoc>(['relation', EMPTY.slice(7, 19), ...ALL, '-q']);
    expect(holders(doc)).toEqual(expectedHolders(EMPTY));
    expect(doc.matches.every((m) => m.weak)).toBe(true);
    // truth: how many distinct (archive, image) hold each chainID
    const chainOf = new Map<string, Set<string>>();
    for (const m of doc.matches) chainOf.set(m.chainId, (chainOf.get(m.chainId) ?? new Set()).add(`${m.image.archive} ${m.image.id}`));
    for (const m of doc.matches) expect(m.sameChain).toBe(chainOf.get(m.chainId)!.size > 1);
    const fixture = pool.find((p) => p.archive.endsWith('fixture/fixture.oci'))!;
    const g = (i: number) => doc.matches.find((m) => m.image.archive === fixture.archive && m.layerIndex === i)!;
    expect(g(1).chainId).toBe(fixture.chainIds[1]);
    expect(g(6).chainId).toBe(fixture.chainIds[6]);
    expect(g(1).chainGroup).not.toBe(g(6).chainGroup);
  });

  it('an ambiguous prefix lists the candidates (exit 2)', () => {
    const ids = [...new Set(pool.flatMap((p) => [...p.diffIds, ...p.chainIds, ...p.digests]))];
    const counts = new Map<string, number>();
    for (const d of ids) counts.set(d.slice(7, 9), (counts.get(d.slice(7, 9)) ?? 0) + 1);
    const [prefix, n] = [...counts.entries()].find(([, c]) => c > 1)!;
    const r = run(['relation', prefix, ...ALL, '-q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`is a prefix of ${n} different layer ids`);
    for (const d of ids.filter((x) => x.slice(7, 9) === prefix)) expect(r.stderr).toContain(d);
  });

  it('no such layer: exit 4; not hex: exit 2', () => {
    expect(run(['relation', '0000000000000000000000', ...ALL, '-q']).code).toBe(4);
    expect(run(['relation', 'not-an-id', ...ALL, '-q']).code).toBe(2);
  });

  it('table: the issue\'s columns, weak marked', () => {
    const r = run(['relation', '5f70bf18a086', ...ALL, '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[1]).toMatch(/^REPOSITORY\s+TAG\s+IMAGE ID\s+LAYER\s+MATCHED ON\s+SAME CHAIN\s+ARCHIVE$/);
    expect(r.stdout).toContain('(weak)');
  });
});

describe('relation: content only, from a synthetic archive beside the fixtures', () => {
  let dir: string;
  let synth: string;
  const deps = () => app1.diffIds[2]!; // app1's `COPY dir:deps` layer
  beforeAll(async () => {
    dir = tempDir('layerdig-rel-');
    // the deps layer's bytes, taken out of the docker-archive by GNU tar
    const t = spawnSync('tar', ['-xOf', join(ROOT, 'fixtures/real/app1/app1.docker-archive.tar'), `${deps().slice(7)}.tar`]);
    expect(t.status).toBe(0);
    const w = await writeDockerArchive(dir, 'stranger.tar', [{ repoTags: ['stranger:1'], layers: [[{ path: 'srv/x', body: 'x' }], t.stdout] }]);
    expect(w.diffIds[0]![1]).toBe(deps());
    synth = w.path;
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the same diffID on another chain is content only; the fixtures share their chain', () => {
    const doc = runJson<RelationDoc>(['relation', deps().slice(7, 19), ...ALL, synth, '-q']);
    const mine = doc.matches.filter((m) => m.image.archive === synth);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ layerIndex: 1, matchedOn: ['diffID', 'digest'], sameChain: false, weak: false });
    const others = doc.matches.filter((m) => m.image.archive !== synth);
    expect(others.length).toBe(expectedHolders(deps()).length);
    expect(others.every((m) => m.sameChain && m.chainId === app1.chainIds[2])).toBe(true);
    const table = run(['relation', deps().slice(7, 19), ...ALL, synth, '-q']).stdout;
    expect(table).toMatch(/stranger\s+1\s+\w{12}\s+1\s+diffID, digest\s+no: content only/);
  });
});

describe('none on the whole truth pool (fixtures/real, fixtures/external)', () => {
  let all: NoneDoc[];
  beforeAll(() => {
    all = runJson<NoneDoc[]>(['none', '--all', ...ALL, '-q', '--top', '5']);
  });

  it('--all reports every untagged image found, once per archive', () => {
    const want = pool.filter((p) => p.names.length === 0).map((p) => `${p.archive} ${p.id}`).sort();
    expect(all.map((r) => `${r.image.archive} ${r.image.id}`).sort()).toEqual(want);
  });

  it('names, for the untagged image of each multi-image archive, the tagged image the truth files say it was', () => {
    const multi = pool.filter((p) => p.closestTagged);
    expect(multi.length).toBe(3);
    for (const p of multi) {
      const r = all.find((x) => x.image.archive === p.archive && x.image.id === p.id)!;
      const top = r.candidates[0]!;
      expect(top.image.id).toBe(p.closestTagged!.image_id);
      expect(top.sharedPrefix).toBe(p.closestTagged!.shared_layers);
      expect(top.sameId).toBe(false);
      for (const n of [...p.closestTagged!.repo_tags, ...(p.closestTagged!.oci_ref_name ? [p.closestTagged!.oci_ref_name] : [])]) {
        expect(top.names).toContain(n);
      }
    }
  });

  it('an untagged image whose ID is tagged in another archive: that image, definitively', () => {
    let checked = 0;
    for (const p of pool.filter((x) => x.names.length === 0)) {
      const tagged = pool.filter((x) => x.id === p.id && x.names.length > 0);
      if (!tagged.length) continue;
      const r = all.find((x) => x.image.archive === p.archive && x.image.id === p.id)!;
      expect(r.candidates[0]).toMatchObject({ sameId: true, sharedPrefix: p.diffIds.length });
      expect(r.candidates[0]!.image.id).toBe(p.id);
      expect(r.candidates[0]!.names.sort()).toEqual([...new Set(tagged.flatMap((t) => t.names))].sort());
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });

  it('none <IMAGE-ID> (12-hex) answers for each archive holding it; shared prefix counts leading diffIDs', () => {
    const old = pool.find((p) => p.archive.endsWith('multi/multi.docker-archive.tar') && p.untagged)!;
    const docs = runJson<NoneDoc[]>(['none', old.id.slice(7, 19), ...ALL, '-q']);
    const holdersOf = pool.filter((p) => p.id === old.id).map((p) => p.archive).sort();
    expect(docs.map((d) => d.image.archive).sort()).toEqual(holdersOf);
    for (const d of docs) {
      for (const c of d.candidates) {
        const t = pool.find((p) => p.id === c.image.id && p.archive === c.image.archive)!;
        let n = 0;
        while (n < t.diffIds.length && t.diffIds[n] === old.diffIds[n]) n++;
        expect(c.sharedPrefix).toBe(n);
      }
    }
  });
});
