import { shortId } from '../digest.js';
import { badArchive } from '../errors.js';
import { resolveMember, type Store } from '../store/store.js';
import type { ArchiveDeclared, BlobClaim, Measured, Platform } from '../image/model.js';
import {
  blobPath, claimOf, CONFIG_TYPES, INDEX_TYPES, isObject, MANIFEST_TYPES, parseDescriptor, readJsonMember, type Descriptor,
} from './common.js';

export const REF_NAME = 'org.opencontainers.image.ref.name';
export const CONTAINERD_NAME = 'io.containerd.image.name';

/** One image manifest reached from an OCI index, with what the path to it said. */
export interface OciManifestEntry {
  descriptor: Descriptor;
  member: string;
  manifest: Record<string, unknown>;
  config: Descriptor;
  layers: Descriptor[];
  platform: Platform | null;
  refName: string | null;
  containerdName: string | null;
  /** the index descriptor's claim about the manifest blob */
  claim: BlobClaim;
  /** the manifest blob as read, by the member that held it */
  measured: Record<string, Measured>;
}

const MAX_DEPTH = 8;

function toPlatform(p: Descriptor['platform']): Platform | null {
  if (!p || typeof p.os !== 'string' || typeof p.architecture !== 'string') return null;
  return p.variant ? { os: p.os, architecture: p.architecture, variant: p.variant } : { os: p.os, architecture: p.architecture };
}

/**
 * Walk `index.json` (and nested indexes) to every image manifest present.
 * Missing blobs (the other platforms of a containerd save), artifacts,
 * attestations and unknown media types are skipped with a note.
 */
export async function walkOciIndex(
  store: Store,
  indexMember = 'index.json',
  declared?: ArchiveDeclared,
): Promise<{ entries: OciManifestEntry[]; notes: string[] }> {
  const entries: OciManifestEntry[] = [];
  const notes: string[] = [];
  const seen = new Set<string>();
  const archiveClaim = (c: BlobClaim, m?: { member: string; digest: string; bytes: Buffer; value: unknown }) => {
    declared?.claims.push(c);
    if (m && declared) declared.measured[m.member] = measure(m);
  };

  const visitIndex = async (member: string, value: unknown, depth: number, inherited: { ref: string | null; ctr: string | null }) => {
    if (!isObject(value)) throw badArchive(store.path, member, 'is not a JSON object');
    const list = value.manifests;
    if (list === null || list === undefined) return; // Docker 25 writes `manifests: null` when it has none
    if (!Array.isArray(list)) throw badArchive(store.path, member, '"manifests" is not a list');
    const descriptors = list.map((v, i) => parseDescriptor(v, store.path, member, `manifests[${i}]`));
    // a nested (multi-platform) index of which some manifests are present: the others were left out on purpose
    const somePresent = descriptors.some((d) => store.member(blobPath(d.digest)) !== undefined);
    for (let i = 0; i < descriptors.length; i++) {
      const d = descriptors[i]!;
      const by = `${member} manifests[${i}]`;
      const ref = d.annotations[REF_NAME] ?? inherited.ref;
      const ctr = d.annotations[CONTAINERD_NAME] ?? inherited.ctr;
      const path = blobPath(d.digest);
      declared?.referenced.add(path);
      const where = `${d.mediaType || 'descriptor'} ${shortId(d.digest)}${d.platform ? ` (${[d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join('/')})` : ''}`;
      if (!store.member(path)) {
        const byDesign = depth > 0 && somePresent;
        declared?.missing.push({ member: path, by, byDesign });
        notes.push(byDesign
          ? `${where} is referenced by ${member} but not in the archive: skipped (saves often keep one platform only)`
          : `${where} is referenced by ${member} but not in the archive: skipped`);
        continue;
      }
      if (d.annotations['vnd.docker.reference.type'] === 'attestation-manifest') {
        archiveClaim(claimOf('manifest', path, by, d));
        notes.push(`${where} is an attestation manifest: skipped`);
        continue;
      }
      let mediaType = d.mediaType;
      const blob = await readJsonMember(store, path);
      const claim: BlobClaim = { ...claimOf(INDEX_TYPES.includes(mediaType) ? 'index' : 'manifest', path, by, d), mediaType: d.mediaType };
      if (!mediaType && isObject(blob.value)) {
        mediaType = typeof blob.value.mediaType === 'string' ? blob.value.mediaType
          : Array.isArray(blob.value.manifests) ? INDEX_TYPES[0]! : isObject(blob.value.config) ? MANIFEST_TYPES[0]! : '';
      }
      if (INDEX_TYPES.includes(mediaType)) {
        if (depth >= MAX_DEPTH) throw badArchive(store.path, path, `indexes nested more than ${MAX_DEPTH} deep`);
        if (seen.has(`index:${d.digest}`)) continue; // an index cycle is impossible by content addressing, but be safe
        seen.add(`index:${d.digest}`);
        archiveClaim({ ...claim, kind: 'index' }, blob);
        await visitIndex(path, blob.value, depth + 1, { ref, ctr });
        continue;
      }
      if (!MANIFEST_TYPES.includes(mediaType)) {
        archiveClaim(claim, blob);
        notes.push(`${where} has media type ${mediaType || '(none)'}, not an image: skipped`);
        continue;
      }
      const m = blob.value;
      if (!isObject(m)) throw badArchive(store.path, path, 'the manifest is not a JSON object');
      const config = parseDescriptor(m.config, store.path, path, 'config');
      if (config.mediaType && !CONFIG_TYPES.includes(config.mediaType)) {
        archiveClaim(claim, blob);
        notes.push(`${where} is an artifact (config ${config.mediaType}): skipped`);
        continue;
      }
      if (!Array.isArray(m.layers)) throw badArchive(store.path, path, '"layers" is not a list');
      const layers = m.layers.map((l, j) => parseDescriptor(l, store.path, path, `layers[${j}]`));
      entries.push({
        descriptor: d, member: path, manifest: m, config, layers,
        platform: toPlatform(d.platform), refName: ref, containerdName: ctr,
        claim, measured: { [blob.member]: measure(blob) },
      });
    }
  };

  const top = await readJsonMember(store, indexMember);
  if (declared && indexMember === 'index.json') await rootChecks(store, indexMember, top.value, declared);
  await visitIndex(indexMember, top.value, 0, { ref: null, ctr: null });
  return { entries, notes };
}

function measure(m: { digest: string; bytes: Buffer; value: unknown }): Measured {
  const own = isObject(m.value) && typeof m.value.mediaType === 'string' ? m.value.mediaType : undefined;
  return { digest: m.digest, size: m.bytes.length, ...(own !== undefined ? { mediaType: own } : {}) };
}

/**
 * `index.json` and `oci-layout` are covered by no digest: what verify can check
 * is that they say what the image-layout spec requires.
 */
async function rootChecks(store: Store, member: string, value: unknown, declared: ArchiveDeclared): Promise<void> {
  const v = isObject(value) ? value : {};
  declared.agreements.push({ check: 'index schemaVersion', subject: member, expected: '2', actual: String(v.schemaVersion) });
  if ('mediaType' in v) {
    declared.agreements.push({ check: 'index media type', subject: member, expected: INDEX_TYPES[0]!, actual: String(v.mediaType) });
  }
  const layout = store.member('oci-layout');
  if (!layout) return;
  let version = '(unreadable)';
  try {
    const parsed: unknown = JSON.parse((await store.readBytes(resolveMember(store, 'oci-layout').name, 4096)).toString('utf8'));
    if (isObject(parsed)) version = String(parsed.imageLayoutVersion);
  } catch { /* not JSON, too big, a link out: reported as unreadable */ }
  declared.agreements.push({ check: 'oci-layout version', subject: 'oci-layout', expected: '1.0.0', actual: version });
}
