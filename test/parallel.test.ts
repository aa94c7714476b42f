import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tmp.js';
import { cpSync, readdirSync, rmSync, statSync, truncateSync } from 'node:fs';
import { join } from 'node:path';
import { run, runJson, FIXTURES } from './helpers/cli.js';
import { realArchives } from './helpers/truth.js';
import { squarify } from '../src/report/html/treemap.js';
import { sizeTree } from '../src/analysis/size-tree.js';
import { overlay } from '../src/analysis/filetree.js';
import type { LayerEntry } from '../src/layer/entry.js';

interface LayersDoc { layers: { diffId: string; digest: string; content: string[]; size: number; uncompressedSize: number; diffIdVerified: boolean }[] }

/**
 * Worker threads (`--jobs 2` forces them whatever the sizes) must give exactly
 * what one thread gives, and what the truth files say; a failure in a worker
 * reads as the same sentence and exit code.
 */
describe('layers in worker threads', () => {
  const picks = realArchives().filter((a) => /^(fixture|app1|multi)\/.*\.(docker-archive\.tar|oci-zstd|oci-archive-gzip\.tar|dir-gzip)$/.test(a.name));

  it.each(picks.map((a) => [a.name, a] as const))('%s: --jobs 2 = --jobs 1 = truth', (_n, a) => {
    const par = runJson<LayersDoc[]>(['layers', a.path, '--no-trunc', '--jobs', '2']);
    const one = runJson<LayersDoc[]>(['layers', a.path, '--no-trunc', '--jobs', '1']);
    expect(par).toEqual(one);
    a.truth.images.forEach((t, i) => {
      expect(par[i]!.layers.map((l) => l.diffId)).toEqual(t.diff_ids);
      expect(par[i]!.layers.map((l) => l.content)).toEqual(t.layers.map((l) => l.top_level));
      expect(par[i]!.layers.map((l) => l.uncompressedSize)).toEqual(t.layers.map((l) => l.uncompressed_size));
      expect(par[i]!.layers.every((l) => l.diffIdVerified)).toBe(true);
    });
  });

  const tmp = tempDir('layerdig-par-');
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.each(['oci-gzip', 'oci-zstd'])('a truncated %s blob: the same sentence and exit code with and without workers', (variant) => {
    const dir = join(tmp, variant);
    cpSync(join(FIXTURES, 'real', 'app1', `app1.${variant}`), dir, { recursive: true });
    const blobs = join(dir, 'blobs', 'sha256');
    const biggest = readdirSync(blobs).sort((x, y) => statSync(join(blobs, y)).size - statSync(join(blobs, x)).size)[0]!;
    truncateSync(join(blobs, biggest), 3000);
    const par = run(['layers', dir, '--jobs', '2']);
    const one = run(['layers', dir, '--jobs', '1']);
    expect(par.code).toBe(3);
    expect(one.code).toBe(3);
    expect(par.stderr).toBe(one.stderr);
    expect(par.stderr).toContain(biggest);
    expect(par.stderr.trim().split('\n')).toHaveLength(1);
  });

  it.each(['zstd-cli', 'zstd-napi'])('zstd layers read the same with LAYERDIG_ZSTD=%s', (backend) => {
    const a = realArchives().find((x) => x.name === 'fixture/fixture.oci-zstd')!;
    const r = run(['layers', a.path, '--json', '--no-trunc'], { env: { LAYERDIG_ZSTD: backend } });
    expect(r.code, r.stderr).toBe(0);
    const docs = JSON.parse(r.stdout) as LayersDoc[];
    expect(docs[0]!.layers.map((l) => l.diffId)).toEqual(a.truth.images[0]!.diff_ids);
  });
});

describe('treemap layout', () => {
  it('squarify: every value gets an area in proportion, inside the box, no overlap', () => {
    const values = [500, 300, 120, 50, 20, 7, 2, 1];
    const box = { x: 10, y: 20, w: 400, h: 250 };
    const rects = squarify(values, box);
    const total = values.reduce((s, v) => s + v, 0);
    rects.forEach((r, i) => {
      expect(r.w * r.h).toBeCloseTo((values[i]! / total) * box.w * box.h, 6);
      expect(r.x).toBeGreaterThanOrEqual(box.x - 1e-9);
      expect(r.y).toBeGreaterThanOrEqual(box.y - 1e-9);
      expect(r.x + r.w).toBeLessThanOrEqual(box.x + box.w + 1e-6);
      expect(r.y + r.h).toBeLessThanOrEqual(box.y + box.h + 1e-6);
    });
    for (let i = 0; i < rects.length; i++) {
      for (let j = i + 1; j < rects.length; j++) {
        const a = rects[i]!;
        const b = rects[j]!;
        const ox = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
        const oy = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
        expect(ox <= 1e-6 || oy <= 1e-6).toBe(true);
      }
    }
    // squarified: no sliver worse than 1:10 here
    for (const r of rects) expect(Math.max(r.w / r.h, r.h / r.w)).toBeLessThan(10);
  });

  it('sizeTree: final files only, whiteouts applied, hard links count 0, bytes kept when pruned', () => {
    const f = (path: string, size: number, type: LayerEntry['type'] = 'file', extra: Partial<LayerEntry> = {}): LayerEntry =>
      ({ path, type, size: type === 'file' ? size : 0, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: null, ...extra });
    const l0 = [f('a', 0, 'dir'), f('a/big', 1000), f('a/gone', 500), f('b', 0, 'dir'), f('b/x', 10)];
    const l1 = [f('a', 0, 'dir'), f('a/.wh.gone', 0, 'file', { whiteout: 'a/gone' }), f('b', 0, 'dir'), f('b/x', 20), f('b/h', 0, 'hardlink', { linkTarget: 'b/x' })];
    const { tree, bytes, files, largest } = sizeTree(overlay([l0, l1]));
    expect(bytes).toBe(1020);
    expect(files).toBe(2);
    expect(tree.children!.map((c) => [c.name, c.size, c.layerIndex])).toEqual([['a', 1000, 0], ['b', 20, 1]]);
    expect(largest.map((l) => l.path)).toEqual(['a/big', 'b/x']);
  });
});
