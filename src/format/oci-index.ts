import { shortId, type Digest } from '../digest.js';
import { badArchive, LayerdigError, where as at } from '../errors.js';
import { resolveMember, type Store } from '../store/store.js';
import type { ArchiveDeclared, BlobClaim, Measured, Platform } from '../image/model.js';
import {
  blobPath, claimOf, INDEX_TYPES, isObject, MANIFEST_TYPES, parseDescriptor, readJsonMember, type Descriptor,
} from './common.js';
import { attachment, classify, configJson, DOCKER_REF_TYPE, kindOfType, recordArtifact, settle, type Verdict } from './artifact.js';

/** The OCI 1.1 release candidates' artifact manifest (dropped from the final spec, still written by old oras). */
const ARTIFACT_MANIFEST = 'application/vnd.oci.artifact.manifest.v1+json';

/** An index reached again below itself: its stored digest lies (one sentence naming the blob). */
function cycle(archive: string, member: string, entry: string, actual: Digest): LayerdigError {
  const named = member.startsWith('blobs/sha256/') ? `sha256:${member.slice(13)}` : null;
  const lie = named && actual !== named ? `; its content hashes to ${actual}, so the digest it is stored under is false` : '';
  return new LayerdigError('E_INTEGRITY', `${at(archive, member)}: this index lists itself (its ${entry}), a cycle: skipped${lie}`);
}

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
 * Artifacts (format/artifact.ts) go to `declared.artifacts` with their blobs'
 * claims; missing blobs (the other platforms of a containerd save) and unknown
 * media types are skipped with a note. An index cycle is an integrity error.
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

  const visitIndex = async (member: string, value: unknown, depth: number, inherited: { ref: string | null; ctr: string | null }, ancestors: string[]) => {
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
      let blob: Awaited<ReturnType<typeof readJsonMember>>;
      const claim: BlobClaim = { ...claimOf(INDEX_TYPES.includes(d.mediaType) ? 'index' : 'manifest', path, by, d), mediaType: d.mediaType };
      const artifact = (v: Extract<Verdict, { image: false }>, m: Record<string, unknown> | null, mediaType: string, artifactType: string | null) => {
        archiveClaim(claim, m ? blob : undefined);
        recordArtifact(declared, {
          kind: v.kind, digest: d.digest, member: path, mediaType, artifactType, subject: v.subject, attachedBy: v.attachedBy,
          by, name: d.annotations[REF_NAME] ?? d.annotations[CONTAINERD_NAME] ?? null, why: v.why,
        }, m, blobPath, (n) => store.member(n) !== undefined);
      };
      const names = [ref, ctr].filter((n): n is string => n !== null);
      try {
        blob = await readJsonMember(store, path);
      } catch (e) {
        // what the descriptor alone says is an artifact never stops the images: verify checks its digest
        const v = classify({}, { descriptor: d, names, configType: 'unread' });
        if (!(e instanceof LayerdigError) || v.image !== false || INDEX_TYPES.includes(d.mediaType)) throw e;
        if (!d.artifactType && !d.annotations[DOCKER_REF_TYPE] && v.attachedBy !== 'tag') throw e;
        artifact(v, null, d.mediaType, d.artifactType ?? null);
        continue;
      }
      let mediaType = d.mediaType;
      if (!mediaType && isObject(blob.value)) {
        mediaType = typeof blob.value.mediaType === 'string' ? blob.value.mediaType
          : Array.isArray(blob.value.manifests) ? INDEX_TYPES[0]! : isObject(blob.value.config) ? MANIFEST_TYPES[0]! : '';
      }
      if (INDEX_TYPES.includes(mediaType)) {
        if (depth >= MAX_DEPTH) throw badArchive(store.path, path, `indexes nested more than ${MAX_DEPTH} deep`);
        // content addressing makes a cycle impossible: an index reached again below itself was stored under a false digest
        if (ancestors.includes(d.digest)) {
          const e = cycle(store.path, path, `manifests[${i}]`, blob.digest);
          if (!declared) throw e;
          // the images beside it are still answered; the run ends with the integrity exit code, verify with a mismatch
          declared.warnings.push(e.message);
          declared.agreements.push({ check: 'index cycle', subject: path, expected: 'an index that does not list itself', actual: `listed again by ${by}` });
          archiveClaim({ ...claim, kind: 'index' }, blob);
          continue;
        }
        if (seen.has(`index:${d.digest}`)) continue; // the same index listed twice (a diamond): read once
        seen.add(`index:${d.digest}`);
        archiveClaim({ ...claim, kind: 'index' }, blob);
        await visitIndex(path, blob.value, depth + 1, { ref, ctr }, [...ancestors, d.digest]);
        continue;
      }
      const m = blob.value;
      const known = MANIFEST_TYPES.includes(mediaType) || mediaType === ARTIFACT_MANIFEST;
      if (!known || !isObject(m)) {
        archiveClaim(claim, blob);
        notes.push(`${where} has media type ${mediaType || '(none)'}, not an image manifest or index: skipped`);
        continue;
      }
      const configType = isObject(m.config) && typeof m.config.mediaType === 'string' ? m.config.mediaType : '';
      // the release candidates' artifact manifest has `blobs` and no config: never an image
      const v = mediaType === ARTIFACT_MANIFEST
        ? { image: false as const, kind: kindOfType(String(m.artifactType ?? '')) ?? 'artifact' as const, why: `media type ${ARTIFACT_MANIFEST}`, ...attachment(m) }
        : await settle(classify(m, { descriptor: d, names }), configType, () => configJson(store, m.config, blobPath));
      if (v.image === false) {
        artifact(v, m, mediaType, typeof m.artifactType === 'string' ? m.artifactType : d.artifactType ?? (configType || null));
        continue;
      }
      const config = parseDescriptor(m.config, store.path, path, 'config');
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
  await visitIndex(indexMember, top.value, 0, { ref: null, ctr: null }, []);
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
