import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { Sha256Count, sha256Stream } from '../src/digest.js';
import { HandOff, type Taken } from '../src/layer/hand-off.js';
import { bombCheck, entriesCheck } from '../src/layer/pass-limits.js';
import { TarStage } from '../src/layer/pass-tar.js';
import { toEntry } from '../src/layer/tar-entry.js';
import { tempDir } from './helpers/tmp.js';

/** The layer pass's stages, each on its own (the whole pass: pass.tarend, fuzz, hostile, gzip-backends). */

const LIMITS = { maxLayerBytes: 1000, maxRatio: 10, maxLayerEntries: 3, maxTrailingBytes: 100 };
const GiB = 1024 ** 3;

describe('hash stage: Sha256Count', () => {
  it('FIPS 180-2 test vector "abc", fed in pieces; the length counted; digest() asked twice', async () => {
    const h = new Sha256Count();
    for (const c of ['a', 'b', 'c']) h.update(Buffer.from(c));
    expect(h.digest()).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(h.digest()).toBe('sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
    expect(h.size).toBe(3);
    expect(await sha256Stream(Readable.from([Buffer.from('ab'), Buffer.from('c')]))).toEqual({ digest: h.digest(), size: 3 });
  });
});

describe('limit checks', () => {
  const at = (uncompressedSize: number, compressedSize: number, tarEnd: number | null, compression: 'gzip' | 'none' = 'gzip') =>
    bombCheck('x.tar!l', { compression, compressedSize, uncompressedSize, tarEnd }, LIMITS);

  it('size: over maxLayerBytes stops, at it does not', () => {
    expect(at(1000, 1000, null)).toBeNull();
    expect(at(1001, 1000, null)?.code).toBe('E_LIMIT');
    expect(at(1001, 1000, null)?.message).toMatch(/^x\.tar!l: decompressed past 1001 bytes from 1000 compressed/);
  });

  it('ratio: only past 1 GiB decompressed, only when compressed', () => {
    const big = { ...LIMITS, maxLayerBytes: 4 * GiB };
    const c = (u: number, z: number, compression: 'gzip' | 'none' = 'gzip') => bombCheck('l', { compression, compressedSize: z, uncompressedSize: u, tarEnd: null }, big);
    expect(c(GiB, 1)).toBeNull(); // not past 1 GiB
    expect(c(GiB + 1, 1)?.code).toBe('E_LIMIT');
    expect(c(GiB + 1, (GiB + 1) / 10)).toBeNull(); // exactly the ratio
    expect(c(GiB + 1, 1, 'none')).toBeNull();
  });

  it('trailing data after the last tar entry', () => {
    expect(at(600, 600, 500)).toBeNull();
    expect(at(601, 600, 500)?.message).toMatch(/more than 100 bytes of data after the last tar entry \(at byte 500 of 601 decompressed\)/);
    expect(at(900, 900, null)).toBeNull(); // no tar reader: nothing to measure against
  });

  it('entries', () => {
    expect(entriesCheck('l', 3, LIMITS)).toBeNull();
    expect(entriesCheck('l', 4, LIMITS)?.message).toBe('l: more than 3 entries in one layer: stopped (a safety limit; raise --max-layer-entries)');
  });
});

describe('input stage back-pressure: HandOff', () => {
  const chunk = (n: number) => Buffer.alloc(n);
  const tick = () => new Promise((r) => setImmediate(r));

  it('hands chunks over a hop later, in order; pauses above high, resumes below half; ends after the queue drains', async () => {
    const seen: number[] = [];
    const events: string[] = [];
    const h = new HandOff(10, (c) => { seen.push(c.length); return 'next'; }, () => events.push('end'), () => false);
    h.pauseUpstream = () => events.push('pause');
    h.resumeUpstream = () => events.push('resume');
    h.push(chunk(4));
    h.push(chunk(6));
    expect(seen).toEqual([]); // not in the same turn
    expect(events).toEqual(['pause']); // 10 queued ≥ 10
    h.end();
    await tick();
    expect(seen).toEqual([4, 6]);
    expect(events).toEqual(['pause', 'resume', 'end']);
  });

  it('a consumer that waits gets the rest after resume(); one that stops gets nothing more', async () => {
    const seen: number[] = [];
    let answer: Taken = 'wait';
    const h = new HandOff(100, (c) => { seen.push(c.length); return answer; }, () => seen.push(-1), () => false);
    h.push(chunk(1));
    h.push(chunk(2));
    h.end();
    await tick();
    expect(seen).toEqual([1]);
    answer = 'next';
    h.resume();
    expect(seen).toEqual([1, 2, -1]);

    const stopped: number[] = [];
    const s = new HandOff(100, (c) => { stopped.push(c.length); return 'stop'; }, () => stopped.push(-1), () => false);
    s.push(chunk(1));
    s.push(chunk(2));
    s.end();
    await tick();
    expect(stopped).toEqual([1]);
  });
});

/** A tar written by GNU tar from files made here: 2 regular files (5 and 600 bytes) and a directory. */
function gnuTar(): { tar: Buffer; files: Record<string, Buffer> } {
  const root = tempDir();
  mkdirSync(join(root, 'src/d'), { recursive: true });
  const files = { 'd/a.txt': Buffer.from('hello'), 'd/b.bin': Buffer.alloc(600, 7) };
  for (const [n, b] of Object.entries(files)) writeFileSync(join(root, 'src', n), b);
  const out = join(root, 'l.tar');
  const r = spawnSync('tar', ['--format=ustar', '--sort=name', '-cf', out, '-C', join(root, 'src'), 'd'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  return { tar: readFileSync(out), files };
}

function feed(stage: TarStage, tar: Buffer, step: number): void {
  for (let i = 0; i < tar.length; i += step) stage.writeListing(tar.subarray(i, i + step));
}

describe('tar stage', () => {
  it('listing: entries as GNU tar wrote them, in chunks of any size; the tar ends where headers and padded bodies say', () => {
    const { tar } = gnuTar();
    for (const step of [1, 511, 4096]) {
      const errors: unknown[] = [];
      const st = new TarStage({ where: 'l', keepEntries: true, limits: LIMITS, fail: (e) => errors.push(e), isFailed: () => errors.length > 0, onFinish: () => {} });
      feed(st, tar, step);
      expect(st.end()).toBe(true);
      expect(errors).toEqual([]);
      expect(st.entries.map((e) => [e.path, e.type, e.size])).toEqual([['d', 'dir', 0], ['d/a.txt', 'file', 5], ['d/b.bin', 'file', 600]]);
      // 3 headers + 512 (5 bytes padded) + 1024 (600 bytes padded)
      expect(st.tarEnd).toBe(3 * 512 + 512 + 1024);
      expect(st.size).toBe(605);
    }
  });

  it('the entries limit stops the listing through fail()', () => {
    const { tar } = gnuTar();
    const errors: { code: string }[] = [];
    const st = new TarStage({ where: 'l', keepEntries: true, limits: { maxLayerEntries: 2 }, fail: (e) => errors.push(e as { code: string }), isFailed: () => errors.length > 0, onFinish: () => {} });
    feed(st, tar, 4096);
    expect(errors.map((e) => e.code)).toEqual(['E_LIMIT']);
  });

  it('a header that is not tar is a tar error naming the layer', () => {
    const errors: Error[] = [];
    const st = new TarStage({ where: 'x.tar!l', keepEntries: true, limits: LIMITS, fail: (e) => errors.push(e as Error), isFailed: () => errors.length > 0, onFinish: () => {} });
    expect(st.writeListing(Buffer.alloc(512, 0x41))).toBe(false);
    expect(errors[0]?.message).toMatch(/^x\.tar!l: not a readable tar layer/);
  });

  it('bodies: a visitor reads each file\'s bytes as written', async () => {
    const { tar, files } = gnuTar();
    const bodies: Record<string, Buffer> = {};
    const done = new Promise<void>((resolve, reject) => {
      const st = new TarStage({
        where: 'l', keepEntries: true, limits: LIMITS, fail: reject, isFailed: () => false, onFinish: () => resolve(),
        onEntry: async (e, body: Readable) => {
          const parts: Buffer[] = [];
          for await (const c of body as AsyncIterable<Buffer>) parts.push(c);
          if (e.type === 'file') bodies[e.path] = Buffer.concat(parts);
        },
      });
      const write = (i: number): void => {
        if (i >= tar.length) {
          st.end();
          return;
        }
        if (st.writeBodies(tar.subarray(i, i + 700), () => write(i + 700))) write(i + 700);
      };
      write(0);
    });
    await done;
    expect(bodies).toEqual(files);
  });
});

describe('tar header → entry', () => {
  it('SCHILY.xattr wins over LIBARCHIVE.xattr for the same name; both kinds read', () => {
    const e = toEntry({
      name: './usr/bin/ping', type: 'file', size: 3, mode: 0o104755, uid: 0, gid: 0, mtime: 1.9, linkname: null, devmajor: 0, devminor: 0,
      pax: { 'SCHILY.xattr.user.a': 'x', 'LIBARCHIVE.xattr.user.a': Buffer.from('y').toString('base64'), 'LIBARCHIVE.xattr.user.b%2Ec': Buffer.from('z').toString('base64') },
    });
    expect(e).toMatchObject({ path: 'usr/bin/ping', type: 'file', size: 3, mode: 0o4755, mtime: 1 });
    expect(e.xattrs).toEqual({ 'user.a': Buffer.from('x').toString('base64'), 'user.b.c': Buffer.from('z').toString('base64') });
  });
});
