import { join, relative } from 'node:path';
import { expectedExternal, realArchives } from './truth.js';
import { FIXTURES, ROOT } from './cli.js';

/**
 * The closed corpus: every archive under these folders has a truth file (fixtures/real: rw-truth/1,
 * fixtures/external: EXPECTED.json). The suites that run a command over a whole corpus name these, never
 * all of fixtures/, whose other folders hold fixtures with their own truth (and some broken on purpose).
 */
export const POOL_DIRS = ['fixtures/real', 'fixtures/external'];

/** Every image of every archive under POOL_DIRS, as the truth files (not layerdig) describe it. */
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
  return out;
}
