import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, run, runJson } from './helpers/cli.js';

/**
 * `LayerSources` read as Docker reads it (fixtures/layersources/make.sh, truth by
 * sha256sum/gzip/jq): before Docker 25 it is where a layer came from, shown as `source`
 * and never compared with the stored member; in a Docker 25+ save it describes the blob.
 */
interface Truth {
  configDigest: string;
  archives: Record<string, { repoTags: string[]; layers: { diffId: string; member: string; memberDigest: string; memberSize: number; source: object | null }[] }>;
}
interface LayersDoc {
  image: { id: string; repoTags: string[] };
  layers: { diffId: string; digest: string; compressedSize: number; storage: string; source: object | null; digestVerified: boolean | null; diffIdVerified: boolean }[];
}

const DIR = join(ROOT, 'fixtures', 'layersources');
const truth = JSON.parse(readFileSync(join(DIR, 'truth.json'), 'utf8')) as Truth;
const tmp: string[] = [];
afterAll(() => {
  for (const d of tmp) rmSync(d, { recursive: true, force: true });
});

describe.each(Object.entries(truth.archives))('%s (foreign layer in LayerSources)', (name, want) => {
  const archive = join(DIR, name);

  it('verifies: the stored member is checked against the diffID, not against the registry blob', () => {
    const r = run(['verify', archive]);
    expect(r.stdout).not.toMatch(/MISMATCH/);
    expect(r.stdout).toMatch(/verified: \d+ checks passed \(1 image, 0 artifacts, \d+ blobs verified\)/);
    expect(r.code).toBe(0);
  });

  it('layers --json: the stored blob as it is, the LayerSources descriptor as `source`', () => {
    const [doc] = runJson<LayersDoc[]>(['layers', archive, '--no-trunc']);
    expect(doc!.image.id).toBe(truth.configDigest);
    expect(doc!.image.repoTags).toEqual(want.repoTags);
    expect(doc!.layers.map((l) => ({ diffId: l.diffId, digest: l.digest, size: l.compressedSize, source: l.source })))
      .toEqual(want.layers.map((l) => ({ diffId: l.diffId, digest: l.memberDigest, size: l.memberSize, source: l.source })));
    expect(doc!.layers.map((l) => l.storage.endsWith(`!${want.layers[doc!.layers.indexOf(l)]!.member}`))).toEqual([true, true]);
    expect(doc!.layers.every((l) => l.diffIdVerified && l.digestVerified === true)).toBe(true);
  });
});

describe('Docker 25+ save: LayerSources describes the blob in blobs/, and is checked', () => {
  it('a LayerSources size that contradicts the stored blob is a MISMATCH', () => {
    const d = mkdtempSync(join(tmpdir(), 'layerdig-ls-'));
    tmp.push(d);
    const src = join(FIXTURES, 'external', 'go-containerregistry', 'hello-world-v25.tar');
    expect(spawnSync('tar', ['-xf', src, '-C', d]).status).toBe(0);
    const m = JSON.parse(readFileSync(join(d, 'manifest.json'), 'utf8')) as { LayerSources: Record<string, { size: number }> }[];
    for (const s of Object.values(m[0]!.LayerSources)) s.size += 1;
    writeFileSync(join(d, 'manifest.json'), JSON.stringify(m));
    const out = join(d, 'v25-lied.tar');
    expect(spawnSync('tar', ['-cf', out, '-C', d, 'blobs', 'index.json', 'manifest.json', 'oci-layout']).status).toBe(0);
    const r = run(['verify', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/MISMATCH/);
    expect(r.stdout).toMatch(/layer size\s+blobs\/sha256\/12660636fe55\S*\s+10753\s+10752/);
  });
});
