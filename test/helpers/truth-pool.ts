import { readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { expectedExternal, realArchives, type Truth } from './truth.js';
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
  out.push(...containerdPool());
  return out;
}

/**
 * The containerd root (fixtures/containerd): its images as ctr listed them (names, and
 * from `ctr content ls` gc labels each manifest's config and layer digests); diffIDs and
 * chainIDs from the real archive truth of the same image ID (the images were imported from them).
 */
export function containerdPool(): PoolImage[] {
  const dir = join(FIXTURES, 'containerd');
  const real = realArchives().flatMap((a) => a.truth.images);
  const byManifest = new Map<string, PoolImage>();
  for (const ns of ['demo', 'other']) {
    const content = readFileSync(join(dir, `truth.${ns}-content.txt`), 'utf8').split('\n').slice(1).filter(Boolean);
    const labels = (digest: string) => Object.fromEntries((content.find((l) => l.startsWith(digest))?.split(/\s+/).pop() ?? '').split(',').map((kv) => kv.split('=')));
    for (const row of readFileSync(join(dir, `truth.${ns}-images.txt`), 'utf8').split('\n').slice(1).filter(Boolean)) {
      const [ref, type, target] = row.trim().split(/\s+/) as [string, string, string];
      const manifest = type.includes('index') ? labels(target)['containerd.io/gc.ref.content.m.0']! : target;
      const l = labels(manifest);
      const id = l['containerd.io/gc.ref.content.config']!;
      const t = real.find((i) => i.image_id === id)!;
      const key = `${ns} ${manifest}`;
      const had = byManifest.get(key);
      if (had) {
        had.names.push(ref);
        continue;
      }
      byManifest.set(key, {
        archive: relative(ROOT, join(dir, 'containerd-root.tar.gz')), id, names: [ref], untagged: false,
        diffIds: t.diff_ids, chainIds: t.chain_ids, digests: t.diff_ids.map((_, i) => l[`containerd.io/gc.ref.content.l.${i}`]!),
      });
    }
  }
  return [...byManifest.values()];
}

/** The containerd root as an archive of the real truth files: each of its images is the real image of the same ID. */
export function containerdArchive(): { path: string; truth: Truth; name: string } {
  const ids = new Set(containerdPool().map((p) => p.id));
  const seen = new Set<string>();
  const images = realArchives().flatMap((a) => a.truth.images).filter((i) => ids.has(i.image_id) && !seen.has(i.image_id) && seen.add(i.image_id));
  const any = realArchives()[0]!.truth;
  return { path: join(FIXTURES, 'containerd', 'containerd-root.tar.gz'), truth: { ...any, images }, name: 'containerd/containerd-root.tar.gz' };
}
