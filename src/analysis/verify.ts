import { namedDigest, type Digest } from '../digest.js';
import type { Agreement, ArchiveDeclared, BlobClaim, Image, Measured } from '../image/model.js';

/**
 * `verify`: compare everything an archive declares about its bytes with what
 * the bytes are. Pure: the I/O side (src/app/verify.ts) measures, this judges.
 */
export interface Check {
  /** what was compared: `layer digest`, `config size`, `manifest.json agrees with index.json`, … */
  check: string;
  /** the member (or document entry) it is about */
  subject: string;
  expected: string | number | null;
  actual: string | number | null;
  ok: boolean;
}

/** Checks of one image; `id: null` holds the archive-wide ones (links, names, nested indexes). */
export interface ImageVerdict {
  id: Digest | null;
  ok: boolean;
  checks: Check[];
}

/** Where a referenced name's bytes are: the member after links, or why there are none. */
export type Located = { member: string; problem?: undefined } | { member?: undefined; problem: string; missing: boolean };

/**
 * One layer pass: its diffID, or why it could not be read — or both, for an
 * uncompressed blob whose tar is broken (its bytes still hash to a diffID).
 */
export interface LayerResult {
  diffId?: Digest;
  error?: string;
}

/** What the I/O side found. Maps are keyed by member name (the member holding the bytes, after links). */
export interface VerifyFacts {
  locate(name: string): Located;
  /** sha256 and size of members: JSON as the formats read them, layers from their pass, the rest hashed */
  measured: ReadonlyMap<string, Measured>;
  layers: ReadonlyMap<string, LayerResult>;
}

/** Checks whose failure means "could not read" rather than "does not match". */
export const UNREADABLE_CHECKS: readonly string[] = ['readable', 'layer readable'];

const fail = (check: string, subject: string, expected: Check['expected'], actual: Check['actual']): Check =>
  ({ check, subject, expected, actual, ok: false });
const compare = (check: string, subject: string, expected: Check['expected'], actual: Check['actual']): Check =>
  ({ check, subject, expected, actual, ok: expected === actual });

/** Digest and size checks for one claim, or why the claimed blob is not there. */
export function claimChecks(c: BlobClaim, facts: VerifyFacts): Check[] {
  const at = facts.locate(c.member);
  if (at.problem !== undefined) return [fail(`${c.kind} present`, c.member, `declared by ${c.by}`, at.problem)];
  const m = facts.measured.get(at.member);
  const out = [compare(`${c.kind} digest`, c.member, c.digest, m?.digest ?? null)];
  if (c.size !== null) out.push(compare(`${c.kind} size`, c.member, c.size, m?.size ?? null));
  // a manifest or index states its own media type: the descriptor pointing at it must say the same
  if (c.mediaType !== undefined && m?.mediaType !== undefined) {
    out.push(compare(`${c.kind} media type`, c.member, c.mediaType || '(none)', m.mediaType));
  }
  return out;
}

function agreementCheck(a: Agreement): Check {
  return compare(a.check, a.subject, a.expected, a.actual);
}

/** A content-addressed name is a claim too, unless a descriptor already claims the same. */
function nameClaim(kind: BlobClaim['kind'], member: string, claims: readonly BlobClaim[]): BlobClaim | null {
  const d = namedDigest(member);
  if (!d || claims.some((c) => c.member === member && c.digest === d)) return null;
  return { kind, member, by: 'its name', digest: d, size: null };
}

function dedupe(checks: Check[]): Check[] {
  const seen = new Set<string>();
  return checks.filter((c) => {
    const k = JSON.stringify([c.check, c.subject, c.expected]);
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Every check of one image: its manifest, config and layers against their descriptors, names and diffIDs. */
export function verifyImage(img: Image, facts: VerifyFacts): ImageVerdict {
  const d = img.declared;
  const claims = [...(d?.claims ?? [])];
  const checks: Check[] = [];
  const fromConfig = d?.diffIds !== 'computed';

  // names: `<hex>.json` is the image ID, `blobs/sha256/<hex>` and skopeo's `<hex>` are the blob's digest
  if (d && fromConfig) {
    const c = nameClaim('config', d.configMember, claims);
    if (c) checks.push(compare('image ID', d.configMember, c.digest, img.id));
  }
  const named: BlobClaim[] = [];
  if (d?.manifestMember) {
    const c = nameClaim('manifest', d.manifestMember, claims);
    if (c) named.push(c);
  }
  for (const l of img.layers) {
    for (const name of new Set([d?.layerRefs[l.index] ?? l.member, l.member])) {
      const c = nameClaim('layer', name, claims);
      if (c) named.push(c);
    }
  }
  for (const c of [...claims, ...named]) checks.push(...claimChecks(c, facts));

  if (fromConfig && d) {
    const declared = Array.isArray(img.config.rootfs?.diff_ids) ? img.config.rootfs.diff_ids.length : 0;
    checks.push(compare('layer count', d.configMember, declared, img.layers.length));
  }
  for (const l of img.layers) {
    const r = facts.layers.get(l.member);
    if (!r) continue;
    if (r.error !== undefined) checks.push(fail('layer readable', l.member, 'a readable layer', r.error));
    if (r.diffId !== undefined && fromConfig) checks.push(compare('layer diffID', l.member, l.diffId, r.diffId));
  }
  for (const a of d?.agreements ?? []) checks.push(agreementCheck(a));

  const all = dedupe(checks);
  return { id: img.id, ok: all.every((c) => c.ok), checks: all };
}

/** What the store itself shows: link members, names used twice, names that climb out. */
export interface StoreFacts {
  links: { member: string; target: string; problem: string | null }[];
  duplicates: readonly string[];
  unsafeNames: readonly string[];
}

/** Archive-wide checks: nested indexes and artifacts' blobs, blobs missing, links, member names, image count. */
export function verifyArchiveWide(declared: ArchiveDeclared, facts: VerifyFacts, store: StoreFacts, imageCount: number): Check[] {
  const artifacts = declared.artifacts.length;
  const checks: Check[] = [];
  for (const c of declared.claims) checks.push(...claimChecks(c, facts));
  for (const m of declared.missing) {
    if (!m.byDesign) checks.push(fail('manifest present', m.member, `declared by ${m.by}`, 'member is missing'));
  }
  for (const a of declared.agreements) checks.push(agreementCheck(a));
  for (const l of store.links) {
    checks.push(l.problem === null
      ? compare('link', l.member, 'a member inside the archive', 'a member inside the archive')
      : fail('link', l.member, 'a member inside the archive', `${l.target}: ${l.problem}`));
  }
  for (const n of new Set(store.duplicates)) checks.push(fail('member name', n, 'one member of this name', 'several'));
  for (const n of store.unsafeNames) checks.push(fail('member name', n, 'a name inside the archive', n.startsWith('/') ? 'is absolute' : 'climbs out with ..'));
  // an archive of artifacts only (a helm chart) holds nothing wrong; one holding nothing at all does
  if (imageCount === 0 && artifacts === 0) checks.push(fail('images', '(archive)', 'at least one image or artifact', 0));
  return dedupe(checks);
}

/**
 * `verify` exit status: a mismatch outranks "could not read", which outranks
 * "verified" — a reviewer must hear first that something contradicts itself.
 */
export type VerifyStatus = 'verified' | 'mismatch' | 'unreadable';

export function statusOf(checks: readonly Check[]): VerifyStatus {
  const failed = checks.filter((c) => !c.ok);
  if (failed.some((c) => !UNREADABLE_CHECKS.includes(c.check))) return 'mismatch';
  return failed.length ? 'unreadable' : 'verified';
}

/**
 * Blobs whose content was compared with a digest something declares: distinct
 * members (after links) of the digest checks, the image ID (a config's name)
 * and diffID checks (a docker-archive layer named by nothing else).
 */
export function blobsChecked(verdicts: readonly ImageVerdict[], locate: VerifyFacts['locate']): number {
  const seen = new Set<string>();
  for (const v of verdicts) {
    for (const c of v.checks) {
      if (!/ digest$|^image ID$|^layer diffID$/.test(c.check)) continue;
      const at = locate(c.subject);
      seen.add(at.member ?? c.subject);
    }
  }
  return seen.size;
}
