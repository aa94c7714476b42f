import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realArchives } from './helpers/truth.js';
import { listRange, settleRange } from '../src/layer/range-pass.js';
import { readLayer, readLayerSettled } from '../src/layer/pass.js';
import { fileRange } from '../src/layer/file-range.js';
import { DEFAULT_LIMITS } from '../src/limits.js';
import type { PassLimits } from '../src/layer/pass-limits.js';
import { HashRing } from '../src/layer/hash-ring.js';
import { ROOT } from './helpers/cli.js';
import { pathToFileURL } from 'node:url';

/**
 * The synchronous range pass (range-pass.ts) and the streaming pass (pass.ts)
 * must give the same listing, digests and, for bad data, the same sentence.
 * Truth: the fixtures' truth files (blob digest, diffID, size, entry count
 * recorded by skopeo/umoci/GNU tar) and `gzip -dc | sha256sum` run here.
 */
const tmp = mkdtempSync(join(tmpdir(), 'layerdig-range-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const limits: PassLimits = DEFAULT_LIMITS;
const sh = (cmd: string): Buffer => {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; ${cmd}`], { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr.toString()}`);
  return r.stdout;
};

/** Both passes over the same bytes: the listing, or the error sentence. */
const settle = (p: Promise<unknown>) => p.then((v) => ({ ok: v }), (e: Error) => ({ error: e.message }));
async function both(file: string, start = 0, length = statSync(file).size, lim: PassLimits = limits) {
  const ranged = await settle(listRange({ file, start, length }, { where: 'blob', limits: lim }));
  const streamed = await settle(readLayer(fileRange(file, start, length), { where: 'blob', limits: lim }));
  return { ranged, streamed };
}
// the built hash thread (npm test builds first): worker threads run compiled JS
const ring = HashRing.start(pathToFileURL(join(ROOT, 'dist', 'layer', 'hash-thread.js')));
afterAll(() => ring?.close());

describe('range pass = streaming pass = truth, on every layer blob of the real fixtures', () => {
  const blobs = realArchives().filter((a) => !a.path.endsWith('.tar') && !a.path.endsWith('.tar.gz'))
    .flatMap((a) => a.truth.images.flatMap((img) => img.layers.map((l) => ({ name: `${a.name} layer ${l.index}`, file: join(a.path, l.blob_path), l }))))
    .filter((b) => existsSync(b.file));

  it('covers gzip, zstd and plain blobs', () => {
    expect(new Set(blobs.map((b) => b.l.compression))).toEqual(new Set(['gzip', 'zstd', 'none']));
  });

  it.each(blobs.map((b) => [b.name, b] as const))('%s', async (_n, b) => {
    const { ranged, streamed } = await both(b.file);
    expect(ranged).toEqual(streamed);
    const l = (ranged as { ok: { digest: string; diffId: string; uncompressedSize: number; entries: unknown[] } }).ok;
    expect(l.digest).toBe(b.l.blob_digest);
    expect(l.diffId).toBe(b.l.diff_id);
    expect(l.uncompressedSize).toBe(b.l.uncompressed_size);
    // the truth counts the archive root (`./`), which is no entry of the layer's filesystem
    expect(l.entries).toHaveLength(b.l.members.filter((m) => m !== './' && m !== '.').length);
  });
});

describe('range pass on bad and odd blobs: the streaming pass\'s answer and words', () => {
  // a small layer made by GNU tar, compressed by gzip and zstd
  const root = join(tmp, 'root');
  sh(`mkdir -p '${root}/etc' && for i in $(seq 1 300); do head -c $((i * 97)) /dev/urandom | base64 > '${root}/etc/f'$i; done`);
  const tar = sh(`tar --sort=name --owner=0 --group=0 --numeric-owner -C '${root}' -cf - .`);
  const gz = sh(`tar --sort=name --owner=0 --group=0 --numeric-owner -C '${root}' -cf - . | gzip -6`);
  const zst = sh(`tar --sort=name --owner=0 --group=0 --numeric-owner -C '${root}' -cf - . | zstd -q -3`);
  const write = (name: string, b: Buffer) => { const p = join(tmp, name); writeFileSync(p, b); return p; };
  const flip = (b: Buffer, at: number) => { const c = Buffer.from(b); c[at] = c[at]! ^ 0xff; return c; };

  const cases: [string, Buffer][] = [
    ['plain tar', tar],
    ['gzip', gz],
    ['zstd', zst],
    ['two gzip members', Buffer.concat([gz, sh(`printf 'tail' | gzip`)])],
    ['gzip, zeros after the member', Buffer.concat([gz, Buffer.alloc(1000)])],
    ['gzip, garbage after the member', Buffer.concat([gz, Buffer.from('not gzip at all')])],
    ['gzip cut short', gz.subarray(0, gz.length - 5000)],
    ['gzip, a byte flipped', flip(gz, gz.length >> 1)],
    ['zstd cut short', zst.subarray(0, zst.length - 5000)],
    ['zstd, a byte flipped', flip(zst, zst.length >> 1)],
    ['plain tar cut short', tar.subarray(0, tar.length - 7000)],
    ['not a tar', Buffer.from('hello, this is not a layer '.repeat(100))],
    ['empty', Buffer.alloc(0)],
    ['three bytes', Buffer.from([0x1f, 0x8b, 0x08])],
    // one 20 KB read inflates to 20 MB: many times the ring's slots while the inflater still reads that chunk
    ['20 MB of zeros, gzipped', sh(`d=$(mktemp -d '${tmp}/z.XXXX') && head -c 20000000 /dev/zero > "$d/zero" && tar -C "$d" -cf - zero | gzip -9`)],
  ];
  it.each(cases)('%s', async (name, bytes) => {
    const file = write(name.replace(/\W+/g, '-'), bytes);
    const { ranged, streamed } = await both(file);
    expect(ranged).toEqual(streamed);
    // hashed on the ring's thread: the same answer, and the ring is ready for the next layer after a failure
    expect(ring).not.toBeNull();
    expect(await settle(listRange({ file, start: 0, length: bytes.length }, { where: 'blob', limits, ring: ring! }))).toEqual(ranged);
    expect(await settle(listRange({ file: write('good', gz), start: 0, length: gz.length }, { where: 'blob', limits, ring: ring! })))
      .toEqual(await settle(listRange({ file: write('good', gz), start: 0, length: gz.length }, { where: 'blob', limits })));
  });

  it.each(cases)('settled (verify): %s — the same outcome, digest read to the end, as the streaming pass', async (name, bytes) => {
    const file = write(`settled-${name.replace(/\W+/g, '-')}`, bytes);
    const strip = (r: unknown) => {
      const x = r as { ok: boolean; error?: Error };
      return x.ok ? x : { ...x, error: x.error!.message };
    };
    const ranged = strip(await settleRange({ file, start: 0, length: bytes.length }, { where: 'blob', limits }));
    const streamed = strip(await readLayerSettled(fileRange(file, 0, bytes.length), { where: 'blob', limits }));
    expect(ranged).toEqual(streamed);
    const withRing = strip(await settleRange({ file, start: 0, length: bytes.length }, { where: 'blob', limits, ring: ring! }));
    expect(withRing).toEqual(streamed);
    // a failed blob is still hashed to its end: sha256sum's digest
    if (!(ranged as { ok: boolean }).ok && bytes.length > 0) {
      expect((ranged as unknown as { digest: string }).digest).toBe(`sha256:${sh(`sha256sum '${file}'`).toString().split(' ')[0]}`);
    }
  });

  it('two gzip members: diffID = gzip -dc | sha256sum', async () => {
    const p = write('two', Buffer.concat([gz, sh(`printf 'tail' | gzip`)]));
    const { ranged } = await both(p);
    expect((ranged as { ok: { diffId: string } }).ok.diffId).toBe(`sha256:${sh(`gzip -dc '${p}' | sha256sum`).toString().split(' ')[0]}`);
  });

  it('a member in the middle of a file, and a range past the end of the file', async () => {
    const p = write('mid', Buffer.concat([Buffer.alloc(777, 7), gz, Buffer.alloc(999, 9)]));
    const mid = await both(p, 777, gz.length);
    expect(mid.ranged).toEqual(mid.streamed);
    const alone = write('gz', gz);
    expect((mid.ranged as { ok: { digest: string } }).ok.digest).toBe(`sha256:${sh(`sha256sum '${alone}'`).toString().split(' ')[0]}`);
    const past = await both(p, 777, gz.length + 5000);
    expect(past.ranged).toEqual(past.streamed);
    expect((past.ranged as { error: string }).error).toMatch(/gzip/);
  });

  it('the safety limits stop both passes with the same sentence', async () => {
    const p = write('limits', gz);
    for (const lim of [{ ...limits, maxLayerBytes: 100_000 }, { ...limits, maxLayerEntries: 10 }, { ...limits, maxTrailingBytes: 12_000 }]) {
      // for the trailing-bytes limit: the same tar with 50000 zero bytes after its end, gzipped again
      const file = lim.maxTrailingBytes === 12_000 ? write('trail', sh(`gzip -dc '${p}' | cat - <(head -c 50000 /dev/zero) | gzip`)) : p;
      const { ranged, streamed } = await both(file, undefined, undefined, lim);
      expect(ranged).toEqual(streamed);
      expect((ranged as { error?: string }).error).toMatch(/limit|bomb/);
    }
  });

  it('a ring used the moment it starts (its thread still starting): the same digests', async () => {
    const p = write('fresh', gz);
    const fresh = HashRing.start(pathToFileURL(join(ROOT, 'dist', 'layer', 'hash-thread.js')))!;
    try {
      const l = await listRange({ file: p, start: 0, length: gz.length }, { where: 'blob', limits, ring: fresh });
      expect(l!.diffId).toBe(`sha256:${sh(`gzip -dc '${p}' | sha256sum`).toString().split(' ')[0]}`);
      expect(l!.digest).toBe(`sha256:${sh(`sha256sum '${p}'`).toString().split(' ')[0]}`);
    } finally {
      await fresh.close();
    }
  });

  it('reads the same bytes again the same way (buffers reused inside one pass)', async () => {
    const p = write('again', gz);
    const a = await listRange({ file: p, start: 0, length: gz.length }, { where: 'blob', limits });
    const b = await listRange({ file: p, start: 0, length: gz.length }, { where: 'blob', limits });
    expect(a).toEqual(b);
    expect(a!.diffId).toBe(`sha256:${sh(`gzip -dc '${p}' | sha256sum`).toString().split(' ')[0]}`);
    expect(a!.digest).toBe(`sha256:${sh(`sha256sum '${p}'`).toString().split(' ')[0]}`);
    expect(readFileSync(p).length).toBe(gz.length);
  });
});
