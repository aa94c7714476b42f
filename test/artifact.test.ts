import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { ROOT, runInProcess } from './helpers/cli.js';
import { config, hex, json, tempDir, writeTree } from './helpers/synth.js';
import { flipByte, tampered } from './helpers/tamper.js';

/**
 * Artifacts are not images (issue 11 §1, §6): fixtures/artifacts/make.sh builds
 * the layouts (into fixtures/artifacts, outside the truth pool of fixtures/real and fixtures/external) with skopeo and by hand per OCI 1.1; the truth files beside them
 * are jq/sha256sum/skopeo inspect output. Every image value here is compared
 * with those, never with layerdig's own output.
 */
const DIR = join(ROOT, 'fixtures', 'artifacts');

interface ImageTruth { ref: string | null; manifest: string; id: string; layers: string[]; diffIds: string[]; history: { created_by: string; empty_layer: boolean }[] }
interface ArtifactTruth { kind: string; digest: string; artifactType: string; subject: string | null; attachedBy: string | null; blobs: number }
interface Truth { images: ImageTruth[]; artifacts: ArtifactTruth[]; blobs: number }
const truth = (name: string) => JSON.parse(readFileSync(join(DIR, `${name}.truth.json`), 'utf8')) as Truth;

const temps: string[] = [];
afterAll(() => {
  for (const t of temps) rmSync(t, { recursive: true, force: true });
});
/** A tampered copy, removed after the run (tampered() puts it under a fresh temp dir). */
function copyOf(archive: string, edit: (root: string) => void): string {
  const out = tampered(archive, edit);
  temps.push(dirname(out));
  return out;
}

/** The documented note line, built from the truth's kinds in the documented order. */
function expectedNote(t: Truth): string {
  const words: [string, string, string][] = [
    ['attestation', 'attestation', 'attestations'], ['signature', 'signature', 'signatures'], ['sbom', 'SBOM', 'SBOMs'],
    ['helm chart', 'helm chart', 'helm charts'], ['artifact', 'other artifact', 'other artifacts'],
  ];
  const parts = words.flatMap(([k, one, many]) => {
    const n = t.artifacts.filter((a) => a.kind === k).length;
    return n ? [`${n} ${n === 1 ? one : many}`] : [];
  });
  const n = t.artifacts.length;
  return `${n} artifact${n === 1 ? '' : 's'} skipped: ${parts.join(', ')} — see \`attached\``;
}

const WITH_ARTIFACTS = ['mixed.oci', 'attest.oci', 'attest.dir', 'mixed.dir', 'helm.oci'];

describe.each(WITH_ARTIFACTS)('%s: artifacts never break the images', (name) => {
  const path = join(DIR, name);
  const t = truth(name);

  it('images: exactly the image manifests of the truth, exit 0, one note line naming the artifacts', async () => {
    const r = await runInProcess(['images', path, '--json', '--no-trunc']);
    expect(r.code).toBe(0);
    const rows = JSON.parse(r.stdout) as { id: string; manifestDigest: string; refName: string | null; layerCount: number }[];
    expect(rows.map((x) => [x.id, x.manifestDigest, x.layerCount]).sort()).toEqual(t.images.map((i) => [i.id, i.manifest, i.layers.length]).sort());
    if (name.endsWith('.oci')) expect(rows.map((x) => x.refName).sort()).toEqual(t.images.map((i) => i.ref).sort());
    const lines = r.stderr.trim().split('\n').filter((l) => /artifact/.test(l));
    expect(lines).toEqual([`layerdig: ${path}: ${expectedNote(t)}`]);
  });

  it('history and layers: per image, the config\'s history and diffIDs and the manifest\'s layer digests', async () => {
    const h = await runInProcess(['history', path, '--json', '--no-trunc', '-q']);
    const l = await runInProcess(['layers', path, '--json', '--no-trunc', '-q']);
    expect([h.code, l.code]).toEqual([0, 0]);
    const hist = JSON.parse(h.stdout) as { image: { id: string }; history: { createdBy: string; emptyLayer: boolean }[] }[];
    const lay = JSON.parse(l.stdout) as { image: { id: string }; layers: { diffId: string; digest: string }[] }[];
    expect(hist).toHaveLength(t.images.length);
    expect(lay).toHaveLength(t.images.length);
    for (const img of t.images) {
      expect(hist.find((x) => x.image.id === img.id)!.history.map((e) => [e.createdBy, e.emptyLayer]))
        .toEqual(img.history.map((e) => [e.created_by, e.empty_layer]));
      const got = lay.find((x) => x.image.id === img.id)!.layers;
      expect(got.map((x) => x.diffId)).toEqual(img.diffIds);
      expect(got.map((x) => x.digest)).toEqual(img.layers);
    }
  });

  it('relation, none --all, efficiency: exit 0, images only', async () => {
    const first = t.images[0]?.diffIds[0] ?? 'sha256:' + '0'.repeat(64);
    const rel = await runInProcess(['relation', first, path, '--json', '--no-trunc', '-q']);
    const holders = t.images.filter((i) => i.diffIds.includes(first)).map((i) => i.id).sort();
    if (holders.length) {
      expect(rel.code).toBe(0);
      expect((JSON.parse(rel.stdout) as { matches: { image: { id: string } }[] }).matches.map((m) => m.image.id).sort()).toEqual(holders);
    } else {
      expect(rel.code).toBe(4); // nothing holds it: not found, as for any archive without images
    }
    const none = await runInProcess(['none', '--all', path, '--json', '--no-trunc', '-q']);
    expect(none.code).toBe(0);
    for (const a of t.artifacts) expect(none.stdout).not.toContain(a.digest);
    const eff = await runInProcess(['efficiency', path, '--json', '-q']);
    expect(eff.code).toBe(0);
    expect((JSON.parse(eff.stdout) as { image: { id: string } }[]).map((e) => e.image.id).sort()).toEqual(t.images.map((i) => i.id).sort());
  });

  it('verify: exit 0; every stored blob verified and referenced; every artifact descriptor checked; artifacts counted', async () => {
    const r = await runInProcess(['verify', path, '--json', '--no-trunc', '-q']);
    expect(r.code).toBe(0);
    const [doc] = JSON.parse(r.stdout) as { ok: boolean; artifacts: number; blobs: number; notes: string[]; images: { id: string | null; checks: { check: string; subject: string; expected: unknown; ok: boolean }[] }[] }[];
    expect(doc!.ok).toBe(true);
    expect(doc!.artifacts).toBe(t.artifacts.length);
    expect(doc!.blobs).toBe(t.blobs);
    expect(doc!.notes.filter((n) => /unreferenced|nothing in it references/.test(n))).toEqual([]);
    const wide = doc!.images.find((i) => i.id === null)!.checks;
    for (const a of t.artifacts) {
      expect(wide.some((c) => c.check === 'manifest digest' && c.expected === a.digest && c.ok), a.digest).toBe(true);
    }
    const text = await runInProcess(['verify', path, '-q']);
    const imgs = t.images.length;
    const arts = t.artifacts.length;
    expect(text.stdout.trim()).toMatch(new RegExp(`: verified: \\d+ checks passed \\(${imgs} images?, ${arts} artifacts?, ${t.blobs} blobs verified\\)$`));
  });
});

describe('artifact blobs are verified like image blobs', () => {
  it('an artifact-only layout (a helm chart): "0 images, 1 artifact, 3 blobs verified", exit 0', async () => {
    const r = await runInProcess(['verify', join(DIR, 'helm.oci')]);
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toMatch(/helm\.oci: verified: \d+ checks passed \(0 images, 1 artifact, 3 blobs verified\)$/);
  });

  it('a changed byte in an artifact\'s layer (the SBOM of mixed.oci) is a mismatch naming the blob; a stray blob is the only unreferenced one', async () => {
    const t = truth('mixed.oci');
    const sbom = t.artifacts.find((a) => a.kind === 'sbom' && a.attachedBy === 'subject')!;
    const manifest = JSON.parse(readFileSync(join(DIR, 'mixed.oci', 'blobs', 'sha256', sbom.digest.slice(7)), 'utf8')) as { layers: { digest: string }[] };
    const layer = `blobs/sha256/${manifest.layers[0]!.digest.slice(7)}`;
    const stray = Buffer.from('not referenced by anything');
    const copy = copyOf(join(DIR, 'mixed.oci'), (root) => {
      flipByte(join(root, layer));
      writeFileSync(join(root, 'blobs', 'sha256', hex(stray)), stray);
    });
    const r = await runInProcess(['verify', copy, '--no-trunc']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`layer digest\\s+${layer}\\s+${manifest.layers[0]!.digest}`));
    const unref = r.stderr.split('\n').filter((l) => /nothing in it references it/.test(l));
    expect(unref).toHaveLength(1);
    expect(unref[0]).toContain(`blobs/sha256/${hex(stray)}`);
  });
});

describe('cosign-style tags in a docker-archive (by hand: skopeo 1.9 refuses to convert a cosign manifest)', () => {
  it('an entry whose every tag is sha256-<hex>.sig is a signature, not an image; the image beside it is read', async () => {
    const layer = Buffer.from('{"critical":{"type":"cosign container image signature"}}');
    const sigCfg = config([`sha256:${hex(layer)}`]);
    const imgTar = spawnSync('tar', ['-cf', '-', '--files-from', '/dev/null']).stdout as Buffer; // an empty layer: 10 KiB of zeros
    const imgCfg = config([`sha256:${hex(imgTar)}`]);
    const subject = 'a'.repeat(64);
    const root = writeTree(tempDir(), {
      [`${hex(sigCfg)}.json`]: sigCfg, [`${hex(layer)}.tar`]: layer,
      [`${hex(imgCfg)}.json`]: imgCfg, [`${hex(imgTar)}.tar`]: imgTar,
      'manifest.json': json([
        { Config: `${hex(imgCfg)}.json`, RepoTags: ['localhost/app:1'], Layers: [`${hex(imgTar)}.tar`] },
        { Config: `${hex(sigCfg)}.json`, RepoTags: [`localhost/app:sha256-${subject}.sig`], Layers: [`${hex(layer)}.tar`] },
      ]),
    });
    temps.push(root);
    const r = await runInProcess(['images', root, '--json', '--no-trunc']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string; repoTags: string[] }[]).map((x) => [x.id, x.repoTags])).toEqual([[`sha256:${hex(imgCfg)}`, ['localhost/app:1']]]);
    expect(r.stderr).toContain('1 artifact skipped: 1 signature — see `attached`');
    const v = await runInProcess(['verify', root, '-q']);
    expect(v.code).toBe(0);
    // the two configs (named by their digests) and the image's layer (by its diffID)
    expect(v.stdout).toMatch(/\(1 image, 1 artifact, 3 blobs verified\)/);
  });
});

describe('a nested index that lists itself (its stored digest lies)', () => {
  const path = join(DIR, 'selfref.oci');
  const t = JSON.parse(readFileSync(join(DIR, 'selfref.oci.truth.json'), 'utf8')) as { member: string; storedAs: string; contentDigest: string; image: ImageTruth };

  it('images and layers: the other image still answered, one warning naming the blob and its real digest, exit 1', async () => {
    for (const cmd of ['images', 'layers']) {
      const r = await runInProcess([cmd, path, '--json', '--no-trunc']);
      expect(r.code, cmd).toBe(1);
      expect(r.stdout).toContain(t.image.id);
      const warnings = r.stderr.split('\n').filter((l) => /WARNING/.test(l));
      expect(warnings, cmd).toHaveLength(1);
      expect(warnings[0]).toContain(`${path}!${t.member}: this index lists itself`);
      expect(warnings[0]).toContain(`its content hashes to ${t.contentDigest}`);
    }
  });

  it('verify: a mismatch (exit 1) naming the blob: its digest, and the cycle', async () => {
    const r = await runInProcess(['verify', path, '--json', '--no-trunc', '-q']);
    expect(r.code).toBe(1);
    const [doc] = JSON.parse(r.stdout) as { images: { id: string | null; checks: { check: string; subject: string; expected: unknown; actual: unknown; ok: boolean }[] }[] }[];
    const failed = doc!.images.flatMap((i) => i.checks).filter((c) => !c.ok);
    expect(failed.map((c) => [c.check, c.subject]).sort()).toEqual([['index cycle', t.member], ['index digest', t.member]]);
    expect(failed.find((c) => c.check === 'index digest')).toMatchObject({ expected: t.storedAs, actual: t.contentDigest });
  });
});

describe('schema 1 dir: copy (skopeo --format v2s1)', () => {
  const path = join(DIR, 'schema1.dir');
  const t = JSON.parse(readFileSync(join(DIR, 'schema1.dir.truth.json'), 'utf8')) as {
    name: string; tag: string; v1Id: string; fsLayers: { blobSum: string; file: string; fileDigest: string }[]; throwaway: boolean[];
  };

  it('skopeo wrote an empty name and tag: the image is <none>, untagged, never ":"', async () => {
    expect([t.name, t.tag]).toEqual(['', '']);
    const r = await runInProcess(['images', path, '--json', '--no-trunc', '-q']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject([{ id: `sha256:${t.v1Id}`, repoTags: [] }]);
    const table = await runInProcess(['images', path]);
    expect(table.stdout.split('\n')[1]).toMatch(/^<none>\s+<none>\s/);
    const layers = await runInProcess(['layers', path, '-q']);
    expect(layers.stdout.split('\n')[0]).toMatch(new RegExp(`^IMAGE <none> ${t.v1Id.slice(0, 12)} `));
    // `none --all` lists it as untagged (a ":" tag made it a tagged image before)
    const none = await runInProcess(['none', '--all', path, '--json', '--no-trunc', '-q']);
    expect((JSON.parse(none.stdout) as { image: { id: string } }[]).map((x) => x.image.id)).toEqual([`sha256:${t.v1Id}`]);
    expect(none.stdout).not.toContain('":"');
  });

  it('verify checks every fsLayers blob against its blobSum, the throwaway ones too', async () => {
    expect(t.throwaway.some(Boolean)).toBe(true);
    const ok = await runInProcess(['verify', path, '--json', '--no-trunc', '-q']);
    expect(ok.code).toBe(0);
    const checks = (JSON.parse(ok.stdout) as { images: { checks: { check: string; subject: string; expected: unknown; actual: unknown }[] }[] }[])[0]!
      .images.flatMap((i) => i.checks).filter((c) => c.check === 'layer digest');
    const want = [...new Map(t.fsLayers.map((l) => [l.file, l.fileDigest])).entries()].sort();
    expect(checks.map((c) => [c.subject, c.actual]).sort()).toEqual(want);

    const throwaway = t.fsLayers.find((_, i) => t.throwaway[i])!;
    const copy = copyOf(path, (root) => flipByte(join(root, throwaway.file)));
    const bad = await runInProcess(['verify', copy, '--no-trunc', '-q']);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`layer digest\\s+${throwaway.file}\\s+${throwaway.blobSum}`));
  });
});

describe('a Docker 25+ save of a buildx image with its attestation (attest.oci plus the manifest.json Docker writes)', () => {
  it('the image is read through both lists, the attestation is one artifact, verify passes', async () => {
    const t = truth('attest.oci');
    const img = t.images[0]!;
    const cfg = JSON.parse(readFileSync(join(DIR, 'attest.oci', 'blobs', 'sha256', img.manifest.slice(7)), 'utf8')) as { config: { digest: string } };
    const root = copyOf(join(DIR, 'attest.oci'), (r) => {
      const index = JSON.parse(readFileSync(join(r, 'index.json'), 'utf8')) as { manifests: { annotations: Record<string, string> }[] };
      index.manifests[0]!.annotations['io.containerd.image.name'] = 'localhost/rw/base:latest';
      writeFileSync(join(r, 'index.json'), json(index));
      writeFileSync(join(r, 'manifest.json'), json([{
        Config: `blobs/sha256/${cfg.config.digest.slice(7)}`, RepoTags: ['localhost/rw/base:latest'],
        Layers: img.layers.map((l) => `blobs/sha256/${l.slice(7)}`),
      }]));
    });
    const tar = join(dirname(root), 'docker25.tar');
    expect(spawnSync('tar', ['-cf', tar, '-C', root, '.']).status).toBe(0);
    const r = await runInProcess(['images', tar, '--json', '--no-trunc']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { id: string; manifestDigest: string; repoTags: string[] }[]).map((x) => [x.id, x.manifestDigest, x.repoTags]))
      .toEqual([[img.id, img.manifest, ['localhost/rw/base:latest']]]);
    expect(r.stderr).toContain(`${tar}: 1 artifact skipped: 1 attestation — see \`attached\``);
    const v = await runInProcess(['verify', tar, '-q']);
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(new RegExp(`\\(1 image, 1 artifact, ${t.blobs} blobs verified\\)`));
  });
});
