import type { LayerdigError } from '../errors.js';
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

/**
 * Which writer's layout an image was read from: the `name` of a Format in
 * format/formats.ts (docker-archive also names its Docker 25+ variant
 * `docker-archive-oci`). Each format file says its own name; none is listed here.
 */
export type FormatName = string;

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
  /** a Docker data-root's name for the layer's directory (`overlay2/<cache-id>/diff`) */
  cacheId?: string;
  /** the engine's own DiffSize record (a Docker data-root's layerdb `size` file): what docker shows for the layer */
  recordedSize?: number;
  /** a legacy save's `LayerSources` entry: where the layer came from, not the member stored here */
  source?: SourceDescriptor;
}

/**
 * A pre-Docker-25 `LayerSources` descriptor (go-containerregistry writes them for foreign
 * layers): the registry blob the layer was pulled as, e.g. a gzip with its URLs. Docker's
 * load keeps it as metadata and never checks it against the stored member; neither do we.
 */
export interface SourceDescriptor {
  mediaType: string | null;
  digest: Digest | null;
  size: number | null;
  urls?: string[];
}

/**
 * What one of the archive's documents says a blob is: a descriptor's digest and
 * size (an index entry, a manifest's config or layers, `LayerSources`). Claims
 * that a member's content-addressed name makes are derived by `verify`.
 */
export interface BlobClaim {
  kind: 'index' | 'manifest' | 'config' | 'layer';
  /** the member the claim points at, as referenced (before links) */
  member: string;
  /** who makes the claim: `index.json manifests[0]`, `blobs/sha256/ab… layers[2]` */
  by: string;
  digest: Digest;
  /** declared size; -1 when the descriptor's size is not a valid number, null when none is given */
  size: number | null;
  /** the descriptor's media type ('' when it has none), for blobs that state their own (manifests, indexes) */
  mediaType?: string;
}

/** What a member's bytes are, measured when a format read them (JSON members). */
export interface Measured {
  digest: Digest;
  size: number;
  /** the `mediaType` a manifest or index states inside itself */
  mediaType?: string;
}

/** Two lists of the same archive compared (Docker 25: `manifest.json` against `index.json`). */
export interface Agreement {
  check: string;
  subject: string;
  expected: string;
  actual: string;
}

/**
 * Everything an image's documents declare about its bytes, kept for `verify`;
 * no other command needs it. Measurements are keyed by the member actually read.
 */
export interface Declared {
  claims: BlobClaim[];
  measured: Record<string, Measured>;
  agreements: Agreement[];
  /** where the diffIDs come from: the config, or hashing the layers (nothing declares them) */
  diffIds: 'config' | 'computed';
}

/** Declared, plus where the image's documents and layers are, as build.ts derives them. */
export interface ImageDeclared extends Declared {
  configMember: string;
  manifestMember: string | null;
  /** each layer's member as the manifest names it (before links) */
  layerRefs: string[];
}

/** A blob that a document references and the archive does not hold. */
export interface MissingBlob {
  member: string;
  by: string;
  /** another platform of a multi-platform index that a save left out on purpose */
  byDesign: boolean;
}

/** What an artifact is, for the note line and a future `attached` command (README "Artifacts"). */
export type ArtifactKind = 'attestation' | 'signature' | 'sbom' | 'helm chart' | 'artifact';

/**
 * A manifest the archive holds that is not an image (format/artifact.ts
 * decides): never read as one, but listed, and its blobs verified.
 */
export interface Artifact {
  kind: ArtifactKind;
  /** digest of the manifest */
  digest: Digest;
  /** the member holding the manifest */
  member: string;
  mediaType: string;
  /** the manifest's `artifactType`, else its config media type */
  artifactType: string | null;
  /** what it is attached to: OCI 1.1 `subject`, buildx `vnd.docker.reference.digest`, cosign's tag */
  subject: Digest | null;
  attachedBy: 'subject' | 'annotation' | 'tag' | null;
  /** who lists it: `index.json manifests[3]` */
  by: string;
  /** the ref name or tag it goes by, if any */
  name: string | null;
  /** why it is not an image, in a few words: `artifactType application/spdx+json` */
  why: string;
}

/**
 * What the archive's documents declare beyond any one image: nested indexes,
 * artifacts (attestations, signatures, …), blobs missing, index entries
 * without a `manifest.json` entry. Formats fill it as they read; only `verify` reads it.
 */
export interface ArchiveDeclared {
  claims: BlobClaim[];
  measured: Record<string, Measured>;
  missing: MissingBlob[];
  agreements: Agreement[];
  /** every member some document references (for the unreferenced-blob note) */
  referenced: Set<string>;
  /** manifests that are not images; their blobs' claims are in `claims` */
  artifacts: Artifact[];
  /** integrity problems met while reading (an index that lists itself): commands answer, then exit 1 */
  warnings: string[];
  /** images of an image store that could not be read (the others are): the command ends partial (exit 5) */
  unreadable?: LayerdigError[];
}

export function emptyArchiveDeclared(): ArchiveDeclared {
  return { claims: [], measured: {}, missing: [], agreements: [], referenced: new Set(), artifacts: [], warnings: [] };
}

/** The minimal core a format yields per image; everything else is derived (image/build.ts). */
/** What an image store (not an archive) records about an image, carried from ImageSource to Image as is. */
export interface StoreRecords {
  /** local images along the build-parent chain, newest (this image) first: a Docker data-root's intermediate images (`docker history` shows them) */
  buildSteps?: Digest[];
  /** an image store's record of when the image was last tagged (docker inspect's Metadata.LastTagTime) */
  lastTagTime?: string;
  /** the containerd namespace the image is named in (`moby`, `k8s.io`, …) */
  namespace?: string;
  /** bytes an image store counts in the image's size besides its layers (containers-storage: its big-data items) */
  storeMetadataSize?: number;
  /** an image store's local image per config history entry, oldest first (podman history: the image whose top layer an entry's layer is) */
  historyImages?: (Digest | null)[];
  /** the repository an untagged image belongs to (a registry's untagged manifest): shown under REPOSITORY, TAG <none> */
  repository?: string;
}

export interface ImageSource extends StoreRecords {
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
  /** digests and sizes the image's documents declare, for `verify` */
  declared?: Declared;
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
  /** legacy `LayerSources`: the registry blob this layer came from (metadata, never verified) */
  source?: SourceDescriptor;
  /** a Docker data-root's name for the layer's directory */
  cacheId?: string;
  /** the engine's own DiffSize record, when the input keeps one (a Docker data-root) */
  recordedSize?: number;
}

export interface HistoryItem {
  created: string | null;
  createdBy: string;
  comment: string | null;
  emptyLayer: boolean;
  /** the layer this entry produced, or null for an empty layer */
  layerIndex: number | null;
}

export interface Image extends StoreRecords {
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
  /** digests and sizes the image's documents declare, for `verify` */
  declared?: ImageDeclared;
}

export function platformString(p: Platform): string {
  return [p.os || 'unknown', p.architecture || 'unknown', p.variant].filter(Boolean).join('/');
}
