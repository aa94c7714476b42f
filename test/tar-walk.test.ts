import { describe, expect, it, beforeAll, afterAll } from 'vitest';
import { tempDir } from './helpers/tmp.js';
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { openArchive } from '../src/app/archive.js';
import { readLayer, type LayerListing } from '../src/layer/pass.js';
import { TarWalker, type WalkHeader } from '../src/layer/tar-walk.js';
import { realArchives } from './helpers/truth.js';
import { FIXTURES } from './helpers/cli.js';

/**
 * The listing pass uses TarWalker; entry bodies go through tar-stream. Both must
 * see the same entries: compare them on every layer of every fixture and on
 * tars written by Python's tarfile and GNU tar in the formats layers use.
 */
async function both(buf: Buffer): Promise<[LayerListing | Error, LayerListing | Error]> {
  const walk = await readLayer(Readable.from([buf]), { where: 'x' }).catch((e: Error) => e);
  const ts = await readLayer(Readable.from([buf]), { where: 'x', onEntry: () => {} }).catch((e: Error) => e);
  return [walk, ts];
}

function expectSame(a: LayerListing | Error, b: LayerListing | Error) {
  if (a instanceof Error || b instanceof Error) {
    expect(a instanceof Error && b instanceof Error, `one reader failed: ${String(a instanceof Error ? a.message : '')} ${String(b instanceof Error ? b.message : '')}`).toBe(true);
    expect((a as Error).message).toBe((b as Error).message);
    return;
  }
  expect(a.entries).toEqual(b.entries);
  expect(a.size).toBe(b.size);
  expect(a.diffId).toBe(b.diffId);
}

describe('TarWalker lists exactly what tar-stream lists', () => {
  const archives = realArchives().filter((a) => /\.(docker-archive|oci-gzip|oci-zstd)$|docker-archive\.tar$|oci-gzip$|oci-zstd$/.test(a.name));
  it.each(archives.map((a) => [a.name, a.path] as const))('every layer of %s', async (_name, path) => {
    const ar = await openArchive(path);
    try {
      const seen = new Set<string>();
      for (const img of ar.images) {
        for (const l of img.layers) {
          if (seen.has(l.member)) continue;
          seen.add(l.member);
          const walk = await readLayer(ar.store.open(l.member), { where: l.storage });
          const ts = await readLayer(ar.store.open(l.member), { where: l.storage, onEntry: () => {} });
          expectSame(walk, ts);
          expect(walk.diffId).toBe(l.diffId);
        }
      }
      expect(seen.size).toBeGreaterThan(0);
    } finally {
      ar.close();
    }
  });

  it.each(['dive/test-docker-image.tar', 'dive/test-oci-estargz-image.tar', 'go-containerregistry/whiteout_dir.tar'])('every layer of external/%s', async (f) => {
    const ar = await openArchive(join(FIXTURES, 'external', f));
    try {
      for (const img of ar.images) {
        for (const l of img.layers) {
          const [a, b] = await Promise.all([
            readLayer(ar.store.open(l.member), { where: l.storage }),
            readLayer(ar.store.open(l.member), { where: l.storage, onEntry: () => {} }),
          ]);
          expectSame(a, b);
        }
      }
    } finally {
      ar.close();
    }
  });

  describe('tars written by other tools', () => {
    let dir: string;
    beforeAll(() => {
      dir = tempDir('layerdig-walk-');
      const py = `
import tarfile, io, sys
d = sys.argv[1]
def add(t, name, data=b'', **kw):
    ti = tarfile.TarInfo(name); ti.size = len(data); ti.mtime = 1700000000
    for k, v in kw.items(): setattr(ti, k, v)
    t.addfile(ti, io.BytesIO(data) if data else None)
long = 'a/' + 'very-long-directory-name/' * 8 + 'file.txt'
for fmt, name in [(tarfile.GNU_FORMAT, 'gnu'), (tarfile.PAX_FORMAT, 'pax'), (tarfile.USTAR_FORMAT, 'ustar')]:
    with tarfile.open(f'{d}/{name}.tar', 'w', format=fmt) as t:
        add(t, 'a/', type=tarfile.DIRTYPE, mode=0o755)
        add(t, 'a/x.txt', b'hello\\n', uid=1000, gid=1000, mode=0o4755)
        add(t, 'a/link', type=tarfile.SYMTYPE, linkname='x.txt')
        add(t, 'a/hard', type=tarfile.LNKTYPE, linkname='a/x.txt')
        add(t, 'a/.wh.gone', b'')
        add(t, 'a/.wh..wh..opq', b'')
        add(t, 'dev/null', type=tarfile.CHRTYPE, devmajor=1, devminor=3)
        add(t, 'a/fifo', type=tarfile.FIFOTYPE)
        if fmt != tarfile.USTAR_FORMAT:
            add(t, long, b'x' * 1000)
            add(t, 'a/ln-long', type=tarfile.SYMTYPE, linkname=long)
            add(t, 'big-uid', b'y', uid=8**8 + 5, gid=8**8 + 7)
            add(t, 'caf\\u00e9/\\U0001F600.txt', b'smile')
with tarfile.open(f'{d}/pax-xattr.tar', 'w', format=tarfile.PAX_FORMAT, pax_headers={'comment': 'global'}) as t:
    ti = tarfile.TarInfo('bin/ping'); ti.size = 3; ti.mode = 0o755
    ti.pax_headers = {'SCHILY.xattr.security.capability': '\\x01\\x00\\x00\\x02', 'SCHILY.xattr.user.note': 'hi'}
    t.addfile(ti, io.BytesIO(b'elf'))
    add(t, 'plain', b'p')
`;
      writeFileSync(join(dir, 'mk.py'), py);
      const r = spawnSync('python3', [join(dir, 'mk.py'), dir], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      // GNU tar itself, with its long-name records
      spawnSync('bash', ['-c', `cd ${dir} && mkdir -p src/${'d'.repeat(120)} && echo hi > src/${'d'.repeat(120)}/${'f'.repeat(110)} && tar --format=gnu -cf gnutar.tar -C src . && tar --format=posix -cf posix.tar -C src .`]);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it.each(['gnu', 'pax', 'ustar', 'pax-xattr', 'gnutar', 'posix'])('%s.tar', async (name) => {
      const buf = readFileSync(join(dir, `${name}.tar`));
      const [a, b] = await both(buf);
      expectSame(a, b);
      expect((a as LayerListing).entries.length).toBeGreaterThan(0);
      // and in chunks of awkward sizes: headers split across chunks
      const headers: WalkHeader[] = [];
      const w = new TarWalker((h) => headers.push(h));
      for (let i = 0; i < buf.length; i += 37) w.write(buf.subarray(i, i + 37));
      w.end();
      const whole: WalkHeader[] = [];
      const w1 = new TarWalker((h) => whole.push(h));
      w1.write(buf);
      w1.end();
      expect(headers).toEqual(whole);
      expect(whole.length).toBeGreaterThanOrEqual((a as LayerListing).entries.length);
    });

    it('agrees on errors: truncated body, truncated header, bad checksum, not a tar', async () => {
      const buf = readFileSync(join(dir, 'pax.tar'));
      const bad = Buffer.from(buf);
      bad[600] ^= 0xff; // inside the second header
      const cases = [buf.subarray(0, 1100), buf.subarray(0, 700), bad, Buffer.from('this is not a tar archive at all'.repeat(40))];
      for (const c of cases) {
        const [a, b] = await both(c);
        expect(a).toBeInstanceOf(Error);
        expectSame(a, b);
      }
    });
  });
});
