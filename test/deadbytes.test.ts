import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { openArchive } from '../src/app/archive.js';
import { LayerReader } from '../src/layer/reader.js';
import { overlay } from '../src/analysis/filetree.js';
import { deadBytes } from '../src/analysis/deadbytes.js';
import { classifyWhiteout, type LayerEntry } from '../src/layer/entry.js';
import { FIXTURES, ROOT, runJson } from './helpers/cli.js';

interface TruthDead { total: number; byLayer: number[]; dead: { layerIndex: number; path: string; size: number }[] }

/** Dead bytes from the truth file, Python's tarfile listing of the layer blobs and final-fs.json (not from layerdig). */
function truthDead(image: string): TruthDead {
  const dir = join(FIXTURES, 'real', image);
  const r = spawnSync('python3', [join(ROOT, 'test', 'helpers', 'dead_truth.py'),
    join(dir, `${image}.docker-archive.tar`), join(dir, `${image}.docker-archive.truth.json`), join(dir, `${image}.final-fs.json`)],
  { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`dead_truth.py ${image}: ${r.stderr}`);
  return JSON.parse(r.stdout) as TruthDead;
}

async function layerdigDead(path: string) {
  const ar = await openArchive(path);
  try {
    const img = ar.images[0]!;
    const reader = new LayerReader();
    await reader.prefetch(ar.store, [img]);
    const layers = [];
    for (const l of img.layers) layers.push((await reader.listing(ar.store, l)).entries);
    return deadBytes(layers, overlay(layers));
  } finally {
    ar.close();
  }
}

const key = (d: { layerIndex: number; path: string; size: number }) => `${d.layerIndex}\t${d.path}\t${d.size}`;
const IMAGES = ['base', 'app1-old', 'app1', 'app2', 'fixture', 'opaque', 'gnutar'];
const VARIANTS = ['docker-archive.tar', 'oci-zstd', 'oci-archive-gzip.tar', 'dir-gzip'];

describe.each(IMAGES)('dead bytes of %s equal what its truth files imply', (image) => {
  const truth = truthDead(image);
  it.each(VARIANTS)('%s', async (variant) => {
    const dead = await layerdigDead(join(FIXTURES, 'real', image, `${image}.${variant}`));
    expect(dead.total).toBe(truth.total);
    expect(dead.byLayer.map((l) => l.bytes)).toEqual(truth.byLayer);
    expect(dead.paths.map(key).sort()).toEqual(truth.dead.map(key).sort());
    // what a layer made dead adds up to the same total
    expect(dead.byLayer.reduce((s, l) => s + l.causedBytes, 0)).toBe(truth.total);
  });
});

it('the fixture image has dead bytes of every kind its Containerfile steps made', async () => {
  // independent: the totals above; here the causes the fixture's steps were built to show
  const dead = await layerdigDead(join(FIXTURES, 'real', 'fixture', 'fixture.docker-archive.tar'));
  const cause = (p: string, layer: number) => dead.paths.find((d) => d.path === `opt/fixture/${p}` && d.layerIndex === layer)?.cause;
  expect(cause('delete-me.txt', 2)).toBe('deleted');
  expect(cause('delete-dir/sub/b.txt', 2)).toBe('deleted-with-directory');
  expect(cause('dir-then-file/child.txt', 2)).toBe('replaced-by-type-change');
  expect(cause('mode-change.txt', 2)).toBe('rewritten-same-size');
  expect(dead.paths.some((d) => d.path.includes('hard-'))).toBe(false); // hard-b deleted, its body lives on as hard-a
  const op = await layerdigDead(join(FIXTURES, 'real', 'opaque', 'opaque.oci'));
  expect(op.paths.filter((d) => d.cause === 'hidden-by-opaque').map((d) => d.path).sort()).toEqual(['srv/data/a.txt', 'srv/data/b.txt', 'srv/data/sub/c.txt']);
});

it('`layerdig efficiency --json` reports the dead bytes per layer and path', () => {
  const truth = truthDead('fixture');
  const [doc] = runJson<any[]>(['efficiency', join(FIXTURES, 'real', 'fixture', 'fixture.oci-archive.tar')]);
  expect(doc.deadBytes).toBe(truth.total);
  expect(doc.deadByLayer.map((l: any) => l.bytes)).toEqual(truth.byLayer);
  expect(doc.dead.map(key).sort()).toEqual(truth.dead.map(key).sort());
  expect(Object.keys(doc.dead[0]).sort()).toEqual(['byLayer', 'cause', 'layerIndex', 'path', 'size']);
});

// ---- causes on hand-made layers ---------------------------------------------------------------

function f(path: string, size = 0, mode = 0o644): LayerEntry {
  return classifyWhiteout({ path, type: 'file', size, mode, uid: 0, gid: 0, mtime: 0, linkTarget: null });
}
const d = (path: string): LayerEntry => ({ path, type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 0, linkTarget: null });
const h = (path: string, target: string): LayerEntry => ({ path, type: 'hardlink', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: target });
const s = (path: string, target: string): LayerEntry => ({ path, type: 'symlink', size: 0, mode: 0o777, uid: 0, gid: 0, mtime: 0, linkTarget: target });

describe('dead bytes: causes', () => {
  it('chmod, overwrite, rm, rm -rf, a path stored twice, a type change', () => {
    const layers = [
      [d('app'), f('app/bin', 100), f('app/conf', 10), d('cache'), f('cache/a', 20), d('cache/sub'), f('cache/sub/b', 30), f('tmp.log', 5), f('dup', 7), f('dup', 8)],
      [f('app/bin', 100, 0o755), f('app/conf', 11), f('.wh.tmp.log'), f('.wh.cache'), s('dup', 'app/bin')],
    ];
    const dead = deadBytes(layers, overlay(layers));
    const got = dead.paths.map((p) => [p.path, p.layerIndex, p.size, p.cause, p.byLayer]).sort();
    expect(got).toEqual([
      ['app/bin', 0, 100, 'rewritten-same-size', 1], // chmod: the whole file again
      ['app/conf', 0, 10, 'overwritten', 1],
      ['cache/a', 0, 20, 'deleted-with-directory', 1], // rm -rf cache
      ['cache/sub/b', 0, 30, 'deleted-with-directory', 1],
      ['dup', 0, 7, 'shadowed', 0], // stored twice in layer 0
      ['dup', 0, 8, 'overwritten', 1], // then replaced by a symlink
      ['tmp.log', 0, 5, 'deleted', 1],
    ].sort());
    expect(dead.total).toBe(100 + 10 + 20 + 30 + 5 + 7 + 8);
    expect(dead.byLayer).toEqual([
      { layerIndex: 0, bytes: 180, causedBytes: 7 },
      { layerIndex: 1, bytes: 0, causedBytes: 173 },
    ]);
  });

  it('a hard link keeps its target alive; the bytes die with the last name', () => {
    const layers = [
      [f('a', 50), h('b', 'a')],
      [f('.wh.a')],
      [f('.wh.b')],
    ];
    const dead = deadBytes(layers, overlay(layers));
    expect(dead.paths).toEqual([{ path: 'a', layerIndex: 0, size: 50, cause: 'deleted', byLayer: 2 }]);
    const kept = deadBytes(layers.slice(0, 2), overlay(layers.slice(0, 2)));
    expect(kept.total).toBe(0);
  });

  it('an opaque directory hides what lower layers had in it', () => {
    const layers = [[d('srv'), f('srv/old', 9)], [d('srv'), f('srv/.wh..wh..opq'), f('srv/new', 4)]];
    expect(deadBytes(layers, overlay(layers)).paths).toEqual([{ path: 'srv/old', layerIndex: 0, size: 9, cause: 'hidden-by-opaque', byLayer: 1 }]);
  });
});
