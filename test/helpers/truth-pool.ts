import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expectedExternal, realArchives } from './truth.js';
import { FIXTURES, ROOT } from './cli.js';

/** Every image of every archive under fixtures/, as the truth files (not layerdig) describe it. */
export interface PoolImage {
  /** relative to the repository root, as layerdig prints it when run from there */
  archive: string;
  id: string;
  /** RepoTags, else the OCI ref name */
  names: string[];
  untagged: boolean;
  diffIds: string[];
  chainIds: string[];
  digests: string[];
  closestTagged?: { image_id: string; repo_tags: string[]; oci_ref_name: string | null; shared_layers: number } | null;
}

export function truthPool(): PoolImage[] {
  const out: PoolImage[] = [];
  for (const { path, truth } of realArchives()) {
    for (const t of truth.images) {
      const tags = truth.kind.startsWith('docker-archive') ? t.repo_tags : [];
      out.push({
        archive: relative(ROOT, path),
        id: t.image_id,
        names: tags.length ? tags : t.oci_ref_name ? [t.oci_ref_name] : [],
        untagged: t.untagged,
        diffIds: t.diff_ids,
        chainIds: t.chain_ids,
        digests: t.layers.map((l) => l.blob_digest),
        closestTagged: t.closest_tagged,
      });
    }
  }
  for (const [file, e] of Object.entries(expectedExternal())) {
    const imgs = (e.images?.length ? e.images : e.oci_images) as { image_id: string; refs: string[]; diff_ids: string[]; chain_ids: string[]; layers: { blob_digest: string }[] }[];
    for (const t of imgs) {
      out.push({
        archive: relative(ROOT, join(FIXTURES, 'external', file)),
        id: t.image_id,
        names: t.refs,
        untagged: t.refs.length === 0,
        diffIds: t.diff_ids,
        chainIds: t.chain_ids,
        digests: t.layers.map((l) => l.blob_digest),
      });
    }
  }
  out.push(...registryPool());
  return out;
}

/** The OCI image-spec's ChainID: the first diffID, then sha256 of "<parent chainID> <diffID>". */
function chainIdsOf(diffIds: string[]): string[] {
  const out: string[] = [];
  for (const d of diffIds) out.push(out.length ? `sha256:${createHash('sha256').update(`${out[out.length - 1]} ${d}`).digest('hex')}` : d);
  return out;
}

/**
 * fixtures/registry/registry.tar.gz, as skopeo inspected it while the registry
 * served it (fixtures/registry/truth/inspect.jsonl): one image per manifest of a
 * repository — its tags as names, an index's tag on its platform image, the
 * untagged revision with none; the signature and the attestation are artifacts.
 */
function registryPool(): PoolImage[] {
  const dir = join(FIXTURES, 'registry');
  if (!existsSync(join(dir, 'truth', 'inspect.jsonl'))) return [];
  interface Row { repo: string; ref: string; via: string; digest: string; configDigest?: string; config?: { rootfs: { diff_ids: string[] } }; layers?: { digest: string }[]; inspect?: { Architecture: string } | null }
  const rows = readFileSync(join(dir, 'truth', 'inspect.jsonl'), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Row);
  const images = new Map<string, PoolImage>();
  for (const r of rows) {
    if (!r.configDigest || /\.sig$/.test(r.ref) || r.inspect?.Architecture !== 'amd64') continue;
    const name = r.via === 'tag' ? `${r.repo}:${r.ref}` : r.via === 'untagged' ? null : r.via;
    const key = `${r.repo} ${r.digest}`;
    const img = images.get(key) ?? {
      archive: relative(ROOT, join(dir, 'registry.tar.gz')), id: r.configDigest, names: [], untagged: true,
      diffIds: r.config!.rootfs.diff_ids, chainIds: chainIdsOf(r.config!.rootfs.diff_ids), digests: r.layers!.map((l) => l.digest),
    };
    if (name) img.names.push(name);
    img.untagged = img.names.length === 0;
    images.set(key, img);
  }
  return [...images.values()];
}

/**
 * The registry fixture's images with each layer's member names as GNU tar lists
 * the blob (`tar -xzOf registry.tar.gz <blob> | tar -tzf -`), in the shape of a
 * fixtures/real truth file's layers (for tests that search every archive's layers).
 */
export function registryLayerTruths(): { path: string; name: string; truth: { images: { diff_ids: string[]; layers: { index: number; diff_id: string; members: string[] }[] }[] } }[] {
  const dir = join(FIXTURES, 'registry');
  const tgz = join(dir, 'registry.tar.gz');
  if (!existsSync(tgz)) return [];
  const listed = new Map<string, string[]>();
  const members = (digest: string) => {
    let m = listed.get(digest);
    if (!m) {
      const blob = `var/lib/registry/docker/registry/v2/blobs/sha256/${digest.slice(7, 9)}/${digest.slice(7)}/data`;
      m = execFileSync('sh', ['-c', 'tar -xzOf "$1" "$2" | tar -tzf -', 'sh', tgz, blob], { encoding: 'utf8' }).split('\n').filter(Boolean);
      listed.set(digest, m);
    }
    return m;
  };
  const images = registryPool().map((img) => ({
    diff_ids: img.diffIds,
    layers: img.diffIds.map((d, index) => ({ index, diff_id: d, members: members(img.digests[index]!) })),
  }));
  return [{ path: tgz, name: 'registry/registry.tar.gz', truth: { images } }];
}
