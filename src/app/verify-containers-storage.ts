import type { Archive } from './archive.js';
import { sha256, type Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import { statusOf, type Check, type ImageVerdict } from '../analysis/verify.js';
import { readLayerSettled } from '../layer/pass.js';
import { DirLayerStore } from '../layer/dir-source.js';
import { limits } from '../limits.js';
import {
  bigDataFile, findStorageRoot, readImageRecords, readLayerRecords, type ImageRecord, type LayerRecord,
} from '../format/containers-storage.js';
import type { VerifyReport } from '../app/verify.js';

/**
 * `verify` on a podman/buildah containers-storage: each image layer's exact
 * tar is rebuilt from its directory and `<id>.tar-split.gz` and hashed (= the
 * layer's diff-digest and the config's diffID when nothing on disk changed),
 * its length against layers.json's diff-size; a file whose size or CRC-64
 * differs from tar-split's record is named. Every big-data item (manifests,
 * config, signatures) is hashed against images.json's big-data-digests.
 */
export async function verifyContainersStorage(ar: Archive): Promise<VerifyReport> {
  const view = ar.store;
  if (!(view instanceof DirLayerStore)) throw new LayerdigError('E_BAD_ARCHIVE', `${ar.path}: internal: not a containers-storage store`);
  const store = view.base;
  const root = findStorageRoot(store);
  if (!root) throw new LayerdigError('E_BAD_ARCHIVE', `${ar.path}: internal: not a containers-storage store`);
  const records = new Map<string, { driver: string; image: ImageRecord }>();
  const layerRecs = new Map<string, LayerRecord>();
  for (const d of root.drivers) {
    for (const r of await readImageRecords(store, root, d)) records.set(`sha256:${r.id}`, { driver: d, image: r });
    for (const [id, l] of await readLayerRecords(store, root, d)) layerRecs.set(`${root.prefix}${d}-layers/${id}.tar`, l);
  }
  const byLayer = new Map<string, Check[]>();
  let blobs = 0;

  const layerChecks = async (member: string, diffId: Digest, storage: string): Promise<Check[]> => {
    const rec = layerRecs.get(member);
    const where = member.replace(/\.tar$/, '');
    const checks: Check[] = [
      { check: 'layers.json diff-digest', subject: where, expected: diffId, actual: rec?.diffDigest ?? null, ok: rec?.diffDigest === diffId },
    ];
    const spec = view.layer(member);
    const r = await readLayerSettled(view.open(member), { where: storage });
    const problems = () => (view.problems.get(member) ?? []).map((p): Check => (
      { check: 'layer file', subject: `${storage}/${p.path}`, expected: 'as when the layer was unpacked', actual: p.what, ok: false }));
    if (!r.ok) {
      // a tar-split whose sizes lie breaks the rebuilt tar: the files it disagrees with say where
      checks.push({ check: 'layer readable', subject: storage, expected: 'a tar rebuilt from tar-split', actual: r.error.message, ok: false }, ...problems());
      return checks;
    }
    // no tar-split: the format's note says so; the directory was still listed (a broken one is reported above)
    if (spec?.kind !== 'tar-split') return checks;
    checks.push({ check: 'layer diffID (rebuilt from the directory + tar-split)', subject: storage, expected: diffId, actual: r.listing.diffId, ok: r.listing.diffId === diffId });
    checks.push(...problems());
    const size = rec?.diffSize ?? null;
    checks.push({ check: 'layers.json diff-size (tar length)', subject: where, expected: size, actual: r.listing.uncompressedSize, ok: size === r.listing.uncompressedSize });
    return checks;
  };

  const images: ImageVerdict[] = [];
  for (const img of ar.images) {
    const checks: Check[] = [];
    // the record the image was read from: its config sits in `<driver>-images/<id>/`
    const name = img.declared?.configMember ?? '';
    const recId = /-images\/([0-9a-f]{64})\/[^/]+$/.exec(name)?.[1] ?? '';
    const found = records.get(`sha256:${recId}`);
    const dir = name.slice(0, name.lastIndexOf('/'));
    checks.push({ check: 'config digest (the image ID)', subject: name, expected: `sha256:${recId}`, actual: img.id, ok: img.id === `sha256:${recId}` });
    // every big-data item against the digest images.json records for it
    for (const [key, want] of Object.entries(found?.image.bigDataDigests ?? {})) {
      const file = `${dir}/${bigDataFile(key)}`;
      const m = store.member(file);
      const got = m?.type === 'file' ? sha256(await store.readBytes(file, limits().maxJsonBytes)) : null;
      checks.push({ check: `big-data ${key}`, subject: file, expected: want, actual: got ?? 'missing', ok: got === want });
      blobs++;
    }
    if (found?.image.digest && img.declared?.manifestMember) {
      const got = sha256(await store.readBytes(img.declared.manifestMember, limits().maxJsonBytes));
      checks.push({ check: 'manifest digest (images.json digest)', subject: img.declared.manifestMember, expected: found.image.digest, actual: got, ok: got === found.image.digest });
    }
    for (const l of img.layers) {
      let c = byLayer.get(l.member);
      if (!c) {
        c = await layerChecks(l.member, l.diffId, l.storage);
        byLayer.set(l.member, c);
      }
      checks.push(...c.map((x) => ({ ...x, check: `layer ${l.index}: ${x.check}` })));
    }
    images.push({ id: img.id, ok: checks.every((x) => x.ok), checks });
  }
  const all = images.flatMap((i) => i.checks);
  return { archive: ar.path, ok: all.every((c) => c.ok), status: statusOf(all), images, artifacts: 0, blobs: blobs + byLayer.size, notes: [...new Set(ar.notes)] };
}
