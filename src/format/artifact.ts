import { toDigest, type Digest } from '../digest.js';
import type { ArchiveDeclared, Artifact, ArtifactKind, BlobClaim } from '../image/model.js';
import type { Store } from '../store/store.js';
import { CONFIG_TYPES, isObject, readJsonMember, type Descriptor } from './common.js';

/**
 * What is an image and what is an artifact (README "Artifacts"). An image is a
 * manifest whose config is an image config: the OCI or Docker config media
 * type, or — where the type is missing or generic — a JSON object with
 * `rootfs.diff_ids`. Everything else a format reaches is an artifact
 * (signatures, attestations, SBOMs, helm charts, OCI 1.1 `artifactType`
 * manifests), listed on the archive and never read as an image.
 */

export const EMPTY_CONFIG = 'application/vnd.oci.empty.v1+json';
export const HELM_CONFIG = 'application/vnd.cncf.helm.config.v1+json';
/** buildx marks its attestation manifests with these index-descriptor annotations */
export const DOCKER_REF_TYPE = 'vnd.docker.reference.type';
export const DOCKER_REF_DIGEST = 'vnd.docker.reference.digest';

/** Media types that say nothing about what a config is: its content must tell. */
const GENERIC_TYPES: readonly string[] = ['', 'application/octet-stream', 'application/json', 'text/plain'];

/** cosign's tag scheme: `sha256-<hex>.sig|.att|.sbom` names the manifest the signature/attestation/SBOM is about. */
const COSIGN_TAG = /^sha256-([0-9a-f]{64})\.(sig|att|sbom)$/;
const COSIGN_KIND: Record<string, ArtifactKind> = { sig: 'signature', att: 'attestation', sbom: 'sbom' };

/** The tag part of a reference (`reg/x:sha256-ab….sig` → `sha256-ab….sig`); an OCI ref name may be a bare tag. */
function tagOf(ref: string): string {
  const at = ref.lastIndexOf('@');
  const s = at >= 0 ? ref.slice(0, at) : ref;
  const colon = s.lastIndexOf(':');
  return colon > s.lastIndexOf('/') ? s.slice(colon + 1) : s;
}

/** A cosign-style tag, and the digest it attaches to. */
export function cosignTag(ref: string): { kind: ArtifactKind; subject: Digest } | null {
  const m = COSIGN_TAG.exec(tagOf(ref));
  return m ? { kind: COSIGN_KIND[m[2]!]!, subject: `sha256:${m[1]}` } : null;
}

/** The kind a type string (artifactType, config or layer media type) says. */
export function kindOfType(t: string): ArtifactKind | null {
  const s = t.toLowerCase();
  if (s === HELM_CONFIG || s.startsWith('application/vnd.cncf.helm.')) return 'helm chart';
  if (/in-toto|dsse|attestation|provenance|vuln/.test(s)) return 'attestation';
  if (/signature|\.sig\b|notary|simplesigning/.test(s)) return 'signature';
  if (/spdx|cyclonedx|sbom|syft/.test(s)) return 'sbom';
  return null;
}

export function isImageConfigType(t: string): boolean {
  return CONFIG_TYPES.includes(t);
}

export function isGenericConfigType(t: string): boolean {
  return GENERIC_TYPES.includes(t);
}

/** A config's content is an image config when it carries `rootfs.diff_ids` (a list). */
export function looksLikeImageConfig(v: unknown): boolean {
  return isObject(v) && isObject(v.rootfs) && Array.isArray(v.rootfs.diff_ids);
}

/** An OCI 1.1 `subject`: what the manifest is attached to. */
export function attachment(manifest: Record<string, unknown>): { subject: Digest | null; attachedBy: 'subject' | null } {
  const subject = isObject(manifest.subject) && typeof manifest.subject.digest === 'string' ? toDigest(manifest.subject.digest) : null;
  return subject ? { subject, attachedBy: 'subject' } : { subject: null, attachedBy: null };
}

/** What decides, before the config is read. */
export type Verdict =
  | { image: true }
  /** config type missing or generic: the config's content decides */
  | { image: 'ask-config' }
  | { image: false; kind: ArtifactKind; why: string; subject: Digest | null; attachedBy: Artifact['attachedBy'] };

/**
 * Classify a manifest from what is known without reading its config: the
 * descriptor that listed it, its JSON, the tags or ref names it goes by.
 */
export function classify(manifest: Record<string, unknown>, opts: { descriptor?: Descriptor; names?: readonly string[]; configType?: string | null }): Verdict {
  const d = opts.descriptor;
  const viaSubject = attachment(manifest);
  for (const n of opts.names ?? []) {
    const c = cosignTag(n);
    if (c) return { image: false, kind: c.kind, why: `tag ${tagOf(n)}`, subject: c.subject, attachedBy: 'tag' };
  }
  if (d?.annotations[DOCKER_REF_TYPE] === 'attestation-manifest') {
    const ref = d.annotations[DOCKER_REF_DIGEST];
    const to = ref ? toDigest(ref) : null;
    return { image: false, kind: 'attestation', why: `${DOCKER_REF_TYPE}: attestation-manifest`, subject: to, attachedBy: to ? 'annotation' : null };
  }
  const layerTypes = Array.isArray(manifest.layers)
    ? manifest.layers.map((l) => (isObject(l) && typeof l.mediaType === 'string' ? l.mediaType : ''))
    : [];
  const artifactType = typeof manifest.artifactType === 'string' ? manifest.artifactType : d?.artifactType;
  if (artifactType) {
    return { image: false, kind: kindOfType(artifactType) ?? kindFromLayers(layerTypes) ?? 'artifact', why: `artifactType ${artifactType}`, ...viaSubject };
  }
  const configType = opts.configType ?? (isObject(manifest.config) && typeof manifest.config.mediaType === 'string' ? manifest.config.mediaType : '');
  if (isImageConfigType(configType)) {
    // buildx attestations and cosign payloads wear an image config; their layers give them away
    const k = kindFromLayers(layerTypes);
    if (k && layerTypes.length > 0 && layerTypes.every((t) => kindOfType(t) !== null)) {
      return { image: false, kind: k, why: `layers of type ${[...new Set(layerTypes)].join(', ')}`, ...viaSubject };
    }
    return { image: true };
  }
  if (isGenericConfigType(configType)) return { image: 'ask-config' };
  return { image: false, kind: kindOfType(configType) ?? kindFromLayers(layerTypes) ?? 'artifact', why: `config ${configType}`, ...viaSubject };
}

/**
 * Settle a verdict with the config's content where the type alone cannot: a
 * missing or generic config type (content decides), and — for a manifest no
 * digest covers (a skopeo dir's top manifest.json) — a non-image config type
 * over a config that is an image config: an altered type, not an artifact, so
 * it stays an image and verify flags the type. `read` gives the config's JSON,
 * or undefined when it cannot be read (then it is read as an image, and that
 * path names what is wrong).
 */
export async function settle(v: Verdict, configType: string, read: () => Promise<unknown>, uncovered = false): Promise<{ image: true } | Extract<Verdict, { image: false }>> {
  if (v.image === true) return v;
  if (v.image === 'ask-config') {
    const cfg = await read();
    if (cfg === undefined || looksLikeImageConfig(cfg)) return { image: true };
    return { image: false, kind: 'artifact', why: `config ${configType || '(no media type)'} without rootfs.diff_ids`, subject: null, attachedBy: null };
  }
  if (uncovered && v.why === `config ${configType}` && looksLikeImageConfig(await read())) return { image: true };
  return v;
}

function kindFromLayers(types: readonly string[]): ArtifactKind | null {
  for (const t of types) {
    const k = kindOfType(t);
    if (k) return k;
  }
  return null;
}

const PLURAL: Record<ArtifactKind, [string, string]> = {
  attestation: ['attestation', 'attestations'],
  signature: ['signature', 'signatures'],
  sbom: ['SBOM', 'SBOMs'],
  'helm chart': ['helm chart', 'helm charts'],
  artifact: ['other artifact', 'other artifacts'],
};
const ORDER: readonly ArtifactKind[] = ['attestation', 'signature', 'sbom', 'helm chart', 'artifact'];

/** The one note line per archive: `3 artifacts skipped: 2 attestations, 1 signature — see \`attached\``. */
export function artifactNote(artifacts: readonly Artifact[]): string | null {
  if (artifacts.length === 0) return null;
  const parts = ORDER.flatMap((k) => {
    const n = artifacts.filter((a) => a.kind === k).length;
    return n ? [`${n} ${PLURAL[k][n === 1 ? 0 : 1]}`] : [];
  });
  return `${artifacts.length} artifact${artifacts.length === 1 ? '' : 's'} skipped: ${parts.join(', ')} — see \`attached\``;
}

/** Lenient descriptor reading: an artifact's odd descriptor is a verify finding, never an exception. */
function looseDescriptor(v: unknown): { digest: Digest; size: number | null; hasData: boolean } | null {
  if (!isObject(v) || typeof v.digest !== 'string') return null;
  const digest = toDigest(v.digest);
  if (!digest) return null;
  const size = typeof v.size === 'number' && Number.isSafeInteger(v.size) && v.size >= 0 ? v.size : -1;
  return { digest, size, hasData: typeof v.data === 'string' };
}

/**
 * Put an artifact on the archive: its config and layer (or OCI 1.1 draft
 * `blobs`) descriptors become claims `verify` checks, and their blobs count as
 * referenced. `pathOf` maps a digest to the member a format stores it under.
 */
export function recordArtifact(
  declared: ArchiveDeclared | undefined,
  a: Artifact,
  manifest: Record<string, unknown> | null,
  pathOf: (d: Digest) => string,
  has: (member: string) => boolean,
): void {
  if (!declared) return;
  declared.artifacts.push(a);
  if (!manifest) return;
  const claim = (kind: BlobClaim['kind'], v: unknown, by: string) => {
    const d = looseDescriptor(v);
    if (!d) {
      declared.agreements.push({ check: 'artifact descriptor', subject: by, expected: 'a descriptor with a sha256 digest', actual: JSON.stringify(v) ?? 'undefined' });
      return;
    }
    const member = pathOf(d.digest);
    declared.referenced.add(member);
    // a descriptor may embed its blob (`data`, e.g. the empty config): a layout need not store it then
    if (d.hasData && !has(member)) return;
    declared.claims.push({ kind, member, by, digest: d.digest, size: d.size });
  };
  if (manifest.config !== undefined) claim('config', manifest.config, `${a.member} config`);
  for (const key of ['layers', 'blobs'] as const) {
    const list = manifest[key];
    if (Array.isArray(list)) list.forEach((l, j) => claim('layer', l, `${a.member} ${key}[${j}]`));
  }
}

/** A config descriptor's blob as JSON, or undefined when there is none to read (missing, not JSON, too big). */
export async function configJson(store: Store, config: unknown, pathOf: (d: Digest) => string): Promise<unknown> {
  const c = isObject(config) && typeof config.digest === 'string' ? toDigest(config.digest) : null;
  if (!c || !store.member(pathOf(c))) return undefined;
  try {
    return (await readJsonMember(store, pathOf(c))).value;
  } catch {
    return undefined;
  }
}
