import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { tarBuffer } from './helpers/synth.js';

/**
 * zstd-napi (the last zstd fallback, on Node 20 without the zstd command) runs
 * through layerdig's bounded stream. A layer of many small compressible files
 * once stalled it: a pump that finished its chunk inside _read without output
 * left Transform's parked callback unreleased. The layer is compressed by the
 * zstd command, its diffID is sha256 of the tar.
 */
process.env.LAYERDIG_ZSTD = 'zstd-napi';
const hasZstd = spawnSync('zstd', ['--version']).status === 0;

describe.skipIf(!hasZstd)('zstd-napi backend', () => {
  it('reads a 20 MB layer of small files to the end: diffID and every entry', async () => {
    // half text, half hex noise (deterministic): about 2:1, like a base image's files
    let x = 12345;
    const noise = (n: number) => {
      let s = '';
      while (s.length < n) { x = (x * 1103515245 + 12345) >>> 0; s += x.toString(16); }
      return s.slice(0, n);
    };
    const files = Array.from({ length: 6000 }, (_, i) => ({
      name: `usr/lib/node_modules/pkg-${i % 97}/file-${i}.js`,
      body: `// module ${i}\n${'export const value = 1;\n'.repeat(20 + (i % 50))}${noise(1000 + (i * 37) % 4000)}`,
    }));
    const tar = await tarBuffer(files);
    const zst = spawnSync('zstd', ['-q', '-3', '-c'], { input: tar, maxBuffer: 1 << 30 });
    expect(zst.status).toBe(0);
    const { readLayer } = await import('../src/layer/pass.js');
    const { zstdBackend } = await import('../src/compression/zstd.js');
    expect(zstdBackend()).toBe('zstd-napi');
    const chunks: Buffer[] = [];
    for (let i = 0; i < zst.stdout.length; i += 1 << 20) chunks.push(zst.stdout.subarray(i, i + (1 << 20)));
    const l = await readLayer(Readable.from(chunks), { where: 'test' });
    expect(l.diffId).toBe(`sha256:${createHash('sha256').update(tar).digest('hex')}`);
    expect(l.entries.filter((e) => e.type === 'file')).toHaveLength(files.length);

    // two frames, the first chunk ending a few bytes into the second: the last call on that
    // chunk decodes nothing (the case that stalled)
    const half = Math.floor(tar.length / 2);
    const f1 = spawnSync('zstd', ['-q', '-3', '-c'], { input: tar.subarray(0, half), maxBuffer: 1 << 30 }).stdout;
    const f2 = spawnSync('zstd', ['-q', '-3', '-c'], { input: tar.subarray(half), maxBuffer: 1 << 30 }).stdout;
    for (const cut of [1, 4, 6, 9]) {
      const split = [Buffer.concat([f1, f2.subarray(0, cut)]), f2.subarray(cut)];
      const l2 = await readLayer(Readable.from(split), { where: 'test' });
      expect(l2.diffId).toBe(l.diffId);
    }
  }, 20_000);
});
