import type { Digest } from '../digest.js';
import type { Compression } from '../compression/index.js';

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

/** The image config as written (OCI image-spec "config" / Docker image JSON). */
export interface RawConfig {
  created?: string;
  author?: string;
  architecture?: string;
  os?: string;
  variant?: string;
  config?: Record<string, unknown> | null;
  container_config?: Record<string, unknown> | null;
  rootfs?: { type?: string; diff_ids?: unknown };
  history?: RawHistory[];
  [k: string]: unknown;
}

export interface RawHistory {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

/** Which writer's layout an image was read from. */
export type FormatName =
  | 'docker-archive'        // docker save / skopeo / podman: manifest.json
  | 'docker-archive-oci'    // Docker 25+ save: manifest.json + OCI layout inside
  | 'docker-archive-v1'     // pre-1.10 save: repositories + <id>/json parent chain
  | 'oci-layout'            // OCI image layout (directory or oci-archive tar)
  | 'skopeo-dir';           // skopeo dir: export

/** One layer blob as a format found it, before any layer body is read. */
export interface LayerSource {
  /** the member that holds the bytes, after link resolution */
  member: string;
  /** the member name the manifest referenced (may be a symlink) */
  referencedAs: string;
  /** blob digest from a descriptor or a content-addressed name; null if only hashing can tell */
  digest: Digest | null;
  /** size declared by a descriptor */
  declaredSize: number | null;
  mediaType: string | null;
  /** size of the blob as stored */
  size: number;
  /** by magic bytes */
  compression: Compression;
}

/** The minimal core a format yields per image; everything else is derived (image/build.ts). */
export interface ImageSource {
  archive: string;
  format: FormatName;
  /** digest of the config bytes, computed from them = image ID */
  configDigest: Digest;
  configMember: string;
  config: RawConfig;
  manifest: { digest: Digest; mediaType: string; size: number; member: string | null; annotations?: Record<string, string> } | null;
  repoTags: string[];
  /** `org.opencontainers.image.ref.name` of an OCI layout */
  refName: string | null;
  /** platform from the index descriptor, when there was one */
  indexPlatform: Platform | null;
  layers: LayerSource[];
  /**
   * diffIDs the config declares. Null where the format has none (pre-1.10 saves,
   * schema 1): they must be computed by hashing the layers.
   */
  declaredDiffIds: Digest[] | null;
  /** v1-era history (schema 1 v1Compatibility, pre-1.10 json), when no config history exists */
  v1History?: RawHistory[];
  notes: string[];
}

export interface Layer {
  index: number;
  diffId: Digest;
  chainId: Digest;
  /** blob digest; null until computed when neither a descriptor nor the name gives it */
  digest: Digest | null;
  mediaType: string | null;
  compression: Compression;
  compressedSize: number;
  member: string;
  storage: string;
}

export interface HistoryItem {
  created: string | null;
  createdBy: string;
  comment: string | null;
  emptyLayer: boolean;
  /** the layer this entry produced, or null for an empty layer */
  layerIndex: number | null;
}

export interface Image {
  archive: string;
  format: FormatName;
  id: Digest;
  manifestDigest: Digest | null;
  manifestMediaType: string | null;
  /** the manifest's annotations (over the index descriptor's), e.g. org.opencontainers.image.base.name */
  annotations: Record<string, string>;
  repoTags: string[];
  refName: string | null;
  created: string | null;
  platform: Platform;
  config: RawConfig;
  layers: Layer[];
  history: HistoryItem[];
  notes: string[];
}

export function platformString(p: Platform): string {
  return [p.os || 'unknown', p.architecture || 'unknown', p.variant].filter(Boolean).join('/');
}
