import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './cli.js';

/** Schema `rw-truth/1`, written by independent tools (skopeo, jq, sha256sum, GNU tar). */
export interface TruthLayer {
  index: number; diff_id: string; chain_id: string; blob_path: string; blob_digest: string; blob_size: number;
  media_type: string | null; compression: string; uncompressed_size: number; uncompressed_digest: string;
  entry_count: number; entry_types: Record<string, number>; whiteout_count: number; opaque_whiteout_count: number;
  top_level: string[]; members: string[];
}
export interface TruthImage {
  index: number; repo_tags: string[]; oci_ref_name: string | null; untagged: boolean; image_id: string;
  config_digest: string; config_size: number; config_path: string; manifest_digest: string; manifest_size: number;
  manifest_media_type: string; manifest_synthesized: boolean; architecture: string; os: string; created: string;
  config: Record<string, unknown>; diff_ids: string[]; chain_ids: string[];
  history: { created: string; created_by: string; empty_layer: boolean; comment: string | null }[];
  layer_count: number; total_uncompressed_size: number; total_blob_size: number; layers: TruthLayer[];
  closest_tagged?: { image_id: string; repo_tags: string[]; oci_ref_name: string | null; shared_layers: number } | null;
}
export interface Truth {
  schema: string; archive: string; kind: string; layer_compression: string; archive_size: number;
  archive_entries: string[]; images: TruthImage[];
}

/** Every real archive with its truth file: [archivePath, truth]. */
export function realArchives(): { path: string; truth: Truth; name: string }[] {
  const root = join(FIXTURES, 'real');
  const out = [];
  for (const dir of readdirSync(root, { withFileTypes: true })) {
    if (!dir.isDirectory()) continue;
    for (const f of readdirSync(join(root, dir.name)).sort()) {
      if (!f.endsWith('.truth.json')) continue;
      const truth = JSON.parse(readFileSync(join(root, dir.name, f), 'utf8')) as Truth;
      out.push({ path: join(root, dir.name, truth.archive), truth, name: `${dir.name}/${truth.archive}` });
    }
  }
  return out;
}

export interface FinalFsEntry { path: string; type: string; mode: string; uid: number; gid: number; link_target?: string | null; nlink?: number; size?: number; sha256?: string | null }

export function finalFs(image: string): FinalFsEntry[] {
  const raw = JSON.parse(readFileSync(join(FIXTURES, 'real', image, `${image}.final-fs.json`), 'utf8'));
  return (Array.isArray(raw) ? raw : raw.entries ?? raw.files) as FinalFsEntry[];
}

export function expectedExternal(): Record<string, any> {
  return JSON.parse(readFileSync(join(FIXTURES, 'external', 'EXPECTED.json'), 'utf8'));
}
