import { describe, expect, it } from 'vitest';
import { execSync } from 'node:child_process';
import { chainIds } from '../src/image/chain.js';
import { pairHistory } from '../src/image/history.js';
import { splitReference } from '../src/image/reference.js';
import { sniffCompression } from '../src/compression/index.js';
import { TarEndTracker } from '../src/layer/tar-end.js';
import { parseHeader, normalizeMemberName } from '../src/store/tar-header.js';
import { gzipSync } from 'node:zlib';
import { tarBuffer } from './helpers/synth.js';

describe('chainID', () => {
  it('follows the image-spec recursion; checked against sha256sum', () => {
    const d = ['sha256:' + 'a'.repeat(64), 'sha256:' + 'b'.repeat(64), 'sha256:' + 'c'.repeat(64)];
    const c1 = 'sha256:' + execSync(`printf '%s' '${d[0]} ${d[1]}' | sha256sum`).toString().slice(0, 64);
    const c2 = 'sha256:' + execSync(`printf '%s' '${c1} ${d[2]}' | sha256sum`).toString().slice(0, 64);
    expect(chainIds(d)).toEqual([d[0], c1, c2]);
    expect(chainIds([])).toEqual([]);
  });
});

describe('history pairing', () => {
  it('each entry without empty_layer consumes the next layer; extra layers are not dropped', () => {
    const h = pairHistory([{ created_by: 'a' }, { created_by: 'env', empty_layer: true }, { created_by: 'b' }], 3);
    expect(h.map((x) => x.layerIndex)).toEqual([0, null, 1, 2]);
    expect(h[3]!.comment).toMatch(/no history entry/);
  });
  it('more history than layers: the surplus produces no layer', () => {
    expect(pairHistory([{ created_by: 'a' }, { created_by: 'b' }], 1).map((x) => x.layerIndex)).toEqual([0, null]);
  });
});

describe('references', () => {
  it.each([
    ['localhost:5000/whiteout:latest', 'localhost:5000/whiteout', 'latest'],
    ['localhost:5000/whiteout', 'localhost:5000/whiteout', 'latest'],
    ['a/b/c:1.2', 'a/b/c', '1.2'],
    ['repo@sha256:abc', 'repo', 'sha256:abc'],
  ])('%s', (ref, repository, tag) => expect(splitReference(ref)).toEqual({ repository, tag }));
});

describe('tar framing', () => {
  it('parses ustar headers and normalises member names', async () => {
    const t = await tarBuffer([{ name: 'dir/file.txt', body: 'abc' }]);
    expect(parseHeader(t.subarray(0, 512))).toMatchObject({ name: 'dir/file.txt', size: 3, type: 'file', mode: 0o644 });
    expect(normalizeMemberName('./a//b/')).toBe('a/b');
  });
  it('finds the end-of-archive marker and ignores what follows', async () => {
    const t = await tarBuffer([{ name: 'a', body: 'x'.repeat(700) }, { name: 'b', body: '' }]);
    const withTrailer = Buffer.concat([t, Buffer.from('TRAILING TOC BYTES')]);
    const tr = new TarEndTracker();
    const taken = Buffer.concat([tr.take(withTrailer.subarray(0, 100)), tr.take(withTrailer.subarray(100, 1500)), tr.take(withTrailer.subarray(1500))]);
    // headers (2) + body (2 blocks) + first zero block
    expect(taken.length).toBe(512 * 5);
  });
  it('sniffs compression by magic bytes', () => {
    expect(sniffCompression(gzipSync(Buffer.from('x')))).toBe('gzip');
    expect(sniffCompression(Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0]))).toBe('zstd');
    expect(sniffCompression(Buffer.from('ustar'))).toBe('none');
  });
});
