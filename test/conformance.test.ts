import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { beforeAll, describe, expect, it } from 'vitest';
import { FORMATS } from '../src/format/formats.js';
import { ROOT, runInProcess } from './helpers/cli.js';
import { dockerV1Tar, tarBuffer, twoLayers } from './helpers/synth.js';
import { tempDir } from './helpers/tmp.js';

/**
 * One oracle for every format (as go-containerregistry's validate.Image is for
 * its transports): each entry of FORMATS needs a fixture here, and the same
 * checks run over each, against values this test computes itself from the
 * fixture's bytes (sha256 of members, gunzip with zlib), the OCI spec (chainIDs)
 * or a real tool's record (Docker's own inspect for a data-root):
 *
 * - metadata: `images`, `history`, `inspect` JSON shapes; the image ID is the
 *   sha256 of a config member whose rootfs.diff_ids are the image's diffIDs;
 *   chainIDs follow from the diffIDs per the image-spec;
 * - content pass: `layers --json` diffIDs are sha256 of a member's uncompressed
 *   bytes (or, where layers are directories, what the engine recorded);
 * - verify: exit 0, every check ok.
 *
 * A new format adds one line to CONFORMANCE (and the fixture), or this fails.
 */

interface Fixture {
  /** the input layerdig opens */
  path: () => Promise<string> | string;
  /** pre-1.10 saves have no config document: the ID is not a member's digest */
  noConfigMember?: true;
  /** layers are unpacked directories: the diffIDs an independent tool recorded */
  recordedDiffIds?: () => Set<string>;
}

function fixturePath(rel: string): string {
  const p = join(ROOT, 'fixtures', rel);
  if (!existsSync(p)) throw new Error(`fixture ${rel} is not in fixtures/`);
  return p;
}

/**
 * The containerd root as containerd left it before make.sh removed one layer blob on purpose
 * (a test of its own): the blob put back from the docker save it was imported from — its
 * bytes are that layer.tar, its name their sha256 — and the root packed again by GNU tar.
 */
function healthyContainerdRoot(): string {
  const dir = tempDir();
  const root = join(dir, 'root');
  const sh = (cmd: string) => {
    const r = spawnSync('sh', ['-c', cmd], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr}`);
    return r.stdout;
  };
  const hex = readFileSync(fixturePath('containerd/truth.removed-blob.txt'), 'utf8').trim();
  const save = fixturePath('real/app2/app2.docker-archive.tar');
  const member = sh(`tar -tf '${save}'`).split('\n').find((m) => m === `blobs/sha256/${hex}` || m === `${hex}/layer.tar` || m === `${hex}.tar`);
  if (!member) throw new Error(`${hex} is not a member of ${save}`);
  sh(`mkdir '${root}' && tar --xattrs --xattrs-include='*' --numeric-owner -xzf '${fixturePath('containerd/containerd-root.tar.gz')}' -C '${root}'`);
  sh(`tar -xOf '${save}' '${member}' > '${root}/io.containerd.content.v1.content/blobs/sha256/${hex}'`);
  if (sh(`sha256sum '${root}/io.containerd.content.v1.content/blobs/sha256/${hex}'`).split(' ')[0] !== hex) throw new Error('the restored blob does not hash to its name');
  const out = join(dir, 'containerd-root.tar.gz');
  sh(`tar --xattrs --xattrs-include='*' --numeric-owner -C '${root}' -czf '${out}' . && rm -rf '${root}'`);
  return out;
}

/** The diffIDs podman inspect recorded for a containers-storage fixture's images. */
function podmanDiffIds(truth: string): () => Set<string> {
  return () => {
    const inspect = JSON.parse(readFileSync(fixturePath(truth), 'utf8')) as { RootFS: { Layers: string[] } }[];
    return new Set(inspect.flatMap((i) => i.RootFS.Layers));
  };
}

/** A pre-1.10 `docker save` (repositories + <id>/json + <id>/layer.tar), written here per the v1 layout. */
async function dockerV1Archive(): Promise<string> {
  const tar = await dockerV1Tar((await twoLayers()).layers);
  const p = join(tempDir(), 'v1.tar');
  writeFileSync(p, tar);
  return p;
}

const CONFORMANCE: Record<string, Fixture> = {
  'docker-archive': { path: () => join(ROOT, 'fixtures/real/app1/app1.docker-archive-gz.tar.gz') },
  'skopeo-dir': { path: () => join(ROOT, 'fixtures/real/app1/app1.dir-gzip') },
  'oci-layout': { path: () => join(ROOT, 'fixtures/real/app1/app1.oci-archive-gzip.tar') },
  'docker-archive-v1': { path: dockerV1Archive, noConfigMember: true },
  'docker-data-root': {
    path: () => fixturePath('dataroot/overlay2.tar.gz'),
    recordedDiffIds: () => {
      const inspect = JSON.parse(readFileSync(fixturePath('dataroot/overlay2.truth/image-inspect.json'), 'utf8')) as { RootFS: { Layers: string[] } }[];
      return new Set(inspect.flatMap((i) => i.RootFS.Layers));
    },
  },
  containerd: { path: healthyContainerdRoot },
  'containers-storage': { path: () => fixturePath('containers-storage/overlay.tar.gz'), recordedDiffIds: podmanDiffIds('containers-storage/overlay.truth/image-inspect.json') },
  'registry-storage': { path: () => fixturePath('registry/registry.tar.gz') },
};

const sha256 = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/** The fixture's regular files, unpacked by GNU tar when it is a (compressed) tar. */
function regularFiles(input: string): string[] {
  let root = input;
  if (!statSync(input).isDirectory()) {
    root = tempDir();
    const r = spawnSync('tar', ['-xf', input, '-C', root], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`tar -xf ${input}: ${r.stderr}`);
  }
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d)) {
      const p = join(d, e);
      const st = lstatSync(p);
      if (st.isDirectory()) walk(p);
      else if (st.isFile()) out.push(p);
    }
  };
  walk(root);
  return out;
}

interface Truth {
  /** sha256 of each member → its bytes parsed as JSON, when they are */
  jsonByDigest: Map<string, unknown>;
  /** sha256 of each member's uncompressed bytes (gunzipped when gzip, as is otherwise) */
  uncompressed: Set<string>;
}

function truthOf(input: string): Truth {
  const jsonByDigest = new Map<string, unknown>();
  const uncompressed = new Set<string>();
  for (const f of regularFiles(input)) {
    const bytes = readFileSync(f);
    uncompressed.add(sha256(bytes));
    if (bytes[0] === 0x1f && bytes[1] === 0x8b) uncompressed.add(sha256(gunzipSync(bytes)));
    else if (bytes[0] === 0x7b) {
      try {
        jsonByDigest.set(sha256(bytes), JSON.parse(bytes.toString('utf8')));
      } catch { /* not JSON */ }
    }
  }
  return { jsonByDigest, uncompressed };
}

/** image-spec config.md: ChainID(L0) = DiffID(L0); ChainID(L0|…|Ln) = sha256(ChainID(L0|…|Ln-1) + " " + DiffID(Ln)). */
function chainIds(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length ? `sha256:${createHash('sha256').update(`${out[out.length - 1]} ${d}`).digest('hex')}` : d);
  return out;
}

async function cli<T>(args: string[]): Promise<{ code: number; doc: T }> {
  const r = await runInProcess([...args, '--json']);
  return { code: r.code, doc: JSON.parse(r.stdout || 'null') as T };
}

interface ImageRow { id: string; format: string; repoTags: string[]; refName: string | null; layerCount: number; platform: string }
interface LayersDoc { image: { id: string }; layers: { index: number; diffId: string; chainId: string; diffIdVerified: boolean }[] }
interface HistoryDoc { image: { id: string }; history: { createdBy: string; emptyLayer: boolean; layerIndex: number | null; diffId?: string | null }[] }
interface InspectDoc { Id: string; RootFS: { Type: string; Layers: string[] } }
interface VerifyDoc { ok: boolean; images: { checks: { ok: boolean; check: string }[] }[] }

describe('conformance: every format passes one oracle', () => {
  it('every format layerdig reads has a conformance fixture (a new format adds one)', () => {
    expect(FORMATS.map((f) => f.name).filter((n) => !(n in CONFORMANCE))).toEqual([]);
    expect(Object.keys(CONFORMANCE).filter((n) => !FORMATS.some((f) => f.name === n))).toEqual([]);
  });

  it('the not-an-archive message names every format\'s marker (exit 3)', async () => {
    const p = join(tempDir(), 'plain.tar');
    writeFileSync(p, await tarBuffer([{ name: 'hello.txt', body: 'hello' }]));
    const r = await runInProcess(['images', p]);
    expect(r.code).toBe(3);
    for (const f of FORMATS) expect(r.stderr).toContain(f.describe);
    // the words by hand: each layout's and each image store's marker file
    expect(r.stderr).toContain(`${p}: not a container image archive (no manifest.json, index.json, repositories, image/<driver>/repositories.json, io.containerd.metadata.v1.bolt/meta.db, <driver>-images/images.json or docker/registry/v2)`);
  });

  describe.each(FORMATS.map((f) => f.name).filter((n) => n in CONFORMANCE))('%s', (name) => {
    const fx = CONFORMANCE[name]!;
    let input = '';
    let truth: Truth;
    let images: ImageRow[];
    let layers: LayersDoc[];
    beforeAll(async () => {
      input = await fx.path();
      truth = truthOf(input);
      const im = await cli<ImageRow[]>(['images', input, '--no-trunc']);
      expect(im.code).toBe(0);
      images = im.doc;
      const ly = await cli<LayersDoc[]>(['layers', input, '--no-trunc']);
      expect(ly.code).toBe(0);
      layers = ly.doc;
    }, 120_000);

    it('images: read as this format, each row well formed', () => {
      expect(images.length).toBeGreaterThan(0);
      for (const r of images) {
        expect(r.format).toBe(name);
        expect(r.id).toMatch(/^sha256:[0-9a-f]{64}$/);
        expect(Array.isArray(r.repoTags)).toBe(true);
        expect(r.layerCount).toBeGreaterThan(0);
        expect(r.platform).toMatch(/^[a-z0-9]+\/[a-z0-9]+/);
      }
    });

    it('image ID = sha256 of a config member whose rootfs.diff_ids are the diffIDs the content pass computed', () => {
      for (const r of images) {
        const doc = layers.find((d) => d.image.id === r.id);
        expect(doc, r.id).toBeDefined();
        if (fx.noConfigMember) continue;
        const config = truth.jsonByDigest.get(r.id) as { rootfs?: { type: string; diff_ids: string[] } } | undefined;
        expect(config, `no member hashes to ${r.id}`).toBeDefined();
        expect(config!.rootfs?.type).toBe('layers');
        expect(doc!.layers.map((l) => l.diffId)).toEqual(config!.rootfs!.diff_ids);
      }
    });

    it('content pass: each diffID is the sha256 of a layer\'s uncompressed bytes; chainIDs per the image-spec', () => {
      const independent = fx.recordedDiffIds ? fx.recordedDiffIds() : truth.uncompressed;
      for (const r of images) {
        const doc = layers.find((d) => d.image.id === r.id)!;
        expect(doc.layers.length).toBe(r.layerCount);
        const diffIds = doc.layers.map((l) => l.diffId);
        for (const d of diffIds) expect(independent.has(d), `${r.id}: diffID ${d}`).toBe(true);
        expect(doc.layers.map((l) => l.chainId)).toEqual(chainIds(diffIds));
        expect(doc.layers.every((l) => l.diffIdVerified)).toBe(true);
      }
    });

    it('history: one non-empty entry per layer, in order; inspect: the ID and RootFS', async () => {
      const h = await cli<HistoryDoc[]>(['history', input, '--no-trunc']);
      expect(h.code).toBe(0);
      const ins = await cli<InspectDoc[]>(['inspect', input]);
      expect(ins.code).toBe(0);
      for (const r of images) {
        const diffIds = layers.find((d) => d.image.id === r.id)!.layers.map((l) => l.diffId);
        const hist = h.doc.find((d) => d.image.id === r.id)!.history;
        expect(hist.filter((x) => !x.emptyLayer).map((x) => x.layerIndex)).toEqual(diffIds.map((_, i) => i));
        expect(hist.filter((x) => x.emptyLayer).every((x) => x.layerIndex === null)).toBe(true);
        const doc = ins.doc.find((d) => d.Id === r.id);
        expect(doc, r.id).toBeDefined();
        expect(doc!.RootFS).toEqual({ Type: 'layers', Layers: diffIds });
      }
    });

    it('verify: exit 0, every check ok', async () => {
      const v = await cli<VerifyDoc[]>(['verify', input]);
      expect(v.code).toBe(0);
      for (const a of v.doc) {
        expect(a.ok).toBe(true);
        expect(a.images.flatMap((i) => i.checks).filter((c) => !c.ok)).toEqual([]);
      }
    });
  });
});
