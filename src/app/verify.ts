import type { Readable } from 'node:stream';
import type { Archive } from './archive.js';
import { openArchive } from './archive.js';
import { namedDigest, sha256Stream, shortId, type Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import type { BlobClaim, Measured } from '../image/model.js';
import { readLayerSettled, type SettledLayer } from '../layer/pass.js';
import { settleRange } from '../layer/range-pass.js';
import { HashRing } from '../layer/hash-ring.js';
import { limits } from '../limits.js';
import { openStore } from '../store/open.js';
import { isBlobOf, isFormatMetadata } from '../format/formats.js';
import { verifyDataRoot } from './verify-data-root.js';
import { verifyContainersStorage } from './verify-containers-storage.js';
import { followLinks, type Store } from '../store/store.js';
import {
  blobsChecked, statusOf, verifyArchiveWide, verifyImage, type Check, type ImageVerdict, type LayerResult, type Located,
  type StoreFacts, type VerifyFacts, type VerifyStatus,
} from '../analysis/verify.js';

/**
 * `verify`, the I/O side: measure every blob the archive's documents declare
 * (layers in one settled pass each, other blobs hashed), then let
 * analysis/verify.ts judge.
 */
export interface VerifyReport {
  archive: string;
  ok: boolean;
  status: VerifyStatus;
  /** per image; an entry with `id: null` holds archive-wide checks */
  images: ImageVerdict[];
  /** artifacts the archive holds (their blobs' checks are archive-wide) */
  artifacts: number;
  /** distinct blobs whose digest was compared with what a document declares */
  blobs: number;
  notes: string[];
}

const MAX_UNREFERENCED_NOTES = 20;

const hashStream = (body: Readable): Promise<Measured> => sha256Stream(body as AsyncIterable<Buffer>);

function locator(store: Store): (name: string) => Located {
  const cache = new Map<string, Located>();
  return (name) => {
    let r = cache.get(name);
    if (!r) {
      const end = followLinks(store, name);
      r = end.problem !== undefined ? { problem: end.problem, missing: end.missing === true }
        : end.member.type !== 'file' ? { problem: `is a ${end.member.type}, not a regular file`, missing: false }
          : { member: end.member.name };
      cache.set(name, r);
    }
    return r;
  };
}

function storeFacts(store: Store): StoreFacts {
  const links: StoreFacts['links'] = [];
  for (const m of store.members()) {
    if (m.type !== 'symlink' && m.type !== 'hardlink') continue;
    const end = followLinks(store, m.name);
    links.push({ member: m.name, target: m.linkname ?? '', problem: end.problem ?? null });
  }
  return { links, duplicates: store.duplicates ?? [], unsafeNames: store.unsafeNames ?? [] };
}

/** What a layer pass (settled: read to the end) says of a layer member, recorded for the verdicts. */
function recordLayer(f: { store: Store; layers: Map<string, LayerResult>; measured: Map<string, Measured>; notes: string[] }, name: string, r: SettledLayer): void {
  const { store, layers, measured, notes } = f;
  // a tar written from an unpacked directory (no tar-split) is readable, but not the bytes its diffID was taken of
  if (store.diffIdUnchecked?.(name)) {
    layers.set(name, r.ok ? {} : { error: r.error.message });
    if (r.ok) notes.push(`${name.replace(/\.tar$/, '')}: read from an unpacked directory: its diffID cannot be checked (no tar-split), only that it is readable`);
    return;
  }
  if (r.ok) {
    layers.set(name, { diffId: r.listing.diffId });
    measured.set(name, { digest: r.listing.digest, size: r.listing.compressedSize });
  } else {
    // an uncompressed blob is its own diff: its digest is the diffID even when the tar inside is broken
    layers.set(name, { error: r.error.message, ...(r.digest && r.compression === 'none' ? { diffId: r.digest } : {}) });
    if (r.digest) measured.set(name, { digest: r.digest, size: r.compressedSize });
  }
}

/** Read every layer member that sits in a file with settleRange; the names it read. */
async function settleLocated(store: Store, members: Set<string>, settled: (name: string, r: SettledLayer) => void): Promise<Set<string>> {
  const done = new Set<string>();
  if (!store.locate) return done;
  const ring = HashRing.acquire();
  try {
    for (const name of members) {
      const at = store.locate(name);
      const r = at ? await settleRange(at, { where: store.storage(name), limits: limits(), ...(ring ? { ring } : {}) }) : null;
      if (!r) continue;
      settled(name, r);
      done.add(name);
    }
  } finally {
    ring?.release();
  }
  return done;
}

/** Verify an opened archive. */
export async function verifyArchive(ar: Archive): Promise<VerifyReport> {
  if (ar.format === 'docker-data-root') return verifyDataRoot(ar);
  if (ar.format === 'containers-storage') return verifyContainersStorage(ar);
  const { store } = ar;
  const locate = locator(store);
  const measured = new Map<string, Measured>();
  const layers = new Map<string, LayerResult>();
  const notes = [...ar.notes];

  for (const img of ar.images) for (const [m, v] of Object.entries(img.declared?.measured ?? {})) measured.set(m, v);
  for (const [m, v] of Object.entries(ar.declared.measured)) measured.set(m, v);

  const claims: BlobClaim[] = [...ar.declared.claims, ...ar.images.flatMap((i) => i.declared?.claims ?? [])];
  const layerMembers = new Set(ar.images.flatMap((i) => i.layers.map((l) => l.member)));
  const toHash = new Set<string>();
  for (const c of claims) {
    const at = locate(c.member);
    if (at.member !== undefined && !measured.has(at.member) && !layerMembers.has(at.member)) toHash.add(at.member);
  }

  const archiveChecks: Check[] = [];
  const settled = (name: string, r: SettledLayer) => recordLayer({ store, layers, measured, notes }, name, r);
  try {
    // layers whose bytes sit in a file: the synchronous pass (range-pass.ts), hashing on the hash thread
    const inFiles = await settleLocated(store, layerMembers, settled);
    await store.each([...layerMembers, ...toHash].filter((n) => !inFiles.has(n)), async (name, body) => {
      if (!layerMembers.has(name)) {
        measured.set(name, await hashStream(body));
        return;
      }
      settled(name, await readLayerSettled(body, { where: store.storage(name) }));
    });
  } catch (e) {
    if (!(e instanceof LayerdigError)) throw e;
    archiveChecks.push({ check: 'readable', subject: subjectOf(e), expected: 'a readable archive', actual: e.message, ok: false });
  }

  // an image the archive declares but that could not be built (its siblings could) fails, as an unopened archive does
  for (const e of ar.errors) {
    archiveChecks.push({
      check: e.code === 'E_INTEGRITY' ? 'consistent' : 'readable',
      subject: subjectOf(e),
      expected: e.code === 'E_INTEGRITY' ? 'an archive that agrees with itself' : 'a readable archive',
      actual: e.message,
      ok: false,
    });
  }
  const facts: VerifyFacts = { locate, measured, layers };
  const verdicts = ar.images.map((img) => verifyImage(img, facts));
  archiveChecks.push(...verifyArchiveWide(ar.declared, facts, storeFacts(store), ar.images.length));
  const images: ImageVerdict[] = archiveChecks.length
    ? [{ id: null, ok: archiveChecks.every((c) => c.ok), checks: archiveChecks }, ...verdicts]
    : verdicts;

  for (const img of ar.images) {
    if (img.declared?.diffIds === 'computed') {
      notes.push(`image ${shortId(img.id)}: nothing in the archive declares its diffIDs (they are computed by hashing), so only its layers' readability and declared blob digests are checked`);
    }
  }
  notes.push(...unreferencedNotes(ar, claims, measured, locate));

  const status = statusOf(images.flatMap((i) => i.checks));
  return {
    archive: ar.path, ok: status === 'verified', status, images,
    artifacts: ar.declared.artifacts.length, blobs: blobsChecked(images, locate), notes: [...new Set(notes)],
  };
}

function unreferencedNotes(ar: Archive, claims: BlobClaim[], measured: Map<string, Measured>, locate: (n: string) => Located): string[] {
  const referenced = new Set<string>(ar.declared.referenced);
  const add = (n: string | null | undefined) => {
    if (!n) return;
    referenced.add(n);
    const at = locate(n);
    if (at.member !== undefined) referenced.add(at.member);
  };
  for (const c of claims) add(c.member);
  for (const m of measured.keys()) add(m);
  for (const img of ar.images) {
    add(img.declared?.configMember);
    add(img.declared?.manifestMember);
    for (const r of img.declared?.layerRefs ?? []) add(r);
    for (const l of img.layers) add(l.member);
  }
  const loose = ar.store.members().filter((m) => m.type === 'file' && isBlobOf(ar.format, m.name) && !referenced.has(m.name));
  const out = loose.slice(0, MAX_UNREFERENCED_NOTES).map((m) => `${m.name} (${m.size} bytes) is in the archive but nothing in it references it`);
  if (loose.length > MAX_UNREFERENCED_NOTES) out.push(`… and ${loose.length - MAX_UNREFERENCED_NOTES} more unreferenced blobs`);
  return out;
}

/** The member an error sentence names (`archive!member: …`), or the archive itself. */
function subjectOf(e: LayerdigError): string {
  return e.member ?? '(archive)';
}

/**
 * An archive that did not open. If it is a contradiction (a referenced member
 * missing, diff_ids and layers counted differently) that is a mismatch; so is
 * any content-addressed member (`blobs/sha256/<hex>`, `<hex>.json`, …) whose
 * bytes do not hash to its name, which often explains why a document would
 * not parse. Anything else is "could not read".
 */
export async function verifyUnopened(path: string, err: LayerdigError): Promise<VerifyReport> {
  const checks: Check[] = [{
    check: err.code === 'E_INTEGRITY' ? 'consistent' : 'readable',
    subject: subjectOf(err),
    expected: err.code === 'E_INTEGRITY' ? 'an archive that agrees with itself' : 'a readable archive',
    actual: err.message,
    ok: false,
  }];
  if (err.code === 'E_BAD_ARCHIVE' || err.code === 'E_INTEGRITY') checks.push(...(await nameChecks(path)));
  const status = statusOf(checks);
  const images = [{ id: null, ok: false, checks }];
  return { archive: path, ok: false, status, images, artifacts: 0, blobs: blobsChecked(images, (n) => ({ member: n })), notes: [] };
}

/** Hash every content-addressed member against its name; nothing if the store itself cannot be read. */
async function nameChecks(path: string): Promise<Check[]> {
  let store: Store;
  try {
    store = await openStore(path, { isMetadata: isFormatMetadata });
  } catch {
    return [];
  }
  try {
    const named = new Map<string, Digest>();
    for (const m of store.members()) {
      const d = m.type === 'file' ? namedDigest(m.name) : null;
      if (d) named.set(m.name, d);
    }
    const out: Check[] = [];
    await store.each([...named.keys()], async (name, body) => {
      const m = await hashStream(body);
      out.push({ check: 'blob digest', subject: name, expected: named.get(name)!, actual: m.digest, ok: m.digest === named.get(name) });
    });
    return out;
  } catch {
    return [];
  } finally {
    store.close();
  }
}

/** Open and verify one path (tests and the fuzz harness use this directly). */
export async function verifyPath(path: string): Promise<VerifyReport> {
  let ar: Archive;
  try {
    ar = await openArchive(path);
  } catch (e) {
    if (e instanceof LayerdigError) return verifyUnopened(path, e);
    throw e;
  }
  try {
    return await verifyArchive(ar);
  } finally {
    ar.close();
  }
}

/**
 * What `verify` says about one image of a verified archive: its own checks
 * and the archive-wide ones (links, names, indexes), which concern every image.
 */
export function verdictFor(r: VerifyReport, imageId: Digest): { ok: boolean; status: VerifyStatus; checks: Check[]; notes: string[] } {
  const checks = r.images.filter((i) => i.id === null || i.id === imageId).flatMap((i) => i.checks);
  return { ok: checks.every((c) => c.ok), status: statusOf(checks), checks, notes: r.notes };
}
