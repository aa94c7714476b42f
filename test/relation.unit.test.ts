import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { chainIds } from '../src/image/chain.js';
import type { ImageSummary } from '../src/analysis/summary.js';
import { relation, resolveLayerId } from '../src/analysis/relation.js';
import { noneAll, noneFor, rankCandidates } from '../src/analysis/none.js';
import { canonicalRef, detectBase, type OsClueInput } from '../src/analysis/base.js';
import { EMPTY_TAR_DIFF_IDS, EMPTY_TAR_BLOB_DIGESTS, isEmptyLayer } from '../src/analysis/empty-layer.js';
import { LayerdigError } from '../src/errors.js';

const d = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const EMPTY = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

function img(name: string | null, diffIds: string[], extra: Partial<ImageSummary> = {}): ImageSummary {
  const chains = chainIds(diffIds);
  return {
    archive: extra.archive ?? `${name ?? 'untagged'}.tar`,
    format: 'docker-archive',
    id: d(`config of ${name} ${diffIds.join()} ${extra.archive ?? ''}`),
    manifestDigest: null,
    repoTags: name ? [name] : [],
    refName: null,
    platform: 'linux/amd64',
    mediaFamily: 'docker',
    created: '2024-01-01T00:00:00Z',
    labels: {},
    annotations: {},
    layers: diffIds.map((x, i) => ({ diffId: x, chainId: chains[i]!, digest: x, compressedSize: 10, member: `${i}/layer.tar` })),
    history: diffIds.map((_, i) => ({ created: null, createdBy: `step ${i}`, comment: null, emptyLayer: false, layerIndex: i })),
    ...extra,
  };
}

const [L0, L1, L2, L3, L4] = ['os', 'deps', 'app-v1', 'app-v2', 'other'].map(d) as [string, string, string, string, string];

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof LayerdigError ? e.code : 'OTHER';
  }
  return 'NONE';
}

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

describe('relation', () => {
  const base = img('base:1', [L0, L1]);
  const app1 = img('app:1', [L0, L1, L2]);
  const app2 = img('app:2', [L0, L1, L3], { archive: 'other.tar' });
  // L1's content on another base: the same diffID on a different chain
  const stranger = img('stranger:1', [L4, L1]);
  const pool = [base, app1, app2, stranger];

  it('resolves a full id, a bare hex id and a 12-hex prefix, of any kind', () => {
    expect(resolveLayerId(L2, pool)).toBe(L2);
    expect(resolveLayerId(L2.slice(7), pool)).toBe(L2);
    expect(resolveLayerId(L2.slice(7, 19).toUpperCase(), pool)).toBe(L2);
    const chain = app1.layers[2]!.chainId;
    expect(resolveLayerId(`sha256:${chain.slice(7, 19)}`, pool)).toBe(chain);
  });

  it('an ambiguous prefix is E_AMBIGUOUS listing every candidate; an unknown one E_NOT_FOUND; non-hex E_USAGE', () => {
    let err: LayerdigError | null = null;
    try {
      resolveLayerId('sha256:', pool);
    } catch (e) {
      err = e as LayerdigError;
    }
    // no hex at all is not an id
    expect(err?.code).toBe('E_USAGE');
    const ids = new Set(pool.flatMap((s) => s.layers.flatMap((l) => [l.diffId, l.chainId])));
    const first = [...ids].map((x) => x[7]!);
    const shared = first.find((c, i) => first.indexOf(c) !== i)!;
    try {
      resolveLayerId(shared, pool);
    } catch (e) {
      err = e as LayerdigError;
    }
    expect(err?.code).toBe('E_AMBIGUOUS');
    expect(err!.candidates.length).toBe([...ids].filter((x) => x[7] === shared).length);
    expect(code(() => resolveLayerId('0000000000000000', pool))).toBe('E_NOT_FOUND');
    expect(code(() => resolveLayerId('xyz', pool))).toBe('E_USAGE');
  });

  it('tells shared ancestry (same chainID) from content only', () => {
    const r = relation(L1.slice(7, 19), pool);
    expect(r.id).toBe(L1);
    const by = new Map(r.matches.map((m) => [m.image.repoTags[0], m]));
    expect([...by.keys()].sort()).toEqual(['app:1', 'app:2', 'base:1', 'stranger:1']);
    for (const n of ['base:1', 'app:1', 'app:2']) {
      expect(by.get(n)).toMatchObject({ layerIndex: 1, matchedOn: ['diffID', 'digest'], sameChain: true, chainGroup: 1, weak: false });
    }
    expect(by.get('stranger:1')).toMatchObject({ layerIndex: 1, sameChain: false, chainGroup: 2 });
  });

  it('layer 0: the chainID is the diffID, so both kinds match', () => {
    const r = relation(L0, pool);
    expect(r.matches.every((m) => m.matchedOn.includes('diffID') && m.matchedOn.includes('chainID'))).toBe(true);
    expect(r.matches).toHaveLength(3);
  });

  it('a chainID query matches only that chain', () => {
    const r = relation(app1.layers[1]!.chainId, pool);
    expect(r.matches.map((m) => m.image.repoTags[0]).sort()).toEqual(['app:1', 'app:2', 'base:1']);
    expect(r.matches.every((m) => m.matchedOn.join() === 'chainID' && m.sameChain)).toBe(true);
  });

  it('the empty layer is a weak match', () => {
    const a = img('a:1', [L0, EMPTY]);
    const b = img('b:1', [L4, EMPTY]);
    const r = relation(EMPTY, [a, b]);
    expect(r.matches.every((m) => m.weak && !m.sameChain)).toBe(true);
  });
});

describe('none', () => {
  const base = img('base:1', [L0, L1]);
  const app1 = img('app:1', [L0, L1, L3]);
  const old = img(null, [L0, L1, L2]);
  const sameElsewhere = { ...old, archive: 'tagged-copy.tar', repoTags: ['app:old'] };
  const setOnly = img('shuffled:1', [L4, L2]);

  it('ranks an identical tagged image ID first (definitive)', () => {
    const [r] = noneFor(old.id.slice(7, 19), [old, base, app1, sameElsewhere]);
    expect(r!.image).toBe(old);
    expect(r!.candidates[0]).toMatchObject({ sameId: true, sharedPrefix: 3, names: ['app:old'], archives: ['tagged-copy.tar'] });
  });

  it('then by chain prefix, then by diffIDs as a set, then platform', () => {
    const arm = img('app:arm', [L0, L1, L4], { platform: 'linux/arm64' });
    const r = rankCandidates(old, [old, base, app1, setOnly, arm], 10);
    // app:1, base:1 and app:arm tie on prefix and set; the platform puts app:arm last of them
    expect(r.candidates.map((c) => c.names[0])).toEqual(['app:1', 'base:1', 'app:arm', 'shuffled:1']);
    expect(r.candidates[0]).toMatchObject({ sameId: false, sharedPrefix: 2, sharedSet: 2, samePlatform: true });
    expect(r.candidates[2]).toMatchObject({ sharedPrefix: 2, sharedSet: 2, samePlatform: false });
    expect(r.candidates[3]).toMatchObject({ sharedPrefix: 0, sharedSet: 1 });
  });

  it('the same image ID in several archives is one candidate; unrelated images are none', () => {
    const copy = { ...app1, archive: 'copy.tar', repoTags: ['app:copy'] };
    const stranger = img('stranger:1', [L4]);
    const r = rankCandidates(old, [old, app1, copy, stranger], 10);
    expect(r.candidates).toHaveLength(1);
    expect(r.candidates[0]!.names).toEqual(['app:1', 'app:copy']);
    expect(r.candidates[0]!.archives.sort()).toEqual(['app:1.tar', 'copy.tar']);
  });

  it('well-known empty layers do not count in the shared set', () => {
    const a = img(null, [L0, EMPTY]);
    const b = img('b:1', [L4, EMPTY]);
    expect(rankCandidates(a, [a, b]).candidates).toHaveLength(0);
  });

  it('--all: every untagged image; a prefix of two image IDs is ambiguous', () => {
    const other = img(null, [L4]);
    expect(noneAll([old, base, other]).map((r) => r.image)).toEqual([old, other]);
    // two images whose IDs share a first hex digit
    const twins: ImageSummary[] = [];
    for (let k = 0; twins.length < 2; k++) {
      const c = img(null, [d(`t${k}`)]);
      if (c.id[7] === old.id[7]) twins.push(c);
    }
    expect(code(() => noneFor(old.id[7]!, [old, ...twins]))).toBe('E_AMBIGUOUS');
    expect(code(() => noneFor('sha256:', [old, other]))).toBe('E_USAGE');
    expect(code(() => noneFor('ffffffffffff', [old, other]))).toBe('E_NOT_FOUND');
  });
});

describe('base', () => {
  const baseImg = img('registry.example/base:1.0', [L0, L1], {
    history: [
      { created: null, createdBy: '/bin/sh -c #(nop) ADD file:abc in /', comment: null, emptyLayer: false, layerIndex: 0 },
      { created: null, createdBy: 'RUN apt-get install', comment: null, emptyLayer: false, layerIndex: 1 },
      { created: null, createdBy: 'CMD ["bash"]', comment: 'buildkit.dockerfile.v0', emptyLayer: true, layerIndex: null },
    ],
  });
  const app = img('app:1', [L0, L1, L2, L3], {
    labels: { 'org.opencontainers.image.base.name': 'registry.example/base:1.0' },
    history: [
      ...baseImg.history,
      { created: null, createdBy: 'COPY . /app', comment: 'buildkit.dockerfile.v0', emptyLayer: false, layerIndex: 2 },
      { created: null, createdBy: 'RUN make', comment: 'buildkit.dockerfile.v0', emptyLayer: false, layerIndex: 3 },
      { created: null, createdBy: 'CMD ["/app/run"]', comment: 'buildkit.dockerfile.v0', emptyLayer: true, layerIndex: null },
    ],
  });
  const os: OsClueInput = {
    status: 'found', os: { id: 'debian', versionId: '12', name: 'Debian', prettyName: null, versionCodename: null, idLike: [], fields: {} },
    path: 'etc/os-release', resolvedPath: 'usr/lib/os-release', links: ['etc/os-release -> ../usr/lib/os-release'], layerIndex: 0, diffId: L0, size: 10, sha256: d('x'),
  };

  it('all four clues agree', () => {
    const r = detectBase(app, os, [baseImg, app]);
    const kinds = r.clues.map((c) => `${c.kind}=${c.value}`);
    expect(kinds).toEqual([
      'label=registry.example/base:1.0',
      'os=debian 12',
      'chain=registry.example/base:1.0',
      'history=layers 0-1 (history entries 0-2)',
    ]);
    expect(r.clues.find((c) => c.kind === 'os')!.evidence).toContain('/etc/os-release (/etc/os-release → ../usr/lib/os-release) is /usr/lib/os-release, last written by layer 0');
    expect(r.disagreements).toEqual([]);
  });

  it('disagreeing clues are shown as disagreeing', () => {
    const lying = { ...app, annotations: { 'org.opencontainers.image.base.name': 'docker.io/library/alpine:3', 'org.opencontainers.image.base.digest': d('m') } };
    const osAbove: OsClueInput = { ...(os as Extract<OsClueInput, { status: 'found' }>), layerIndex: 3 };
    const r = detectBase(lying, osAbove, [baseImg]);
    expect(r.disagreements.join('\n')).toMatch(/manifest annotation .*base.name says docker.io\/library\/alpine:3, config label .* says registry.example\/base:1.0/);
    expect(r.disagreements.join('\n')).toMatch(/says docker.io\/library\/alpine:3, but the chain prefix matches registry.example\/base:1.0/);
    expect(r.disagreements.join('\n')).toMatch(/base.digest says sha256:.* but the chain prefix matches/);
    expect(r.disagreements.join('\n')).toMatch(/os-release was last written by layer 3, above the base \(2 layers\)/);
  });

  it('a chain boundary that differs from the history boundary is a disagreement', () => {
    const mid = img('mid:1', [L0, L1, L2]);
    const r = detectBase(app, os, [baseImg, mid]);
    expect(r.clues.find((c) => c.kind === 'chain')!.value).toBe('mid:1');
    expect(r.disagreements).toEqual([
      expect.stringMatching(/config label .*base.name says registry.example\/base:1.0, but the chain prefix matches mid:1 \(3 layers\)/),
      expect.stringMatching(/base boundary differs: history: the last CMD\/ENTRYPOINT .* puts it at 2 layers; the chain prefix puts it at 3 layers/),
    ]);
  });

  it('no clue: says why for each', () => {
    const r = detectBase(img('lone:1', [L4]), { status: 'skipped' }, null);
    expect(r.clues.map((c) => [c.kind, c.value])).toEqual([['annotation', null], ['os', null], ['chain', null], ['history', null]]);
    expect(r.clues[1]!.evidence).toContain('--no-os');
    expect(r.clues[2]!.evidence).toContain('--against');
  });

  it('a sibling is not a base; the image itself and images built on it are skipped', () => {
    const sibling = img('sib:1', [L0, L1, L4]);
    const child = img('child:1', [L0, L1, L2, L3, L4]);
    const r = detectBase(app, { status: 'skipped' }, [sibling, child, app]);
    expect(r.clues.find((c) => c.kind === 'chain')).toMatchObject({ value: null, evidence: expect.stringContaining('sibling') });
  });

  it('canonical references', () => {
    expect(canonicalRef('docker.io/library/alpine')).toBe('alpine:latest');
    expect(canonicalRef('index.docker.io/library/alpine:3')).toBe('alpine:3');
    expect(canonicalRef('localhost:5000/x')).toBe('localhost:5000/x:latest');
  });
});
