import { digestFromName, sha256, toDigest, type Digest } from '../digest.js';
import { badArchive } from '../errors.js';
import { limits } from '../limits.js';
import { sniffCompression, type Compression } from '../compression/index.js';
import { parseJson, resolveMember, type Store } from '../store/store.js';
import type { Agreement, BlobClaim, LayerSource, RawConfig } from '../image/model.js';

export { digestFromName } from '../digest.js';

export const MEDIA = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerSchema1: 'application/vnd.docker.distribution.manifest.v1+json',
  dockerSchema1Signed: 'application/vnd.docker.distribution.manifest.v1+prettyjws',
} as const;

export const INDEX_TYPES: readonly string[] = [MEDIA.ociIndex, MEDIA.dockerList];
export const MANIFEST_TYPES: readonly string[] = [MEDIA.ociManifest, MEDIA.dockerManifest];
export const CONFIG_TYPES: readonly string[] = [MEDIA.ociConfig, MEDIA.dockerConfig];

/** Read a JSON member (links followed) and return its bytes, digest and value. */
export async function readJsonMember(store: Store, name: string): Promise<{ bytes: Buffer; digest: Digest; value: unknown; member: string }> {
  const m = resolveMember(store, name);
  const bytes = await store.readBytes(m.name, limits().maxJsonBytes);
  return { bytes, digest: sha256(bytes), value: parseJson(bytes, store.path, name), member: m.name };
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The image config: its digest (computed from the bytes) is the image ID. */
export async function readConfig(store: Store, name: string): Promise<{ config: RawConfig; digest: Digest; member: string; size: number }> {
  const { bytes, digest, value, member } = await readJsonMember(store, name);
  if (!isObject(value)) throw badArchive(store.path, name, 'the image config is not a JSON object');
  return { config: value as RawConfig, digest, member, size: bytes.length };
}

export interface Descriptor {
  mediaType: string;
  digest: Digest;
  size: number;
  annotations: Record<string, string>;
  platform?: { os?: string; architecture?: string; variant?: string };
  artifactType?: string;
}

/** Validate an OCI descriptor; a digest that is not sha256 hex never becomes a path. */
export function parseDescriptor(v: unknown, archive: string, member: string, what: string): Descriptor {
  if (!isObject(v)) throw badArchive(archive, member, `${what} is not a descriptor object`);
  const digest = typeof v.digest === 'string' ? toDigest(v.digest) : null;
  if (!digest) throw badArchive(archive, member, `${what} has no valid sha256 digest (${String(v.digest)})`);
  const size = typeof v.size === 'number' && Number.isSafeInteger(v.size) && v.size >= 0 ? v.size : -1;
  const annotations: Record<string, string> = {};
  if (isObject(v.annotations)) {
    for (const [k, val] of Object.entries(v.annotations)) if (typeof val === 'string') annotations[k] = val;
  }
  const d: Descriptor = { mediaType: typeof v.mediaType === 'string' ? v.mediaType : '', digest, size, annotations };
  if (isObject(v.platform)) d.platform = v.platform as Descriptor['platform'];
  if (typeof v.artifactType === 'string') d.artifactType = v.artifactType;
  return d;
}

/** A manifest's own `annotations`, over those of the descriptor that pointed to it. */
export function manifestAnnotations(manifest: Record<string, unknown>, descriptor?: Descriptor): Record<string, string> {
  const out: Record<string, string> = { ...(descriptor?.annotations ?? {}) };
  if (isObject(manifest.annotations)) {
    for (const [k, v] of Object.entries(manifest.annotations)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

export function blobPath(d: Digest): string {
  return `blobs/sha256/${d.slice(7)}`;
}

/** A layer blob as stored: resolve links, sniff compression from its first bytes. */
export async function layerSource(
  store: Store,
  referencedAs: string,
  known: { digest?: Digest | null; size?: number | null; mediaType?: string | null } = {},
): Promise<LayerSource> {
  const m = resolveMember(store, referencedAs);
  const head = await store.head(m.name, 8);
  return {
    member: m.name,
    referencedAs,
    digest: known.digest ?? digestFromName(m.name),
    declaredSize: known.size ?? null,
    mediaType: known.mediaType ?? null,
    size: m.size,
    compression: sniffCompression(head),
  };
}

/** A descriptor's claim about the blob it points at (`verify` compares it with the bytes). */
export function claimOf(kind: BlobClaim['kind'], member: string, by: string, d: { digest: Digest; size?: number | null }): BlobClaim {
  return { kind, member, by, digest: d.digest, size: d.size ?? null };
}

/** Layer media types, and the compression each says (media types lie: see mediaTypeAgreements). */
export const LAYER_TYPES: Record<string, Compression> = {
  'application/vnd.oci.image.layer.v1.tar': 'none',
  'application/vnd.oci.image.layer.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.v1.tar+zstd': 'zstd',
  'application/vnd.oci.image.layer.nondistributable.v1.tar': 'none',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+gzip': 'gzip',
  'application/vnd.oci.image.layer.nondistributable.v1.tar+zstd': 'zstd',
  'application/vnd.docker.image.rootfs.diff.tar': 'none',
  'application/vnd.docker.image.rootfs.diff.tar.gzip': 'gzip',
  'application/vnd.docker.image.rootfs.foreign.diff.tar.gzip': 'gzip',
};

/**
 * Media-type checks for a manifest that no digest covers (a skopeo dir's
 * manifest.json): the strings must be ones a reader acts on correctly.
 * As {expected, actual} pairs that agree when the type is right.
 */
export function mediaTypeAgreements(
  member: string,
  manifest: Record<string, unknown>,
  config: { mediaType: string },
  layers: { mediaType: string | null }[],
): Agreement[] {
  const out: Agreement[] = [];
  const one = (check: string, subject: string, actual: string, ok: boolean, expected: string) =>
    out.push({ check, subject, expected: ok ? actual : expected, actual });
  if (typeof manifest.mediaType === 'string' || 'mediaType' in manifest) {
    const t = String(manifest.mediaType);
    one('manifest media type', member, t, MANIFEST_TYPES.includes(t), `one of ${MANIFEST_TYPES.join(', ')}`);
  }
  one('config media type', `${member} config`, config.mediaType, CONFIG_TYPES.includes(config.mediaType), `one of ${CONFIG_TYPES.join(', ')}`);
  // a known layer type, not necessarily the blob's compression: writers get that wrong (umoci → skopeo
  // marks uncompressed layers +gzip) and layerdig sniffs magic bytes anyway
  layers.forEach((l, j) => {
    const t = l.mediaType ?? '';
    one('layer media type', `${member} layers[${j}]`, t, t in LAYER_TYPES, 'a layer media type');
  });
  return out;
}
