import { describe, expect, it } from 'vitest';
import { runJsonFast as runJson } from './helpers/cli.js';
import { realArchives, type TruthImage } from './helpers/truth.js';

interface ImagesRow { archive: string; format: string; id: string; repoTags: string[]; refName: string | null; manifestDigest: string | null; created: string; platform: string; size: number | null; blobSize: number; layerCount: number }
interface LayersDoc { image: { id: string; manifestDigest: string | null }; layers: { index: number; diffId: string; chainId: string; digest: string; mediaType: string | null; compression: string; compressedSize: number; uncompressedSize: number; size: number; content: string[]; storage: string; diffIdVerified: boolean }[] }
interface HistoryDoc { image: { id: string; manifestDigest: string | null }; history: { created: string; createdBy: string; comment: string | null; emptyLayer: boolean; layerIndex: number | null; storage: string | null }[] }

/** Truth lists images in archive order; so do we. Match by position, then check identity. */
function expectImageMatches(row: ImagesRow, t: TruthImage, kind: string) {
  expect(row.id).toBe(t.image_id);
  // docker-archive has no manifest: skopeo synthesizes one (manifest_synthesized), layerdig reports none
  expect(row.manifestDigest).toBe(t.manifest_synthesized ? null : t.manifest_digest);
  expect(row.repoTags).toEqual(kind.startsWith('docker-archive') ? t.repo_tags : []);
  expect(row.refName).toBe(t.oci_ref_name);
  expect(row.created).toBe(t.created);
  expect(row.platform).toBe(`${t.os}/${t.architecture}`);
  expect(row.layerCount).toBe(t.layer_count);
  // metadata only: Docker's size needs the layers (test/sizes.engine.test.ts); the stored bytes are blobSize
  expect(row.size).toBeNull();
  expect(row.blobSize).toBe(t.total_blob_size);
}

describe.each(realArchives())('$name', ({ path, truth }) => {
  it('images --no-content: ids, tags, manifest digests, platform, stored sizes', async () => {
    const rows = await runJson<ImagesRow[]>(['images', path, '--no-content']);
    expect(rows).toHaveLength(truth.images.length);
    truth.images.forEach((t, i) => expectImageMatches(rows[i]!, t, truth.kind));
  });

  it('layers --no-trunc: diffIDs, chainIDs, digests, compression, sizes, content', async () => {
    const docs = await runJson<LayersDoc[]>(['layers', path, '--no-trunc']);
    expect(docs).toHaveLength(truth.images.length);
    truth.images.forEach((t, i) => {
      const d = docs[i]!;
      expect(d.image.id).toBe(t.image_id);
      expect(d.layers.map((l) => l.diffId)).toEqual(t.diff_ids);
      expect(d.layers.map((l) => l.chainId)).toEqual(t.chain_ids);
      t.layers.forEach((tl, j) => {
        const l = d.layers[j]!;
        expect(l.index).toBe(tl.index);
        expect(l.digest).toBe(tl.blob_digest);
        expect(l.compression).toBe(tl.compression);
        expect(l.compressedSize).toBe(tl.blob_size);
        expect(l.uncompressedSize).toBe(tl.uncompressed_size);
        expect(l.mediaType).toBe(tl.media_type);
        expect(l.content).toEqual(tl.top_level);
        expect(l.diffIdVerified).toBe(true);
        expect(l.storage.endsWith(tl.blob_path)).toBe(true);
      });
    });
  });

  it('layers --no-content reads metadata only and agrees on identities', async () => {
    const docs = await runJson<LayersDoc[]>(['layers', path, '--no-content', '--no-trunc']);
    truth.images.forEach((t, i) => {
      expect(docs[i]!.layers.map((l) => l.chainId)).toEqual(t.chain_ids);
      expect(docs[i]!.layers.every((l) => l.content === null && l.size === null)).toBe(true);
    });
  });

  it('history: entries paired with layers as Docker pairs them', async () => {
    const docs = await runJson<HistoryDoc[]>(['history', path]);
    truth.images.forEach((t, i) => {
      const h = docs[i]!.history;
      expect(h.map((e) => e.createdBy)).toEqual(t.history.map((e) => e.created_by));
      expect(h.map((e) => e.emptyLayer)).toEqual(t.history.map((e) => e.empty_layer));
      expect(h.map((e) => e.created)).toEqual(t.history.map((e) => e.created));
      // each non-empty entry consumes the next layer, in order
      let next = 0;
      for (const [k, e] of t.history.entries()) {
        expect(h[k]!.layerIndex).toBe(e.empty_layer ? null : next++);
      }
      expect(next).toBe(t.layer_count);
    });
  });
});
