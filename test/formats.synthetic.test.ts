import { beforeAll, describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { run, runJson } from './helpers/cli.js';
import { config, dockerV1Tar, gz, hex, json, sha, tarBuffer, tempDir, twoLayers, writeTree } from './helpers/synth.js';

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_GZ = 'application/vnd.oci.image.layer.v1.tar+gzip';
const desc = (mediaType: string, body: Buffer | string, extra: Record<string, unknown> = {}) =>
  ({ mediaType, digest: sha(body), size: Buffer.byteLength(body), ...extra });

interface Row { id: string; repoTags: string[]; refName: string | null; manifestDigest: string | null; platform: string; layerCount: number; format: string }
interface LayersDoc { layers: { diffId: string; chainId: string; digest: string; compression: string; content: string[]; storage: string; diffIdVerified: boolean }[] }

let L: { layers: Buffer[]; diffIds: string[] };
beforeAll(async () => { L = await twoLayers(); });

/** An image manifest + config for the two layers, gzip-compressed as a registry would store them. */
function ociImage(arch = 'amd64') {
  const blobs = L.layers.map(gz);
  const cfg = config(L.diffIds, { architecture: arch });
  const manifest = json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc(OCI_CONFIG, cfg), layers: blobs.map((b) => desc(OCI_GZ, b)) });
  const files: Record<string, Buffer | string> = { [`blobs/sha256/${hex(cfg)}`]: cfg, [`blobs/sha256/${hex(manifest)}`]: manifest };
  for (const b of blobs) files[`blobs/sha256/${hex(b)}`] = b;
  return { files, manifest, cfg, blobs };
}

describe('Docker 25+ save: manifest.json plus an OCI layout', () => {
  it('takes the manifest digest from index.json and keeps an untagged image that index.json omits', async () => {
    const a = ociImage();
    const other = config([L.diffIds[0]!], { created: '2020-01-01T00:00:00Z' });
    const index = json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [desc(OCI_MANIFEST, a.manifest, { annotations: { 'io.containerd.image.name': 'docker.io/library/app:1.0', 'org.opencontainers.image.ref.name': '1.0' } })] });
    const manifestJson = json([
      { Config: `blobs/sha256/${hex(a.cfg)}`, RepoTags: ['app:1.0'], Layers: a.blobs.map((b) => `blobs/sha256/${hex(b)}`),
        LayerSources: Object.fromEntries(a.blobs.map((b, i) => [L.diffIds[i], desc(OCI_GZ, b)])) },
      { Config: `blobs/sha256/${hex(other)}`, RepoTags: null, Layers: [`blobs/sha256/${hex(a.blobs[0]!)}`] },
    ]);
    const dir = writeTree(tempDir(), { ...a.files, [`blobs/sha256/${hex(other)}`]: other, 'index.json': index, 'oci-layout': '{"imageLayoutVersion":"1.0.0"}', 'manifest.json': manifestJson });
    const tarPath = join(tempDir(), 'd25.tar');
    expect(spawnSync('tar', ['-cf', tarPath, '-C', dir, '.']).status).toBe(0);
    const rows = runJson<Row[]>(['images', tarPath]);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ id: sha(a.cfg), repoTags: ['app:1.0'], manifestDigest: sha(a.manifest), format: 'docker-archive-oci' });
    expect(rows[1]).toMatchObject({ id: sha(other), repoTags: [], manifestDigest: null, layerCount: 1 });
    const [doc] = runJson<LayersDoc[]>(['layers', tarPath, '-i', 'app:1.0', '--no-trunc']);
    expect(doc!.layers.map((l) => l.digest)).toEqual(a.blobs.map(sha));
    expect(doc!.layers.every((l) => l.diffIdVerified && l.compression === 'gzip')).toBe(true);
  });

  it('containerd store save: other platforms missing on purpose is a note, not an error', () => {
    const a = ociImage('amd64');
    const missing = json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: {}, layers: [] });
    const list = json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [
      desc(OCI_MANIFEST, a.manifest, { platform: { os: 'linux', architecture: 'amd64' } }),
      desc(OCI_MANIFEST, missing, { platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }),
    ] });
    const index = json({ schemaVersion: 2, manifests: [desc(OCI_INDEX, list, { annotations: { 'io.containerd.image.name': 'docker.io/library/multi:latest' } })] });
    const manifestJson = json([{ Config: `blobs/sha256/${hex(a.cfg)}`, RepoTags: ['multi:latest'], Layers: a.blobs.map((b) => `blobs/sha256/${hex(b)}`) }]);
    const dir = writeTree(tempDir(), { ...a.files, [`blobs/sha256/${hex(list)}`]: list, 'index.json': index, 'oci-layout': '{}', 'manifest.json': manifestJson });
    const tarPath = join(tempDir(), 'ctr.tar');
    spawnSync('tar', ['-cf', tarPath, '-C', dir, '.']);
    const r = run(['images', tarPath, '--json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject([{ repoTags: ['multi:latest'], manifestDigest: sha(a.manifest), platform: 'linux/amd64' }]);
    expect(r.stderr).toMatch(/linux\/arm64\/v8\) is referenced by .* but not in the archive: skipped/);
  });
});

describe('OCI layout', () => {
  it('nested indexes, several platforms, --platform, Docker media types, artifacts and attestations skipped with a note', () => {
    const amd = ociImage('amd64');
    const arm = ociImage('arm64');
    const dockerManifest = json({ schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
      config: desc('application/vnd.docker.container.image.v1+json', amd.cfg), layers: amd.blobs.map((b) => desc('application/vnd.docker.image.rootfs.diff.tar.gzip', b)) });
    const artifactCfg = '{}';
    const artifact = json({ schemaVersion: 2, mediaType: OCI_MANIFEST, artifactType: 'application/vnd.example.sbom', config: desc('application/vnd.oci.empty.v1+json', artifactCfg), layers: [] });
    const inner = json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [
      desc(OCI_MANIFEST, amd.manifest, { platform: { os: 'linux', architecture: 'amd64' } }),
      desc(OCI_MANIFEST, arm.manifest, { platform: { os: 'linux', architecture: 'arm64' } }),
      desc(OCI_MANIFEST, artifact, { annotations: { 'vnd.docker.reference.type': 'attestation-manifest' }, platform: { os: 'unknown', architecture: 'unknown' } }),
    ] });
    const index = json({ schemaVersion: 2, manifests: [
      desc(OCI_INDEX, inner, { annotations: { 'org.opencontainers.image.ref.name': 'example.com:5000/team/app:2.1' } }),
      desc('application/vnd.docker.distribution.manifest.v2+json', dockerManifest, { annotations: { 'org.opencontainers.image.ref.name': 'docker-mt' } }),
      desc(OCI_MANIFEST, artifact, { annotations: { 'org.opencontainers.image.ref.name': 'sbom' } }),
    ] });
    const dir = writeTree(tempDir(), { ...amd.files, ...arm.files, [`blobs/sha256/${hex(inner)}`]: inner, [`blobs/sha256/${hex(dockerManifest)}`]: dockerManifest,
      [`blobs/sha256/${hex(artifact)}`]: artifact, [`blobs/sha256/${hex(artifactCfg)}`]: artifactCfg, 'index.json': index, 'oci-layout': '{"imageLayoutVersion":"1.0.0"}' });
    const r = run(['images', dir, '--json']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as Row[];
    expect(rows.map((x) => [x.refName, x.platform, x.manifestDigest])).toEqual([
      ['example.com:5000/team/app:2.1', 'linux/amd64', sha(amd.manifest)],
      ['example.com:5000/team/app:2.1', 'linux/arm64', sha(arm.manifest)],
      ['docker-mt', 'linux/amd64', sha(dockerManifest)],
    ]);
    // one line for the archive: the buildx-annotated manifest is an attestation, artifactType …sbom an SBOM
    expect(r.stderr).toMatch(/: 2 artifacts skipped: 1 attestation, 1 SBOM — see `attached`\n/);
    expect(r.stderr.match(/artifact/g)).toHaveLength(1);
    // the table splits host:port/repo:tag at the last ':' after the last '/'
    const table = run(['images', dir, '--platform', 'linux/arm64']).stdout;
    expect(table).toMatch(/example\.com:5000\/team\/app\s+2\.1\s+[0-9a-f]{12}\s.*linux\/arm64/);
    expect(table).not.toMatch(/amd64/);
    // -i with a ref name matching two platforms is ambiguous; --platform settles it
    expect(run(['layers', dir, '-i', 'example.com:5000/team/app:2.1', '--platform', 'linux/arm64', '--json']).code).toBe(0);
  });
});

describe('skopeo dir:', () => {
  it('--all copies: index + <hex>.manifest.json per instance', () => {
    const amd = ociImage('amd64');
    const arm = ociImage('arm64');
    const files: Record<string, Buffer | string> = {};
    for (const img of [amd, arm]) {
      for (const [k, v] of Object.entries(img.files)) if (!k.endsWith(hex(img.manifest))) files[k.replace('blobs/sha256/', '')] = v;
      files[`${hex(img.manifest)}.manifest.json`] = img.manifest;
    }
    const index = json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [
      desc(OCI_MANIFEST, amd.manifest, { platform: { os: 'linux', architecture: 'amd64' } }),
      desc(OCI_MANIFEST, arm.manifest, { platform: { os: 'linux', architecture: 'arm64' } }),
    ] });
    const dir = writeTree(tempDir(), { ...files, 'manifest.json': index, version: 'Directory Transport Version: 1.1\n' });
    const rows = runJson<Row[]>(['images', dir]);
    expect(rows.map((x) => [x.platform, x.manifestDigest, x.format])).toEqual([
      ['linux/amd64', sha(amd.manifest), 'skopeo-dir'], ['linux/arm64', sha(arm.manifest), 'skopeo-dir'],
    ]);
  });

  it('schema 1: history from v1Compatibility, diffIDs by hashing the layers', () => {
    const blobs = L.layers.map(gz);
    // fsLayers and history are newest first; the top entry is a throwaway (empty layer)
    const v1 = [
      { id: 'c'.repeat(64), parent: 'b'.repeat(64), created: '2016-01-03T00:00:00Z', container_config: { Cmd: ['/bin/sh', '-c', '#(nop) CMD ["sh"]'] }, throwaway: true, os: 'linux', architecture: 'amd64', config: { Cmd: ['sh'] } },
      { id: 'b'.repeat(64), parent: 'a'.repeat(64), created: '2016-01-02T00:00:00Z', container_config: { Cmd: ['/bin/sh', '-c', 'make app'] } },
      { id: 'a'.repeat(64), created: '2016-01-01T00:00:00Z', container_config: { Cmd: ['/bin/sh', '-c', '#(nop) ADD file:base in /'] } },
    ];
    const manifest = json({ schemaVersion: 1, name: 'legacy/app', tag: 'old', architecture: 'amd64',
      fsLayers: [{ blobSum: sha(gz(Buffer.alloc(1024))) }, { blobSum: sha(blobs[1]!) }, { blobSum: sha(blobs[0]!) }],
      history: v1.map((h) => ({ v1Compatibility: JSON.stringify(h) })) });
    const dir = writeTree(tempDir(), { [hex(blobs[0]!)]: blobs[0]!, [hex(blobs[1]!)]: blobs[1]!, 'manifest.json': manifest, version: 'Directory Transport Version: 1.1\n' });
    const [doc] = runJson<LayersDoc[]>(['layers', dir, '--no-trunc']);
    expect(doc!.layers.map((l) => l.diffId)).toEqual(L.diffIds);
    expect(doc!.layers.map((l) => l.digest)).toEqual(blobs.map(sha));
    const [h] = runJson<{ history: { createdBy: string; emptyLayer: boolean; layerIndex: number | null }[] }[]>(['history', dir]);
    expect(h!.history.map((x) => [x.createdBy, x.emptyLayer, x.layerIndex])).toEqual([
      ['/bin/sh -c #(nop) ADD file:base in /', false, 0], ['/bin/sh -c make app', false, 1], ['/bin/sh -c #(nop) CMD ["sh"]', true, null],
    ]);
    expect(runJson<Row[]>(['images', dir])[0]).toMatchObject({ id: `sha256:${'c'.repeat(64)}`, repoTags: ['legacy/app:old'] });
  });
});

describe('docker save archives', () => {
  it('pre-1.10 (repositories + <id>/json parent chain): diffIDs computed by hashing', async () => {
    const tar = await dockerV1Tar(L.layers);
    const p = join(tempDir(), 'v1.tar');
    writeFileSync(p, tar);
    const [doc] = runJson<LayersDoc[]>(['layers', p, '--no-trunc']);
    expect(doc!.layers.map((l) => l.diffId)).toEqual(L.diffIds);
    expect(runJson<Row[]>(['images', p])[0]).toMatchObject({ repoTags: ['old/app:v1'], format: 'docker-archive-v1', layerCount: 2, platform: 'linux/amd64' });
  });

  it('RepoTags absent, symlinked layer.tar, whole archive zstd-compressed', async () => {
    const cfg = config(L.diffIds);
    const tar = await tarBuffer([
      { name: 'l1/layer.tar', body: L.layers[0]! },
      { name: 'l2/layer.tar', body: L.layers[1]! },
      { name: 'l3/layer.tar', type: 'symlink', linkname: '../l1/layer.tar' },
      { name: `${hex(cfg)}.json`, body: cfg },
      { name: 'manifest.json', body: json([{ Config: `${hex(cfg)}.json`, Layers: ['l1/layer.tar', 'l2/layer.tar'] }, { Config: `${hex(cfg)}.json`, RepoTags: ['x:1'], Layers: ['l3/layer.tar', 'l2/layer.tar'] }]) },
    ]);
    const p = join(tempDir(), 'a.tar');
    writeFileSync(p, tar);
    expect(spawnSync('zstd', ['-q', '-f', p, '-o', `${p}.zst`]).status).toBe(0);
    const docs = runJson<LayersDoc[]>(['layers', `${p}.zst`, '--no-trunc']);
    expect(docs.map((d) => d.layers.map((l) => l.storage.split('!')[1]))).toEqual([['l1/layer.tar', 'l2/layer.tar'], ['l1/layer.tar', 'l2/layer.tar']]);
    expect(docs[1]!.layers.map((l) => l.diffId)).toEqual(L.diffIds);
    expect(runJson<Row[]>(['images', `${p}.zst`]).map((r) => r.repoTags)).toEqual([[], ['x:1']]);
  });
});

describe('image selection and bad input', () => {
  let dir: string;
  let tarPath: string;
  beforeAll(async () => {
    const cfgA = config(L.diffIds, { created: '2024-01-01T00:00:00Z' });
    const cfgB = config(L.diffIds, { created: '2024-02-01T00:00:00Z' });
    dir = tempDir();
    tarPath = join(dir, 'two.tar');
    writeFileSync(tarPath, await tarBuffer([
      { name: 'a.tar', body: L.layers[0]! }, { name: 'b.tar', body: L.layers[1]! },
      { name: `${hex(cfgA)}.json`, body: cfgA }, { name: `${hex(cfgB)}.json`, body: cfgB },
      { name: 'manifest.json', body: json([
        { Config: `${hex(cfgA)}.json`, RepoTags: ['reg.example:5000/team/app:1.0'], Layers: ['a.tar', 'b.tar'] },
        { Config: `${hex(cfgB)}.json`, RepoTags: ['reg.example:5000/team/app:2.0'], Layers: ['a.tar', 'b.tar'] },
      ]) },
    ]));
  });

  it('-i by repo:tag, by image-ID prefix (with or without sha256:)', () => {
    const rows = runJson<Row[]>(['images', tarPath]);
    const idB = rows[1]!.id;
    for (const sel of ['reg.example:5000/team/app:2.0', idB.slice(7, 19), `sha256:${idB.slice(7, 15)}`]) {
      expect(runJson<{ image: { id: string } }[]>(['history', tarPath, '-i', sel]).map((d) => d.image.id)).toEqual([idB]);
    }
  });

  it('an unknown selector exits 4 and lists the candidates; an ambiguous one for a single-image command exits 2', () => {
    const r = run(['layers', tarPath, '-i', 'nope:1']);
    expect(r.code).toBe(4);
    expect(r.stderr).toMatch(/no image matches "nope:1"/);
    expect(r.stderr).toMatch(/reg\.example:5000\/team\/app:1\.0/);
  });

  it('bad input: one sentence naming archive and member, documented exit codes, no stack trace', async () => {
    const notArchive = join(dir, 'notes.txt');
    writeFileSync(notArchive, 'hello, this is not an archive\n'.repeat(40));
    const nullManifest = join(dir, 'null.tar');
    writeFileSync(nullManifest, await tarBuffer([{ name: 'manifest.json', body: 'null' }]));
    const cfg = config([L.diffIds[0]!]);
    const mismatch = join(dir, 'count.tar');
    writeFileSync(mismatch, await tarBuffer([
      { name: 'a.tar', body: L.layers[0]! }, { name: 'b.tar', body: L.layers[1]! }, { name: 'c.json', body: cfg },
      { name: 'manifest.json', body: json([{ Config: 'c.json', Layers: ['a.tar', 'b.tar'] }]) },
    ]));
    const cases: [string, RegExp][] = [
      [notArchive, /notes\.txt: not a tar archive/],
      [nullManifest, /null\.tar!manifest\.json: is null: the archive lists no images/],
      [mismatch, /count\.tar!c\.json: the config lists 1 diffIDs but the manifest has 2 layers/],
      [join(dir, 'missing.tar'), /missing\.tar: no such file or directory/],
    ];
    for (const [p, msg] of cases) {
      const r = run(['images', p]);
      expect(r.code, p).toBe(3);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
    }
  });
});
