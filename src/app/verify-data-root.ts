import type { Archive } from './archive.js';
import { hexOf, type Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import { statusOf, type Check, type ImageVerdict } from '../analysis/verify.js';
import { readLayerSettled } from '../layer/pass.js';
import { DirLayerStore } from '../layer/dir-source.js';
import { readText } from '../format/docker-data-root.js';
import type { VerifyReport } from './verify.js';

/**
 * `verify` on a Docker data-root: each image layer's exact tar is rebuilt from
 * its unpacked directory and tar-split.json.gz and hashed (= the diffID when
 * nothing on disk changed); a file whose size or CRC-64 differs from what
 * tar-split recorded is named. Also the layer store's own records: `diff`,
 * `parent` (the chainIDs), `size`, and each config's hash against its name.
 */
export async function verifyDataRoot(ar: Archive): Promise<VerifyReport> {
  if (!(ar.store instanceof DirLayerStore)) throw new LayerdigError('E_BAD_ARCHIVE', `${ar.path}: internal: not a data-root store`);
  const view = ar.store;
  const store = view.base;
  const notes = [...ar.notes];
  const byLayer = new Map<string, Check[]>();

  const layerChecks = async (member: string, diffId: Digest, parent: Digest | null, declaredSize: number, storage: string): Promise<Check[]> => {
    const ld = member.slice(0, -'/layer.tar'.length);
    const checks: Check[] = [];
    const rec = await readText(store, `${ld}/diff`);
    checks.push({ check: 'layerdb diff', subject: `${ld}/diff`, expected: diffId, actual: rec, ok: rec === diffId });
    const par = await readText(store, `${ld}/parent`);
    checks.push({ check: 'layerdb parent (chainID)', subject: `${ld}/parent`, expected: parent, actual: par, ok: par === parent });
    const spec = view.layer(member);
    const vfs = spec !== undefined && /(^|\/)vfs\/dir\//.test(spec.dir);
    // no tar-split: the format's note says so; the listing is still read (a broken directory is reported)
    if (spec?.kind !== 'tar-split') {
      const r = await readLayerSettled(view.open(member), { where: storage });
      if (!r.ok) checks.push({ check: 'layer readable', subject: storage, expected: 'a directory listing', actual: r.error.message, ok: false });
      // the listing against the layer store's record of the directory's size (overlay2 measures the same directory)
      else if (!vfs) checks.push({ check: 'layerdb size (directory listing, no tar-split)', subject: `${ld}/size`, expected: declaredSize, actual: r.listing.size, ok: declaredSize === r.listing.size });
      return checks;
    }
    const r = await readLayerSettled(view.open(member), { where: storage });
    if (!r.ok) {
      checks.push({ check: 'layer readable', subject: storage, expected: 'a tar rebuilt from tar-split', actual: r.error.message, ok: false });
      return checks;
    }
    checks.push({ check: 'layer diffID (rebuilt from the directory + tar-split)', subject: storage, expected: diffId, actual: r.listing.diffId, ok: r.listing.diffId === diffId });
    for (const p of view.problems.get(member) ?? []) {
      checks.push({ check: 'layer file', subject: `${storage}/${p.path}`, expected: 'as when the layer was unpacked', actual: p.what, ok: false });
    }
    // overlay2 records the directory's size (symlinks count their target's length); vfs the regular files' bytes it unpacked
    const size = vfs ? r.listing.entries.reduce((s, e) => s + (e.type === 'file' ? e.size : 0), 0) : r.listing.size;
    checks.push({ check: 'layerdb size', subject: `${ld}/size`, expected: declaredSize, actual: size, ok: declaredSize === size });
    return checks;
  };

  const images: ImageVerdict[] = [];
  for (const img of ar.images) {
    const checks: Check[] = [];
    const name = img.declared?.configMember ?? '';
    const hex = name.slice(name.lastIndexOf('/') + 1);
    checks.push({ check: 'config digest', subject: name, expected: `sha256:${hex}`, actual: img.id, ok: hexOf(img.id) === hex });
    for (const l of img.layers) {
      let c = byLayer.get(l.member);
      if (!c) {
        c = await layerChecks(l.member, l.diffId, l.index === 0 ? null : img.layers[l.index - 1]!.chainId, l.compressedSize, l.storage);
        byLayer.set(l.member, c);
      }
      checks.push(...c.map((x) => ({ ...x, check: `layer ${l.index}: ${x.check}` })));
    }
    images.push({ id: img.id, ok: checks.every((x) => x.ok), checks });
  }
  const all = images.flatMap((i) => i.checks);
  // a data-root holds no artifacts; its "blobs" are the configs and the layers rebuilt from their directories
  const blobs = new Set(ar.images.map((i) => i.id)).size + byLayer.size;
  return { archive: ar.path, ok: all.every((c) => c.ok), status: statusOf(all), images, artifacts: 0, blobs, notes: [...new Set(notes)] };
}
