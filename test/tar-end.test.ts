import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';
import { readLayer } from '../src/layer/pass.js';

async function tarOf(files: { name: string; body: Buffer }[]): Promise<Buffer> {
  const pack = tarStream.pack();
  for (const f of files) pack.entry({ name: f.name, size: f.body.length }, f.body);
  pack.finalize();
  const chunks: Buffer[] = [];
  for await (const c of pack) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

describe('the layer pass stops listing at the end of the tar', () => {
  it('ignores an entry after the two zero blocks (eStargz TOC) but hashes every byte', async () => {
    const first = await tarOf([{ name: 'README.md', body: Buffer.alloc(1000, 'a') }]);
    const after = await tarOf([{ name: 'stargz.index.json', body: Buffer.from('{}') }]);
    const layer = Buffer.concat([first, after]);
    for (const blob of [layer, gzipSync(layer)]) {
      const l = await readLayer(Readable.from([blob]), { where: 'test' });
      expect(l.entries.map((e) => e.path)).toEqual(['README.md']);
      expect(l.diffId).toBe(sha(layer));
      expect(l.uncompressedSize).toBe(layer.length);
    }
  });

  it('keeps a file whose body is all zero blocks, and what follows it', async () => {
    const layer = await tarOf([
      { name: 'zeros.bin', body: Buffer.alloc(512 * 9) },
      { name: 'after.txt', body: Buffer.from('x') },
    ]);
    // feed in odd chunk sizes so blocks straddle chunks
    const chunks: Buffer[] = [];
    for (let i = 0; i < layer.length; i += 700) chunks.push(layer.subarray(i, i + 700));
    const l = await readLayer(Readable.from(chunks), { where: 'test' });
    expect(l.entries.map((e) => e.path)).toEqual(['zeros.bin', 'after.txt']);
  });

  it('ignores garbage after the end blocks', async () => {
    const first = await tarOf([{ name: 'a.txt', body: Buffer.from('a') }]);
    const layer = Buffer.concat([first, Buffer.alloc(512, 0x41)]);
    const l = await readLayer(Readable.from([layer]), { where: 'test' });
    expect(l.entries.map((e) => e.path)).toEqual(['a.txt']);
    expect(l.diffId).toBe(sha(layer));
  });
});
