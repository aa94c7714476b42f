import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { openArchive } from '../src/app/archive.js';
import { LayerReader } from '../src/layer/reader.js';
import { diveEfficiency } from '../src/analysis/efficiency.js';
import { goSort, goStringLess } from '../src/analysis/gosort.js';
import { classifyWhiteout, type LayerEntry } from '../src/layer/entry.js';
import { FIXTURES, ROOT, run, runJson } from './helpers/cli.js';
import { expectedExternal } from './helpers/truth.js';

const DIVE = join(FIXTURES, 'external', 'dive');

async function entriesOf(path: string): Promise<LayerEntry[][]> {
  const ar = await openArchive(path);
  try {
    const img = ar.images[0]!;
    const reader = new LayerReader();
    await reader.prefetch(ar.store, [img]);
    const out = [];
    for (const l of img.layers) out.push((await reader.listing(ar.store, l)).entries);
    return out;
  } finally {
    ar.close();
  }
}

describe("dive's own test image gives dive's own numbers", () => {
  const expected = expectedExternal()['dive/test-docker-image.tar'].dive_expected;

  it('efficiency, sizes, wasted bytes, user wasted percent and the inefficient paths, exactly', async () => {
    const r = diveEfficiency(await entriesOf(join(DIVE, 'test-docker-image.tar')));
    // the values dive's Test_Analysis asserts
    expect(r.efficiency).toBe(0.9844212134184309);
    expect(r.sizeBytes).toBe(1220598);
    expect(r.userSizeBytes).toBe(66237);
    expect(r.wastedBytes).toBe(32025);
    expect(r.userWastedPercent).toBe(0.4834911001404049);
    expect(r.inefficiencies.slice(0, 3).map((i) => [i.count, i.cumulativeSize, i.path])).toEqual([
      [2, 12810, '/root/saved.txt'],
      [2, 12810, '/root/example/somefile1.txt'],
      [2, 6405, '/root/example/somefile3.txt'],
    ]);
    // and the same as EXPECTED.json records them
    expect(r.efficiency).toBe(expected.efficiency);
    expect(r.userWastedPercent).toBe(expected.userWastedPercent);
    expect([r.sizeBytes, r.userSizeBytes, r.wastedBytes]).toEqual([expected.sizeBytes, expected.userSizeBytes, expected.wastedBytes]);
    expect(r.inefficiencies.map((i) => [i.count, i.cumulativeSize, i.path])).toEqual(expected.inefficiencies_as_printed);
    expect(r.notes).toEqual([]);
  });

  it('`layerdig efficiency --json` prints them', () => {
    const [doc] = runJson<any[]>(['efficiency', join(DIVE, 'test-docker-image.tar')]);
    expect(doc.efficiency).toBe(0.9844212134184309);
    expect(doc.userWastedPercent).toBe(0.4834911001404049);
    expect([doc.sizeBytes, doc.userSizeBytes, doc.wastedBytes]).toEqual([1220598, 66237, 32025]);
    expect(doc.inefficiencies[0]).toEqual({ path: '/root/saved.txt', count: 2, cumulativeSize: 12810 });
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['image', 'efficiency', 'sizeBytes', 'userSizeBytes', 'wastedBytes',
      'userWastedPercent', 'inefficiencies', 'deadBytes', 'deadByLayer', 'dead']));
  });

  it('the table shows the efficiency and the paths', () => {
    const r = run(['efficiency', join(DIVE, 'test-docker-image.tar')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('efficiency 98.4421 %');
    // 12810 bytes, as Docker formats sizes (3 significant digits)
    expect(r.stdout).toMatch(/2\s+12\.8kB\s+\/root\/saved\.txt/);
  });
});

describe("dive's OCI test images (one layer, four encodings) agree", () => {
  const names = ['uncompressed', 'gzip', 'zstd', 'estargz'].map((e) => `test-oci-${e}-image.tar`);
  it.each(names)('%s', async (name) => {
    const ext = expectedExternal()[`dive/${name}`].oci_images[0].layers[0];
    const r = diveEfficiency(await entriesOf(join(DIVE, name)));
    expect(r.sizeBytes).toBe(ext.regular_file_bytes); // README.md only: eStargz's TOC lies after the tar's end
    expect(r.userSizeBytes).toBe(0);
    expect(r.wastedBytes).toBe(0);
    expect(r.efficiency).toBe(1);
    expect(r.userWastedPercent).toBeNaN(); // 0/0, as in dive
    expect(r.inefficiencies).toEqual([]);
    const [doc] = runJson<any[]>(['efficiency', join(DIVE, name)]);
    expect(doc.userWastedPercent).toBeNull();
    expect(doc.deadBytes).toBe(0);
  });
});

// ---- dive's rules on hand-made layers -------------------------------------------------------

let mtime = 0;
function f(path: string, size = 0): LayerEntry {
  return classifyWhiteout({ path, type: 'file', size, mode: 0o644, uid: 0, gid: 0, mtime: mtime++, linkTarget: null });
}
function d(path: string): LayerEntry {
  return { path, type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 0, linkTarget: null };
}
function h(path: string, target: string): LayerEntry {
  return { path, type: 'hardlink', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: target };
}

describe("dive's counting rules", () => {
  it('a file whiteout counts 0; a directory whiteout counts what the stacked layers had under it', () => {
    const r = diveEfficiency([
      [d('a'), f('a/x', 100), f('a/y', 50), d('a/sub'), f('a/sub/z', 10), f('k', 7)],
      [d('a'), f('.wh.k'), f('a/.wh.y')],
      [f('.wh.a')],
    ]);
    const byPath = Object.fromEntries(r.inefficiencies.map((i) => [i.path, [i.count, i.cumulativeSize]]));
    // /k: 7 + 0; /a/y: 50 + 0; /a is a leaf only as the whiteout (100 + 10, y is gone), seen once
    expect(byPath).toEqual({ '/k': [2, 7], '/a/y': [2, 50] });
    expect(r.wastedBytes).toBe(57);
    // min per path: x 100, y 0, sub/z 10, k 0, a 110 → 220; cumulative: 100 + 50 + 10 + 7 + 110 = 277
    expect(r.efficiency).toBe(220 / 277);
  });

  it('a directory no layer stated is not a directory to dive: its whiteout counts 0', () => {
    // /a is counted twice: the whiteout in layer 1, the empty directory made again in layer 2
    const stated = diveEfficiency([[d('a'), f('a/x', 100)], [f('.wh.a')], [d('a')]]);
    expect(stated.inefficiencies).toEqual([{ path: '/a', count: 2, cumulativeSize: 100 }]);
    const implied = diveEfficiency([[f('a/x', 100)], [f('.wh.a')], [d('a')]]);
    expect(implied.inefficiencies).toEqual([{ path: '/a', count: 2, cumulativeSize: 0 }]);
  });

  it('a layer that lists a child without its directory entry clears the directory flag in the stacked tree', () => {
    const r = diveEfficiency([[d('a'), f('a/x', 100)], [f('a/y', 1)], [f('.wh.a')], [d('a')]]);
    expect(r.inefficiencies).toEqual([{ path: '/a', count: 2, cumulativeSize: 0 }]);
  });

  it('opaque markers are ignored and hard links count 0', () => {
    const r = diveEfficiency([
      [d('srv'), f('srv/a', 5), f('bin/tool', 1000)],
      [d('srv'), f('srv/.wh..wh..opq'), f('srv/b', 3), h('bin/link', 'bin/tool')],
      [f('.wh.srv')],
      [d('srv')],
    ]);
    // srv/a was not hidden from dive by the opaque marker: the whiteout of /srv counts a and b
    expect(r.inefficiencies).toEqual([{ path: '/srv', count: 2, cumulativeSize: 8 }]);
    expect(r.layerSizes).toEqual([1005, 3, 0, 0]);
  });

  it('a whiteout of a path the layers below lack stops counting that layer, and leaves its -1 in the score', () => {
    const r = diveEfficiency([
      [f('a', 10), f('z', 10)],
      [f('.wh.missing'), f('z', 10)], // `.wh.missing` sorts before `z`: z of layer 1 is never counted
    ]);
    expect(r.notes).toHaveLength(1);
    expect(r.notes[0]).toContain('/missing');
    expect(r.inefficiencies).toEqual([]);
    // min: a 10, z 10, missing -1 (dive's initial value, never replaced); cumulative 20
    expect(r.efficiency).toBe(19 / 20);
  });

  it('layer size is the sum of header sizes; user size leaves out layer 0; wasted over user size', () => {
    const r = diveEfficiency([[f('a', 10)], [f('a', 20)], [f('a', 30), f('b', 5)]]);
    expect(r.layerSizes).toEqual([10, 20, 35]);
    expect([r.sizeBytes, r.userSizeBytes, r.wastedBytes]).toEqual([65, 55, 60]);
    expect(r.userWastedPercent).toBe(60 / 55);
    expect(r.inefficiencies).toEqual([{ path: '/a', count: 3, cumulativeSize: 60 }]);
  });

  it('lists ties in the order Go leaves them: discovery order for up to 12 paths, printed largest first', () => {
    const layer = ['e', 'b', 'd', 'a', 'c'].map((p) => f(p, p === 'c' ? 9 : 4));
    const r = diveEfficiency([layer, layer]);
    // discovered in name order a b c d e; sorted ascending stably (insertion sort), then reversed
    expect(r.inefficiencies.map((i) => i.path)).toEqual(['/c', '/e', '/d', '/b', '/a']);
  });
});

describe("Go's sort.Sort, re-implemented", () => {
  it('puts equal elements where go1.19.8 does (240 recorded inputs, with ties and patterns)', () => {
    const v = JSON.parse(readFileSync(join(ROOT, 'fixtures', 'gosort', 'go1.19-sort-vectors.json'), 'utf8')) as { cases: { keys: number[]; order: number[] }[] };
    expect(v.cases.length).toBe(240);
    for (const c of v.cases) {
      const items = c.keys.map((k, id) => ({ k, id }));
      goSort(items, (a, b) => a.k < b.k, [13, 17, 5]); // go1.19's xorshift
      expect(items.map((x) => x.id)).toEqual(c.order);
    }
  });

  it("compares strings by UTF-8 bytes, as Go's < does", () => {
    const words = ['a', 'b', 'ab', '', 'é', '\u{1F600}', '\uFB01', 'z', 'Z', '\u{10000}', '\uFFFF', 'a\u{1F600}', 'a\uFFFF'];
    const byGo = [...words].sort((x, y) => (x === y ? 0 : goStringLess(x, y) ? -1 : 1));
    const byBytes = [...words].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
    expect(byGo).toEqual(byBytes);
  });
});
