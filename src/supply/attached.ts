import { hexOf, isDigest, sha256, shortId, type Digest } from '../digest.js';
import { limits } from '../limits.js';
import { resolveMember, type Store } from '../store/store.js';
import type { Artifact, Image } from '../image/model.js';
import { blobPath } from '../format/common.js';
import { decodeEnvelope, DSSE_MEDIA_TYPE, INTOTO_PAYLOAD_TYPE, pae } from './dsse.js';
import { decodeStatement, subjectDigests, subjectMatch, type Statement } from './intoto.js';
import { isProvenance, summarizeProvenance, type ProvenanceSummary } from './slsa.js';
import { isSbomPredicate, recognizeSbom, type SbomSummary } from './sbom.js';
import { decodeSignatureAnnotation, decodeSimpleSigning, SIGNATURE_ANNOTATION, SIMPLESIGNING_MEDIA_TYPE } from './cosign.js';
import { decodeSignedMessage } from './openpgp.js';
import { isRecord, parseJsonBytes, str, SupplyProblem } from './problem.js';
import { BUNDLE_ANNOTATION, CERTIFICATE_ANNOTATION, certificateIdentity, CHAIN_ANNOTATION, parsePemCertificates, type CertIdentity, type KeylessEvidence } from './keyless.js';
import { envSecret } from '../analysis/secrets.js';

/**
 * What travels with each image (README "Signatures, SBOMs and provenance"):
 * every document of every artifact the format layer recognised (format/artifact.ts),
 * tied to the image it is about, decoded, never trusted — `verify --key` checks signatures.
 */

/** The part of the archive's artifact list (format/artifact.ts) this module reads. */
export type ArtifactRef = Pick<Artifact, 'digest' | 'member' | 'mediaType' | 'artifactType' | 'subject' | 'attachedBy' | 'by' | 'name'> & { kind: string };

export type AttachedKind = 'signature' | 'sbom' | 'provenance' | 'attestation' | 'artifact';
export type AttachedHow = 'referrer subject' | 'buildx attestation manifest' | 'cosign tag' | 'signature file' | 'unknown';

/** The bytes a signature signs and the signatures over them, for `verify --key`. */
export interface SignedEvidence {
  scheme: 'simple-signing' | 'dsse' | 'gpg';
  /** the signed bytes: the payload (simple signing) or the DSSE PAE */
  signed: Buffer;
  signatures: Buffer[];
  /** simple signing: the manifest digest the payload names */
  claimedDigest: string | null;
  /** DSSE: the envelope's payloadType, and what its statement is about */
  payloadType?: string;
  statementSubject?: 'manifest' | 'config' | null;
  statementDigests?: string[];
  /** cosign keyless: the certificate, its chain and the Rekor bundle, as annotated (checked by verify --trusted-root) */
  keyless?: KeylessEvidence;
}

export interface AttachedItem {
  kind: AttachedKind;
  how: AttachedHow;
  /** the artifact manifest carrying it (null for a signature-N file) */
  manifest: Digest | null;
  /** the manifest's ref name or tag */
  name: string | null;
  /** what it is attached to (an image's manifest, an index, another artifact) */
  subject: Digest | null;
  /** artifacts between it and the image (a signature of an SBOM referrer) */
  via: Digest[];
  mediaType: string;
  artifactType: string | null;
  /** the document itself: a layer blob, or the signature file */
  member: string;
  digest: Digest | null;
  size: number;
  annotations: Record<string, string>;
  created: string | null;
  predicateType: string | null;
  /** build arguments that look like secrets (audit's Env rule) are masked in `buildArgs` and named in `secretBuildArgs` */
  provenance: (ProvenanceSummary & { subjectMatches: 'manifest' | 'config' | null; secretBuildArgs: string[] }) | null;
  sbom: SbomSummary | null;
  /** simple signing / DSSE / GPG facts (never a verdict: see `verify --key`) */
  signature: {
    scheme: SignedEvidence['scheme']; signatures: number; claimedDigest: string | null; dockerReference: string | null; matchesSubject: boolean | null;
    /** a keyless signature's certificate identity, as the certificate states it (unchecked: verify --trusted-root) */
    certificate?: CertIdentity;
  } | null;
  /** what could not be read or does not fit, one sentence each */
  problems: string[];
  evidence: SignedEvidence | null;
}

export interface ImageAttached {
  image: Image;
  items: AttachedItem[];
}

export interface AttachedReport {
  archive: string;
  images: ImageAttached[];
  /** artifacts whose subject is no image of this archive, or whose chain loops */
  unattached: { artifact: ArtifactRef; why: string }[];
}

const HOW: Record<string, AttachedHow> = { subject: 'referrer subject', annotation: 'buildx attestation manifest', tag: 'cosign tag' };
const CREATED = 'org.opencontainers.image.created';

function annotationsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(v)) for (const [k, s] of Object.entries(v)) if (typeof s === 'string') out[k] = s;
  return out;
}

/** Where a blob lives: OCI layouts and Docker 25 saves keep `blobs/sha256/<hex>`, skopeo `dir:` `<hex>`. */
function memberOf(store: Store, d: Digest): string | null {
  for (const m of [blobPath(d), hexOf(d)]) if (store.member(m)) return m;
  return null;
}

/** A document of an artifact, read under the JSON cap: a huge or truncated one is a problem, not a crash. */
async function readDoc(store: Store, member: string, declared: number): Promise<Buffer> {
  const cap = limits().maxJsonBytes;
  if (declared > cap) throw new SupplyProblem(`declared ${declared} bytes, over the ${cap}-byte JSON limit (--max-json-bytes): not read`);
  try {
    return await store.readBytes(resolveMember(store, member).name, cap);
  } catch (e) {
    throw new SupplyProblem(e instanceof Error ? e.message : String(e));
  }
}

function kindOfPredicate(t: string): AttachedKind {
  return isProvenance(t) ? 'provenance' : isSbomPredicate(t) ? 'sbom' : 'attestation';
}

/** Fill provenance/SBOM facts from an in-toto statement. */
function fromStatement(item: AttachedItem, st: Statement, img: Image): void {
  item.predicateType = st.predicateType;
  item.kind = kindOfPredicate(st.predicateType);
  const match = subjectMatch(st, { manifest: img.manifestDigest ?? '', config: img.id });
  if (item.kind === 'provenance') {
    const p = summarizeProvenance(st.predicateType, st.predicate);
    // a secret passed as a build argument is recorded in provenance for anyone to read: name it, never print it
    const secretBuildArgs: string[] = [];
    for (const [k, v] of Object.entries(p.buildArgs)) {
      const sec = envSecret(`${k}=${v}`);
      if (sec) {
        secretBuildArgs.push(k);
        p.buildArgs[k] = sec.masked;
      }
    }
    item.provenance = { ...p, subjectMatches: match, secretBuildArgs };
    item.created ??= item.provenance.finishedOn;
  } else if (item.kind === 'sbom') {
    item.sbom = recognizeSbom(st.predicate);
    if (!item.sbom) item.problems.push(`predicate type ${st.predicateType} but the predicate is not an SPDX 2.x or CycloneDX 1.4+ document`);
    item.created ??= item.sbom?.created ?? null;
  }
  if (!match) item.problems.push(`the statement is about ${subjectDigests(st).join(', ')}, not this image's manifest or config`);
}

/** A cosign keyless signature's certificate, chain and bundle annotations; its identity shown unchecked. */
function keylessOf(item: AttachedItem): KeylessEvidence | undefined {
  const certificate = item.annotations[CERTIFICATE_ANNOTATION];
  if (certificate === undefined || certificate === '') return undefined;
  try {
    if (item.signature) item.signature.certificate = certificateIdentity(parsePemCertificates(certificate, 'certificate', 64 * 1024)[0]!);
  } catch (e) {
    item.problems.push(e instanceof Error ? e.message : String(e));
  }
  return { certificate, chain: item.annotations[CHAIN_ANNOTATION] || null, bundle: item.annotations[BUNDLE_ANNOTATION] || null };
}

/** Decode one document of an artifact manifest (a layer), by its media type. */
async function decodeLayer(store: Store, item: AttachedItem, layer: Record<string, unknown>, img: Image): Promise<void> {
  const mt = item.mediaType;
  const member = item.digest ? memberOf(store, item.digest) : null;
  const isSig = mt === SIMPLESIGNING_MEDIA_TYPE;
  const reads = isSig || mt === DSSE_MEDIA_TYPE || mt === 'application/vnd.in-toto+json' || /json/.test(mt) || item.kind === 'sbom';
  if (!reads) return;
  if (!member) {
    if (!isRecord(layer) || typeof layer.data !== 'string') item.problems.push('its blob is not in the archive');
    return;
  }
  item.member = member;
  const bytes = await readDoc(store, member, item.size);
  if (item.digest && sha256(bytes) !== item.digest) item.problems.push(`its blob hashes to ${sha256(bytes)}, not the descriptor's digest`);
  if (isSig) {
    item.kind = 'signature';
    const sig = decodeSignatureAnnotation(item.annotations[SIGNATURE_ANNOTATION]);
    const p = decodeSimpleSigning(bytes);
    // a signature is about what it is attached to: the image, an index listing it, or an artifact of it (an SBOM)
    const about = item.subject ?? img.manifestDigest;
    const matches = about ? p.manifestDigest === about : null;
    item.signature = { scheme: 'simple-signing', signatures: sig ? 1 : 0, claimedDigest: p.manifestDigest, dockerReference: p.dockerReference, matchesSubject: matches };
    item.evidence = { scheme: 'simple-signing', signed: bytes, signatures: sig ? [sig] : [], claimedDigest: p.manifestDigest, keyless: keylessOf(item) };
    if (!sig) item.problems.push(`no ${SIGNATURE_ANNOTATION} annotation: unsigned payload`);
    if (matches === false) item.problems.push(`the payload names ${p.manifestDigest}, not ${about === img.manifestDigest ? "this image's manifest" : 'what it is attached to'} ${about}`);
    return;
  }
  const v = parseJsonBytes(bytes, 'the document');
  if (mt === DSSE_MEDIA_TYPE) {
    const env = decodeEnvelope(v);
    const st = env.payloadType === INTOTO_PAYLOAD_TYPE ? decodeStatement(parseJsonBytes(env.payload, 'the DSSE payload')) : null;
    item.signature = { scheme: 'dsse', signatures: env.signatures.length, claimedDigest: null, dockerReference: null, matchesSubject: null };
    item.evidence = {
      scheme: 'dsse', signed: pae(env.payloadType, env.payload), signatures: env.signatures.map((s) => s.sig), claimedDigest: null,
      payloadType: env.payloadType,
      statementSubject: st ? subjectMatch(st, { manifest: img.manifestDigest ?? '', config: img.id }) : null,
      statementDigests: st ? subjectDigests(st) : [],
    };
    item.evidence.keyless = keylessOf(item);
    if (!st) {
      item.kind = 'attestation';
      item.problems.push(`the DSSE payloadType is ${env.payloadType}, not ${INTOTO_PAYLOAD_TYPE}: not an in-toto attestation`);
      return;
    }
    fromStatement(item, st, img);
    return;
  }
  if (isRecord(v) && typeof v._type === 'string' && v._type.startsWith('https://in-toto.io/Statement/')) {
    fromStatement(item, decodeStatement(v), img);
    return;
  }
  const sbom = recognizeSbom(v);
  if (sbom) {
    item.kind = 'sbom';
    item.sbom = sbom;
    item.created ??= sbom.created;
  } else if (item.kind === 'sbom') {
    item.problems.push('not an SPDX 2.x or CycloneDX 1.4+ JSON document');
  }
}

function baseKind(a: ArtifactRef): AttachedKind {
  return a.kind === 'signature' || a.kind === 'sbom' ? a.kind : a.kind === 'attestation' ? 'attestation' : 'artifact';
}

/** Every document of one artifact manifest, decoded for one image. */
async function itemsOf(store: Store, a: ArtifactRef, via: Digest[], img: Image): Promise<AttachedItem[]> {
  const base = (): AttachedItem => ({
    kind: baseKind(a), how: a.attachedBy ? HOW[a.attachedBy]! : 'unknown', manifest: a.digest, name: a.name, subject: a.subject, via,
    mediaType: a.mediaType, artifactType: a.artifactType, member: a.member, digest: a.digest, size: -1,
    annotations: {}, created: null, predicateType: null, provenance: null, sbom: null, signature: null, problems: [], evidence: null,
  });
  let m: unknown;
  try {
    const bytes = await readDoc(store, a.member, -1);
    m = parseJsonBytes(bytes, 'the artifact manifest');
  } catch (e) {
    const it = base();
    it.problems.push(e instanceof Error ? e.message : String(e));
    return [it];
  }
  const man = isRecord(m) ? m : {};
  const mAnn = annotationsOf(man.annotations);
  const layers = Array.isArray(man.layers) ? man.layers : Array.isArray(man.blobs) ? man.blobs : [];
  if (layers.length === 0) {
    const it = base();
    it.annotations = mAnn;
    it.created = mAnn[CREATED] ?? null;
    return [it];
  }
  const out: AttachedItem[] = [];
  for (const l of layers) {
    const it = base();
    const ld = isRecord(l) ? l : {};
    it.mediaType = str(ld.mediaType) ?? '';
    it.digest = isDigest(ld.digest) ? ld.digest : null;
    it.size = typeof ld.size === 'number' ? ld.size : -1;
    it.annotations = { ...mAnn, ...annotationsOf(ld.annotations) };
    it.created = mAnn[CREATED] ?? null;
    const pt = it.annotations['in-toto.io/predicate-type'] ?? it.annotations.predicateType;
    if (pt) {
      it.predicateType = pt;
      it.kind = kindOfPredicate(pt);
    }
    try {
      await decodeLayer(store, it, ld, img);
    } catch (e) {
      it.problems.push(e instanceof Error ? e.message : String(e));
    }
    out.push(it);
  }
  return out;
}

/**
 * skopeo/containers-image `dir:` signatures: `signature-N` beside manifest.json
 * (the top manifest), `<hex>.signature-N` for an instance of a list.
 */
async function signatureFiles(store: Store, img: Image): Promise<AttachedItem[]> {
  const out: AttachedItem[] = [];
  const mhex = img.manifestDigest ? hexOf(img.manifestDigest) : null;
  const topIsImage = store.member('manifest.json') !== undefined && mhex !== null
    && (await readDoc(store, 'manifest.json', -1).then((b) => sha256(b) === img.manifestDigest, () => false));
  const names = store.members().map((m) => m.name)
    .filter((n) => (topIsImage && /^signature-\d+$/.test(n)) || (mhex !== null && n.startsWith(`${mhex}.signature-`) && /\.signature-\d+$/.test(n)))
    .sort((x, y) => Number(/\d+$/.exec(x)![0]) - Number(/\d+$/.exec(y)![0]));
  for (const n of names) {
    const it: AttachedItem = {
      kind: 'signature', how: 'signature file', manifest: null, name: n, subject: img.manifestDigest, via: [],
      mediaType: 'application/pgp-signature', artifactType: null, member: n, digest: null, size: store.member(n)!.size,
      annotations: {}, created: null, predicateType: null, provenance: null, sbom: null, signature: null, problems: [], evidence: null,
    };
    try {
      const bytes = await readDoc(store, n, it.size);
      it.digest = sha256(bytes);
      const msg = decodeSignedMessage(bytes);
      const p = decodeSimpleSigning(msg.literal);
      const matches = img.manifestDigest ? p.manifestDigest === img.manifestDigest : null;
      it.signature = { scheme: 'gpg', signatures: msg.signatures, claimedDigest: p.manifestDigest, dockerReference: p.dockerReference, matchesSubject: matches };
      it.evidence = { scheme: 'gpg', signed: bytes, signatures: [], claimedDigest: p.manifestDigest };
      it.annotations = msg.issuer ? { 'openpgp.issuer': msg.issuer } : {};
      if (typeof msg.created === 'number') it.created = new Date(msg.created * 1000).toISOString();
      if (matches === false) it.problems.push(`the payload names ${p.manifestDigest}, not this image's manifest ${img.manifestDigest}`);
    } catch (e) {
      it.problems.push(e instanceof Error ? e.message : String(e));
    }
    out.push(it);
  }
  return out;
}

/** Index blobs by digest → the manifests they list (a cosign signature may name a multi-platform index). */
async function indexChildren(store: Store, d: Digest): Promise<Digest[]> {
  const member = memberOf(store, d);
  if (!member) return [];
  try {
    const v = parseJsonBytes(await readDoc(store, member, -1), 'index');
    if (!isRecord(v) || !Array.isArray(v.manifests)) return [];
    return v.manifests.flatMap((x) => (isRecord(x) && isDigest(x.digest) ? [x.digest] : []));
  } catch {
    return [];
  }
}

/** Tie every artifact to the images it is (transitively) about; name the ones that tie to none. */
export async function attachedFor(archive: { path: string; store: Store; images: Image[] }, artifacts: readonly ArtifactRef[], selected: Image[]): Promise<AttachedReport> {
  const byDigest = new Map(artifacts.map((a) => [a.digest, a]));
  const imageDigests = new Set(archive.images.flatMap((i) => (i.manifestDigest ? [i.manifestDigest] : [])));
  const indexCache = new Map<Digest, Digest[]>();
  // the root of each artifact's chain of subjects: an image manifest, an index, or nothing (with why)
  const roots = new Map<ArtifactRef, { root: Digest; via: Digest[] } | { why: string }>();
  for (const a of artifacts) {
    const via: Digest[] = [];
    const seen = new Set<Digest>([a.digest]);
    let cur: ArtifactRef = a;
    let res: { root: Digest; via: Digest[] } | { why: string } | null = null;
    while (res === null) {
      const s = cur.subject;
      if (!s) res = { why: 'it names no subject' };
      else if (imageDigests.has(s)) res = { root: s, via };
      else if (seen.has(s)) res = { why: `its subjects form a cycle (${[a.digest, ...via, s].map(shortId).join(' → ')}): some manifest is stored under a digest that is not its own` };
      else if (byDigest.has(s)) {
        seen.add(s);
        via.push(s);
        cur = byDigest.get(s)!;
      } else res = { root: s, via };
    }
    roots.set(a, res);
  }
  const images: ImageAttached[] = [];
  const attachedSomewhere = new Set<ArtifactRef>();
  for (const img of archive.images) {
    const mine = selected.includes(img);
    const items: AttachedItem[] = [];
    for (const a of artifacts) {
      const r = roots.get(a)!;
      if ('why' in r) continue;
      let hit = r.root === img.manifestDigest;
      if (!hit && !imageDigests.has(r.root)) {
        if (!indexCache.has(r.root)) indexCache.set(r.root, await indexChildren(archive.store, r.root));
        hit = img.manifestDigest !== null && indexCache.get(r.root)!.includes(img.manifestDigest);
      }
      if (!hit) continue;
      attachedSomewhere.add(a);
      if (mine) items.push(...(await itemsOf(archive.store, a, r.via, img)));
    }
    if (mine) {
      items.push(...(await signatureFiles(archive.store, img)));
      images.push({ image: img, items });
    }
  }
  const unattached = artifacts.flatMap((a) => {
    if (attachedSomewhere.has(a)) return [];
    const r = roots.get(a)!;
    return [{ artifact: a, why: 'why' in r ? r.why : `its subject ${shortId(r.root)} is not an image in this archive` }];
  });
  return { archive: archive.path, images, unattached };
}

/**
 * The document a user extracts: an SBOM or provenance predicate from its
 * in-toto statement (DSSE-wrapped or bare), else the blob as stored.
 */
export async function documentBytes(store: Store, item: AttachedItem): Promise<Buffer> {
  if (!item.digest || !store.member(item.member)) throw new SupplyProblem(`${item.kind} ${item.digest ?? item.member}: its blob is not in the archive`);
  const bytes = await readDoc(store, item.member, item.size);
  if (item.mediaType === SIMPLESIGNING_MEDIA_TYPE || item.how === 'signature file') return bytes;
  let v: unknown = parseJsonBytes(bytes, 'the document');
  if (item.mediaType === DSSE_MEDIA_TYPE) v = parseJsonBytes(decodeEnvelope(v).payload, 'the DSSE payload');
  if (isRecord(v) && typeof v._type === 'string' && v._type.startsWith('https://in-toto.io/Statement/')) {
    return Buffer.from(`${JSON.stringify(item.kind === 'provenance' ? v : decodeStatement(v).predicate, null, 2)}\n`);
  }
  return bytes;
}

/** Provenance build arguments that look like secrets (audit's secret-build-arg), values masked as attached shows them. */
export function provenanceSecrets(items: readonly AttachedItem[]): { where: string; name: string; masked: string }[] {
  return items.flatMap((i) => (i.provenance?.secretBuildArgs ?? []).map((name) => ({
    where: `provenance ${shortId(i.digest)} (${i.how})`, name, masked: i.provenance!.buildArgs[name] ?? '',
  })));
}

/** The documents attached to one image (for audit, ci and report: what `attached` lists for it). */
export async function attachedItems(archive: { path: string; store: Store; images: Image[]; artifacts: readonly ArtifactRef[] }, img: Image): Promise<AttachedItem[]> {
  return (await attachedFor(archive, archive.artifacts, [img])).images[0]?.items ?? [];
}
