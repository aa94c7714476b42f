import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tmp.js';
import { ROOT, run, runJson } from './helpers/cli.js';
import { finalFs, realArchives, type Truth, type TruthImage } from './helpers/truth.js';
import { POOL_DIRS, truthPool } from './helpers/truth-pool.js';
import { writeDockerArchive, type SynthEntry } from './helpers/synth-docker.js';
import { openArchive } from '../src/app/archive.js';
import { summarize } from '../src/analysis/summary.js';
import { detectBase, BASE_DIGEST, BASE_NAME, type OsClueInput } from '../src/analysis/base.js';
import { OS_RELEASE_PATHS, parseOsRelease } from '../src/analysis/os-release.js';
import { readFinalFiles } from '../src/layer/final-file.js';

interface Clue { kind: string; value: string | null; evidence: string; detail: Record<string, unknown> }
interface BaseDoc { image: { archive: string; id: string }; clues: Clue[]; disagreements: string[] }

const KEYS = [BASE_NAME, BASE_DIGEST];
const pick = (m: Record<string, unknown> | null | undefined) =>
  Object.fromEntries(Object.entries(m ?? {}).filter(([k]) => KEYS.includes(k)));

/** The manifest's base.* annotations, read with JSON.parse and GNU tar, not layerdig. */
function expectedAnnotations(path: string, truth: Truth, t: TruthImage): Record<string, unknown> {
  if (truth.kind.startsWith('docker-archive')) return {};
  if (truth.kind === 'dir') return pick(JSON.parse(readFileSync(join(path, 'manifest.json'), 'utf8')).annotations);
  const member = (name: string) => (truth.kind === 'oci'
    ? readFileSync(join(path, name), 'utf8')
    : spawnSync('tar', ['-xOf', path, name], { encoding: 'utf8' }).stdout);
  const index = JSON.parse(member('index.json')) as { manifests: { digest: string; annotations?: Record<string, string> }[] };
  const desc = index.manifests.find((m) => m.digest === t.manifest_digest)!;
  const manifest = JSON.parse(member(`blobs/sha256/${t.manifest_digest.slice(7)}`));
  return { ...pick(desc.annotations), ...pick(manifest.annotations) };
}

/** os-release of each real image: its bytes from the docker-archive by GNU tar, the layer that last wrote it from the truth member lists. */
function expectedOs(image: string) {
  const dockerTar = join(ROOT, 'fixtures/real', image, `${image}.docker-archive.tar`);
  const truth = realArchives().find((a) => a.path === dockerTar)!.truth.images[0]!;
  const has = (m: string) => m.replace(/^\.\//, '') === 'etc/os-release';
  const layer = [...truth.layers].reverse().find((l) => l.members.some(has))!;
  const member = layer.members.find(has)!;
  const blob = spawnSync('tar', ['-xOf', dockerTar, layer.blob_path], { maxBuffer: 64 << 20 });
  const text = spawnSync('tar', ['-xOf', '-', member], { input: blob.stdout, encoding: 'utf8' }).stdout;
  const field = (k: string) => new RegExp(`^${k}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1] ?? null;
  const sha = finalFs(image).find((e) => e.path === 'etc/os-release')!.sha256;
  return { layerIndex: layer.index, id: field('ID'), versionId: field('VERSION_ID'), sha256: `sha256:${sha}` };
}

describe('base: labels, annotations and the OS of every real image (every archive, every image)', () => {
  const cases = realArchives().flatMap(({ path, truth, name }) => truth.images.map((t, i) => ({ path, truth, t, i, name: `${name} #${i}` })));
  const osByImage = new Map<string, ReturnType<typeof expectedOs>>();

  it.each(cases)('$name', async ({ path, truth, t, i }) => {
    const image = basename(dirname(path));
    const real = image === 'multi' ? (t.repo_tags[0] ?? t.oci_ref_name ?? 'app1').replace(/^localhost\/rw\//, '').replace(/:.*/, '') : image;
    const want = osByImage.get(real) ?? expectedOs(real === 'app1' && t.untagged ? 'app1-old' : real);
    osByImage.set(real, want);
    const ar = await openArchive(path);
    try {
      const img = ar.images[i]!;
      expect(img.id).toBe(t.image_id);
      const scan = await readFinalFiles(ar.store, img, OS_RELEASE_PATHS);
      const r = scan.results.get('etc/os-release')!;
      expect('found' in r).toBe(true);
      const f = (r as { found: NonNullable<Extract<typeof r, { found: unknown }>['found']> }).found;
      const os: OsClueInput = { status: 'found', os: parseOsRelease(f.content.toString()), path: f.path, resolvedPath: f.resolvedPath, links: f.links, layerIndex: f.layerIndex, diffId: f.diffId, size: f.size, sha256: f.sha256 };
      const doc = detectBase(summarize(img), os, null);
      const osClue = doc.clues.find((c) => c.kind === 'os')!;
      expect(osClue.detail).toMatchObject({ id: want.id, versionId: want.versionId, sha256: want.sha256, layerIndex: want.layerIndex, diffId: t.diff_ids[want.layerIndex] });
      expect(scan.mismatches).toEqual([]);
      const labels = doc.clues.filter((c) => c.kind === 'label').map((c) => [c.detail.key, c.value]);
      expect(Object.fromEntries(labels)).toEqual(pick((t.config as { Labels?: Record<string, string> }).Labels));
      const ann = doc.clues.filter((c) => c.kind === 'annotation' && c.value !== null).map((c) => [c.detail.key, c.value]);
      expect(Object.fromEntries(ann)).toEqual(expectedAnnotations(path, truth, t));
    } finally {
      ar.close();
    }
  });
});

describe('base CLI on fixtures, with --against the truth pool (all at once)', () => {
  const pool = truthPool();
  /** the longest image whose chain is a strict prefix of this one, from the truth chainIDs */
  const expectedBases = (id: string) => {
    const me = pool.find((p) => p.id === id)!;
    const bases = pool.filter((p) => p.chainIds.length < me.chainIds.length && p.chainIds.length > 0 && p.chainIds.every((c, k) => me.chainIds[k] === c));
    const n = Math.max(...bases.map((b) => b.chainIds.length));
    return { layers: n, names: new Set(bases.filter((b) => b.chainIds.length === n).flatMap((b) => b.names)) };
  };

  it.each(['app1-old', 'app1', 'app2', 'opaque'])('%s (whole-gzipped docker save): label, OS, chain and history agree on localhost/rw/base:1.0', (image) => {
    const doc = runJson<BaseDoc>(['base', `fixtures/real/${image}/${image}.docker-archive-gz.tar.gz`, '--against', ...POOL_DIRS, '-q']);
    const clue = (k: string) => doc.clues.filter((c) => c.kind === k);
    expect(clue('label').map((c) => c.value)).toEqual(['localhost/rw/base:1.0']);
    expect(clue('os')[0]!.value).toBe('rwtest 1.0 (RW Test Linux 1.0 (fixture))');
    const want = expectedBases(doc.image.id);
    expect(want.names.has(clue('chain')[0]!.value!)).toBe(true);
    expect(clue('chain')[0]!.detail.layers).toBe(want.layers);
    expect(clue('history').every((c) => c.detail.layers === want.layers)).toBe(true);
    expect(doc.disagreements).toEqual([]);
  });

  it('fixture (OCI layout): the manifest annotation names a build stage, the label the real base: shown as disagreeing', () => {
    const doc = runJson<BaseDoc>(['base', 'fixtures/real/fixture/fixture.oci', '--against', ...POOL_DIRS, '-q']);
    const v = (k: string) => doc.clues.filter((c) => c.kind === k).map((c) => c.value);
    expect(v('annotation')).toEqual(['localhost/rw-build/fixture:l5', 'sha256:6101b6fea204d04cf023a4d5b68e53512a3db5137547b9f6eac93250d5120a9c']);
    expect(v('label')).toEqual(['localhost/rw/base:1.0']);
    expect(doc.disagreements.some((d) => d.includes('says localhost/rw-build/fixture:l5') && d.includes('says localhost/rw/base:1.0'))).toBe(true);
    expect(doc.disagreements.some((d) => d.startsWith('the base boundary differs'))).toBe(true);
  });

  // an OCI copy of the base names it only by its tag (skopeo writes ref.name `1.0`): that agrees with the
  // label's localhost/rw/base:1.0 (names from the truth files: oci_ref_name recorded by jq from index.json)
  it.each(['base.oci', 'base.oci-gzip', 'base.oci-zstd', 'base.oci-archive.tar', 'base.oci-archive-gzip.tar'])('app1 against %s alone (named by its bare tag): the clues agree', (copy) => {
    const t = (JSON.parse(readFileSync(`fixtures/real/base/${copy.replace(/\.tar$/, '')}.truth.json`, 'utf8')) as { images: { oci_ref_name: string; chain_ids: string[] }[] }).images[0]!;
    expect(t.oci_ref_name).toBe('1.0');
    const doc = runJson<BaseDoc>(['base', 'fixtures/real/app1/app1.docker-archive.tar', '--against', `fixtures/real/base/${copy}`, '-q']);
    expect(doc.clues.find((c) => c.kind === 'label')!.value).toBe('localhost/rw/base:1.0');
    const chain = doc.clues.find((c) => c.kind === 'chain')!;
    expect(chain.value).toBe('1.0');
    expect(chain.detail.layers).toBe(t.chain_ids.length);
    expect(doc.disagreements).toEqual([]);
  });

  it('app1 against the OCI copy and the docker-archive of the base: one base, its full name shown, no disagreement', () => {
    const doc = runJson<BaseDoc>(['base', 'fixtures/real/app1/app1.oci', '--against', 'fixtures/real/base/base.oci', 'fixtures/real/base/base.docker-archive.tar', '-q']);
    const chain = doc.clues.find((c) => c.kind === 'chain')!;
    expect(chain.value).toBe('localhost/rw/base:1.0');
    expect(chain.detail.names).toEqual(['localhost/rw/base:1.0', '1.0']);
    expect(doc.disagreements).toEqual([]);
  });

  it('a bare tag that is not the label\'s tag still disagrees (app1 relabelled localhost/rw/base:2.0)', async () => {
    const app = await openArchive('fixtures/real/app1/app1.docker-archive.tar');
    const base = await openArchive('fixtures/real/base/base.oci');
    try {
      const img = summarize(app.images[0]!);
      const against = base.images.map(summarize);
      const skip: OsClueInput = { status: 'skipped' };
      expect(detectBase(img, skip, against).disagreements).toEqual([]);
      const relabelled = { ...img, labels: { ...img.labels, [BASE_NAME]: 'localhost/rw/base:2.0' } };
      expect(detectBase(relabelled, skip, against).disagreements).toEqual([
        `config label ${BASE_NAME} says localhost/rw/base:2.0, but the chain prefix matches 1.0 (2 layers)`,
      ]);
    } finally {
      app.close();
      base.close();
    }
  });

  it('base itself: no base found by any clue; --no-os reads no layer', () => {
    const doc = runJson<BaseDoc>(['base', 'fixtures/real/base/base.oci-zstd', '--against', ...POOL_DIRS, '-q', '--no-os']);
    expect(doc.clues.map((c) => [c.kind, c.value])).toEqual([['annotation', null], ['os', null], ['chain', null], ['history', null]]);
  });

  it('several images need -i (candidates listed), then it works', () => {
    const r = run(['base', 'fixtures/real/multi/multi.docker-archive.tar', '-q', '--no-os']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('localhost/rw/app2:latest');
    const doc = runJson<BaseDoc>(['base', 'fixtures/real/multi/multi.docker-archive.tar', '-i', 'localhost/rw/app2:latest', '-q']);
    expect(doc.clues.find((c) => c.kind === 'os')!.value).toBe('rwtest 1.0 (RW Test Linux 1.0 (fixture))');
  });

  it('table: CLUE, SAYS, EVIDENCE', () => {
    const r = run(['base', 'fixtures/real/app2/app2.oci-archive-zstd.tar', '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^CLUE\s+SAYS\s+EVIDENCE$/m);
    expect(r.stdout).toMatch(/^OS\s+rwtest 1.0/m);
  });
});

describe('base: os-release through symlinks, whiteouts and opaque directories (synthetic archives)', () => {
  let dir: string;
  const osr = (id: string, v: string) => `ID=${id}\nVERSION_ID="${v}"\nPRETTY_NAME="${id} ${v}"\n`;
  const make = async (name: string, layers: SynthEntry[][], gzip = false) => {
    const { path } = await writeDockerArchive(dir, name, [{ repoTags: [`synth/${name}:1`], layers }]);
    if (!gzip) return path;
    writeFileSync(`${path}.gz`, gzipSync(readFileSync(path)));
    return `${path}.gz`;
  };
  const os = (path: string) => runJson<BaseDoc>(['base', path, '-q']).clues.find((c) => c.kind === 'os')!;
  beforeAll(() => {
    dir = tempDir('layerdig-os-');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const linked: SynthEntry[][] = [
    [{ path: 'etc/', type: 'dir' }, { path: 'usr/lib/', type: 'dir' }, { path: 'usr/lib/os-release', body: osr('alpha', '1') }, { path: 'etc/os-release', type: 'symlink', target: '../usr/lib/os-release' }],
    [{ path: 'usr/lib/os-release', body: osr('beta', '2') }],
    [{ path: 'srv/app', body: 'x' }],
  ];

  it.each([false, true])('/etc/os-release -> ../usr/lib/os-release, the target rewritten in a higher layer (outer gzip: %s)', async (gz) => {
    const c = os(await make(`linked${gz ? '-gz' : ''}.tar`, linked, gz));
    expect(c.value).toBe('beta 2');
    expect(c.detail).toMatchObject({ path: 'etc/os-release', resolvedPath: 'usr/lib/os-release', links: ['etc/os-release -> ../usr/lib/os-release'], layerIndex: 1 });
  });

  it('a whiteout of /etc/os-release falls back to /usr/lib/os-release', async () => {
    const c = os(await make('wh.tar', [
      [{ path: 'etc/os-release', body: osr('alpha', '1') }, { path: 'usr/lib/os-release', body: osr('gamma', '3') }],
      [{ path: 'etc/.wh.os-release', body: '' }],
    ]));
    expect(c.value).toBe('gamma 3');
    expect(c.detail).toMatchObject({ path: 'usr/lib/os-release', layerIndex: 0 });
  });

  it('an opaque /etc and no /usr/lib/os-release: no OS, and why', async () => {
    const c = os(await make('opq.tar', [
      [{ path: 'etc/os-release', body: osr('alpha', '1') }],
      [{ path: 'etc/', type: 'dir' }, { path: 'etc/.wh..wh..opq', body: '' }, { path: 'etc/hosts', body: 'h' }],
    ]));
    expect(c.value).toBeNull();
    expect(c.evidence).toContain('/etc is made opaque in layer 1');
  });

  it('an absolute symlink through a symlinked directory, and a hard link', async () => {
    const c = os(await make('abs.tar', [
      [{ path: 'lib/', type: 'dir' }, { path: 'lib/os-info', body: osr('delta', '4') }, { path: 'usr/', type: 'dir' }, { path: 'usr/lib', type: 'symlink', target: '/lib' },
        { path: 'etc/', type: 'dir' }, { path: 'etc/os-release', type: 'symlink', target: '/usr/lib/os-release' }, { path: 'lib/os-release', type: 'hardlink', target: 'lib/os-info' }],
    ]));
    expect(c.value).toBe('delta 4');
    expect(c.detail).toMatchObject({ resolvedPath: 'lib/os-release', links: ['etc/os-release -> /usr/lib/os-release', 'usr/lib -> /lib'] });
  });
});
