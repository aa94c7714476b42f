import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { openArchive } from '../src/app/archive.js';
import { LayerReader } from '../src/layer/reader.js';
import { mergedEntries, overlay } from '../src/analysis/filetree.js';
import { FIXTURES } from './helpers/cli.js';
import { finalFs } from './helpers/truth.js';

const TYPE: Record<string, string> = { file: 'f', hardlink: 'f', dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p' };
const IMAGES = ['base', 'app1-old', 'app1', 'app2', 'fixture', 'opaque', 'gnutar'];
const VARIANTS = ['docker-archive.tar', 'oci-archive-gzip.tar', 'oci-zstd', 'dir-gzip', 'docker-archive-gz.tar.gz'];

describe.each(IMAGES)('merged filesystem of %s equals what buildah mounted', (image) => {
  it.each(VARIANTS)('%s', async (variant) => {
    const ar = await openArchive(join(FIXTURES, 'real', image, `${image}.${variant}`));
    try {
      const img = ar.images[0]!;
      const reader = new LayerReader();
      await reader.prefetch(ar.store, [img]);
      const listings = [];
      for (const l of img.layers) listings.push((await reader.listing(ar.store, l)).entries);
      const merged = mergedEntries(overlay(listings));
      const byPath = new Map(merged.map((m) => [m.path, m]));
      const truth = finalFs(image);
      expect(merged.map((m) => m.path).sort()).toEqual(truth.map((t) => t.path).sort());
      for (const t of truth) {
        const m = byPath.get(t.path)!;
        const e = m.entry;
        expect({ path: t.path, type: TYPE[e.type], mode: e.mode.toString(8), uid: e.uid, gid: e.gid })
          .toEqual({ path: t.path, type: t.type, mode: t.mode, uid: t.uid, gid: t.gid });
        if (t.type === 'l') expect(e.linkTarget).toBe(t.link_target);
        if (t.type === 'f' && e.type === 'file') expect(e.size).toBe(t.size);
        if (e.type === 'hardlink') expect(byPath.get(e.linkTarget!)?.entry.size ?? -1).toBe(t.size);
      }
    } finally {
      ar.close();
    }
  });
});
