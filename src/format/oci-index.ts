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

type JsonBlob = Awaited<ReturnType<typeof readJsonMember>>;
type Inherited = { ref: string | null; ctr: string | null };

/** One descriptor of an index being visited, and what the path to it says. */
interface At {
  /** the index member that lists it, and where */
  member: string;
  i: number;
  by: string;
  d: Descriptor;
  path: string;
  /** for notes: media type, short digest, platform */
  where: string;
  ref: string | null;
  ctr: string | null;
  claim: BlobClaim;
  depth: number;
  ancestors: string[];
}

/** One walkOciIndex call: what it found so far. */
class IndexWalk {
  readonly entries: OciManifestEntry[] = [];
  readonly notes: string[] = [];
  /** indexes already read (a diamond is read once) */
  private readonly seen = new Set<string>();

  constructor(private readonly store: Store, private readonly declared?: ArchiveDeclared) {}

  private archiveClaim(c: BlobClaim, m?: { member: string; digest: string; bytes: Buffer; value: unknown }): void {
    this.declared?.claims.push(c);
    if (m && this.declared) this.declared.measured[m.member] = measure(m);
  }

  async visitIndex(member: string, value: unknown, depth: number, inherited: Inherited, ancestors: string[]): Promise<void> {
    const store = this.store;
    if (!isObject(value)) throw badArchive(store.path, member, 'is not a JSON object');
    const list = value.manifests;
    if (list === null || list === undefined) return; // Docker 25 writes `manifests: null` when it has none
    if (!Array.isArray(list)) throw badArchive(store.path, member, '"manifests" is not a list');
    const descriptors = list.map((v, i) => parseDescriptor(v, store.path, member, `manifests[${i}]`));
    // a nested (multi-platform) index of which some manifests are present: the others were left out on purpose
    const somePresent = descriptors.some((d) => store.member(blobPath(d.digest)) !== undefined);
    for (let i = 0; i < descriptors.length; i++) {
      const d = descriptors[i]!;
      const path = blobPath(d.digest);
      const at: At = {
        member, i, by: `${member} manifests[${i}]`, d, path, depth, ancestors,
        where: `${d.mediaType || 'descriptor'} ${shortId(d.digest)}${d.platform ? ` (${[d.platform.os, d.platform.architecture, d.platform.variant].filter(Boolean).join('/')})` : ''}`,
        ref: d.annotations[REF_NAME] ?? inherited.ref,
        ctr: d.annotations[CONTAINERD_NAME] ?? inherited.ctr,
        claim: { ...claimOf(INDEX_TYPES.includes(d.mediaType) ? 'index' : 'manifest', path, `${member} manifests[${i}]`, d), mediaType: d.mediaType },
      };
      this.declared?.referenced.add(path);
      if (!store.member(path)) {
        this.missing(at, depth > 0 && somePresent);
        continue;
      }
      await this.visitDescriptor(at);
    }
  }

  private missing(at: At, byDesign: boolean): void {
    this.declared?.missing.push({ member: at.path, by: at.by, byDesign });
    this.notes.push(byDesign
      ? `${at.where} is referenced by ${at.member} but not in the archive: skipped (saves often keep one platform only)`
      : `${at.where} is referenced by ${at.member} but not in the archive: skipped`);
  }

  private artifact(at: At, v: Extract<Verdict, { image: false }>, blob: JsonBlob | null, mediaType: string, artifactType: string | null): void {
    const m = blob && isObject(blob.value) ? blob.value : null;
    this.archiveClaim(at.claim, m ? blob! : undefined);
    recordArtifact(this.declared, {
      kind: v.kind, digest: at.d.digest, member: at.path, mediaType, artifactType, subject: v.subject, attachedBy: v.attachedBy,
      by: at.by, name: at.d.annotations[REF_NAME] ?? at.d.annotations[CONTAINERD_NAME] ?? null, why: v.why,
    }, m, blobPath, (n) => this.store.member(n) !== undefined);
  }

  private async visitDescriptor(at: At): Promise<void> {
    const { d } = at;
    const names = [at.ref, at.ctr].filter((n): n is string => n !== null);
    let blob: JsonBlob;
    try {
      blob = await readJsonMember(this.store, at.path);
    } catch (e) {
      // what the descriptor alone says is an artifact never stops the images: verify checks its digest
      const v = classify({}, { descriptor: d, names, configType: 'unread' });
      if (!(e instanceof LayerdigError) || v.image !== false || INDEX_TYPES.includes(d.mediaType)) throw e;
      if (!d.artifactType && !d.annotations[DOCKER_REF_TYPE] && v.attachedBy !== 'tag') throw e;
      this.artifact(at, v, null, d.mediaType, d.artifactType ?? null);
      return;
    }
    let mediaType = d.mediaType;
    if (!mediaType && isObject(blob.value)) {
      mediaType = typeof blob.value.mediaType === 'string' ? blob.value.mediaType
        : Array.isArray(blob.value.manifests) ? INDEX_TYPES[0]! : isObject(blob.value.config) ? MANIFEST_TYPES[0]! : '';
    }
    if (INDEX_TYPES.includes(mediaType)) await this.nestedIndex(at, blob);
    else await this.manifest(at, blob, mediaType, names);
  }

  private async nestedIndex(at: At, blob: JsonBlob): Promise<void> {
    const { d, path } = at;
    const declared = this.declared;
    if (at.depth >= MAX_DEPTH) throw badArchive(this.store.path, path, `indexes nested more than ${MAX_DEPTH} deep`);
    // content addressing makes a cycle impossible: an index reached again below itself was stored under a false digest
    if (at.ancestors.includes(d.digest)) {
      const e = cycle(this.store.path, path, `manifests[${at.i}]`, blob.digest);
      if (!declared) throw e;
      // the images beside it are still answered; the run ends with the integrity exit code, verify with a mismatch
      declared.warnings.push(e.message);
      declared.agreements.push({ check: 'index cycle', subject: path, expected: 'an index that does not list itself', actual: `listed again by ${at.by}` });
      this.archiveClaim({ ...at.claim, kind: 'index' }, blob);
      return;
    }
    if (this.seen.has(`index:${d.digest}`)) return; // the same index listed twice (a diamond): read once
    this.seen.add(`index:${d.digest}`);
    this.archiveClaim({ ...at.claim, kind: 'index' }, blob);
    await this.visitIndex(path, blob.value, at.depth + 1, { ref: at.ref, ctr: at.ctr }, [...at.ancestors, d.digest]);
  }

  private async manifest(at: At, blob: JsonBlob, mediaType: string, names: string[]): Promise<void> {
    const { d, path } = at;
    const store = this.store;
    const m = blob.value;
    const known = MANIFEST_TYPES.includes(mediaType) || mediaType === ARTIFACT_MANIFEST;
    if (!known || !isObject(m)) {
      this.archiveClaim(at.claim, blob);
      this.notes.push(`${at.where} has media type ${mediaType || '(none)'}, not an image manifest or index: skipped`);
      return;
    }
    const configType = isObject(m.config) && typeof m.config.mediaType === 'string' ? m.config.mediaType : '';
    // the release candidates' artifact manifest has `blobs` and no config: never an image
    const v = mediaType === ARTIFACT_MANIFEST
      ? { image: false as const, kind: kindOfType(String(m.artifactType ?? '')) ?? 'artifact' as const, why: `media type ${ARTIFACT_MANIFEST}`, ...attachment(m) }
      : await settle(classify(m, { descriptor: d, names }), configType, () => configJson(store, m.config, blobPath));
    if (v.image === false) {
      this.artifact(at, v, blob, mediaType, typeof m.artifactType === 'string' ? m.artifactType : d.artifactType ?? (configType || null));
      return;
    }
    const config = parseDescriptor(m.config, store.path, path, 'config');
    if (!Array.isArray(m.layers)) throw badArchive(store.path, path, '"layers" is not a list');
    const layers = m.layers.map((l, j) => parseDescriptor(l, store.path, path, `layers[${j}]`));
    this.entries.push({
      descriptor: d, member: path, manifest: m, config, layers,
      platform: toPlatform(d.platform), refName: at.ref, containerdName: at.ctr,
      claim: at.claim, measured: { [blob.member]: measure(blob) },
    });
  }
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
  const walk = new IndexWalk(store, declared);
  const top = await readJsonMember(store, indexMember);
  if (declared && indexMember === 'index.json') await rootChecks(store, indexMember, top.value, declared);
  await walk.visitIndex(indexMember, top.value, 0, { ref: null, ctr: null }, []);
  return { entries: walk.entries, notes: walk.notes };
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
