import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { EMPTY_TAR_DIFF_IDS, EMPTY_TAR_BLOB_DIGESTS, isEmptyLayer } from '../src/analysis/empty-layer.js';
import { d, EMPTY, L0 } from './helpers/summaries.js';

describe('well-known empty layers (digests computed by python3, not copied)', () => {
  const py = (src: string) => {
    const r = spawnSync('python3', ['-c', src], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    return r.stdout.trim().split('\n');
  };

  it('diffIDs are the sha256 of 1024 and 10240 zero bytes (the latter is what Python tarfile writes for an empty tar)', () => {
    const [a, b, t] = py('import hashlib,io,tarfile\nprint(hashlib.sha256(bytes(1024)).hexdigest())\nprint(hashlib.sha256(bytes(10240)).hexdigest())\n'
      + 'f=io.BytesIO(); tarfile.open(fileobj=f,mode="w").close(); print(hashlib.sha256(f.getvalue()).hexdigest())');
    expect(new Set(EMPTY_TAR_DIFF_IDS)).toEqual(new Set([`sha256:${a}`, `sha256:${b}`]));
    expect(`sha256:${t}`).toBe(`sha256:${b}`);
  });

  it('blob digests: python gzip (mtime 0, levels 6/9) of both, and docker/distribution\'s Go-written 32 bytes', () => {
    const out = py('import hashlib,gzip\nfor n in (1024,10240):\n  for l in (6,9): print(hashlib.sha256(gzip.compress(bytes(n),compresslevel=l,mtime=0)).hexdigest())\n'
      + 'b=bytes([31,139,8,0,0,9,110,136,0,255,98,24,5,163,96,20,140,88,0,8,0,0,255,255,46,175,181,239,0,4,0,0])\n'
      + 'assert gzip.decompress(b)==bytes(1024)\nprint(hashlib.sha256(b).hexdigest())');
    // containers/image's own bytes, as found in the real fixtures: decompressed by python3 gzip and the zstd CLI
    const gz = py("import gzip,hashlib\nb=open('fixtures/real/app1-old/app1-old.dir-gzip/bd9ddc54bea929a22b334e73e026d4136e5b73f5cc29942896c72e4ece69b13d','rb').read()\n"
      + 'assert gzip.decompress(b)==bytes(1024)\nprint(hashlib.sha256(b).hexdigest())');
    const zst = 'fixtures/real/app1-old/app1-old.dir-zstd/4cdf59e7244d2716024b9fdeee584695844f95a989b093990f1584c039ce6aeb';
    // the zstd CLI where installed, else the zstd-napi package directly (not layerdig's code)
    const z = spawnSync('zstd', ['-dc', zst]);
    const plain = z.status === 0 ? z.stdout
      : (createRequire(import.meta.url)('zstd-napi') as { decompress(b: Buffer): Buffer }).decompress(readFileSync(zst));
    expect(Buffer.compare(plain, Buffer.alloc(1024))).toBe(0);
    const zHash = createHash('sha256').update(readFileSync(zst)).digest('hex');
    expect(new Set(EMPTY_TAR_BLOB_DIGESTS)).toEqual(new Set([...out, ...gz, zHash].map((h) => `sha256:${h}`)));
  });

  it('marks a layer by diffID whatever its compression', () => {
    expect(isEmptyLayer({ diffId: EMPTY, digest: d('zstd bytes') })).toBe(true);
    expect(isEmptyLayer({ diffId: L0, digest: L0 })).toBe(false);
  });
});
