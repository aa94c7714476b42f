import { describe, expect, it } from 'vitest';
import { posix, join } from 'node:path';
import { runJsonFast as runJson } from './helpers/cli.js';
import { expectedExternal } from './helpers/truth.js';
import { FIXTURES } from './helpers/cli.js';

const expected = expectedExternal();

interface LayersDoc { image: { id: string; repoTags: string[]; platform: string }; layers: { diffId: string; chainId: string; digest: string; compression: string; compressedSize: number; uncompressedSize: number; size: number; content: string[]; storage: string; diffIdVerified: boolean }[] }

describe.each(Object.keys(expected))('%s matches the independent reader', (name) => {
  const e = expected[name];
  const images = [...(e.images ?? []), ...(e.oci_images ?? [])].filter((i: any) => i.source === 'manifest.json' || !(e.images ?? []).length);
  const path = join(FIXTURES, 'external', name);

  it('images: ids, tags, platform', async () => {
    const rows = await runJson<{ id: string; repoTags: string[]; platform: string }[]>(['images', path]);
    expect(rows.map((r) => r.id)).toEqual(images.map((i: any) => i.image_id));
    expect(rows.map((r) => r.repoTags)).toEqual(images.map((i: any) => i.refs));
    expect(rows.map((r) => r.platform)).toEqual(images.map((i: any) => `${i.os}/${i.architecture}`));
  });

  it('layers: diffIDs, chainIDs, digests, links resolved, DiffSize, content', async () => {
    const docs = await runJson<LayersDoc[]>(['layers', path, '--no-trunc']);
    expect(docs).toHaveLength(images.length);
    images.forEach((img: any, i: number) => {
      const d = docs[i]!;
      expect(d.layers.map((l) => l.diffId)).toEqual(img.diff_ids);
      expect(d.layers.map((l) => l.chainId)).toEqual(img.chain_ids);
      img.layers.forEach((t: any, j: number) => {
        const l = d.layers[j]!;
        const member = t.symlink_to ? posix.normalize(posix.join(posix.dirname(t.path), t.symlink_to)) : t.path;
        expect(l.storage).toBe(`${path}!${member}`);
        expect(l.digest).toBe(t.blob_digest);
        expect(l.compressedSize).toBe(t.blob_size);
        expect(l.compression).toBe(t.compression === 'tar' ? 'none' : t.compression);
        expect(l.uncompressedSize).toBe(t.uncompressed_size);
        expect(l.size).toBe(t.docker_diff_size);
        expect(l.content).toEqual(t.top_level);
        expect(l.diffIdVerified).toBe(t.diff_id_ok);
      });
    });
  });
});
