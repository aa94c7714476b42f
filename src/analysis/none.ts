import { idPrefix, type Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import { EMPTY_TAR_DIFF_IDS } from './empty-layer.js';
import { intermediates } from './image-filter.js';
import { describeSummary } from './relation.js';
import { isTagged, namesOf, type ImageSummary } from './summary.js';

/** A tagged image an untagged one most likely was (or was built from). */
export interface NoneCandidate {
  /** the occurrence shown: the one in the subject's archive if any, else the first by archive path */
  image: ImageSummary;
  /** an image with the very same ID carries a name: definitive */
  sameId: boolean;
  /** leading layers in common (equal chainIDs): ROOTFS LAYERS */
  sharedPrefix: number;
  /** diffIDs in common as a set, well-known empty layers not counted */
  sharedSet: number;
  samePlatform: boolean;
  /** found tagged in the subject's own archive */
  sameArchive: boolean;
  /** Docker vs OCI media types as the subject (a converted copy has another ID but the same layers) */
  sameMediaFamily: boolean;
  /** every name this image ID carries across the inputs */
  names: string[];
  /** every archive where this image ID carries a name */
  archives: string[];
}

export interface NoneResult {
  image: ImageSummary;
  candidates: NoneCandidate[];
}

export function sharedPrefix(a: ImageSummary, b: ImageSummary): number {
  const n = Math.min(a.layers.length, b.layers.length);
  let i = 0;
  while (i < n && a.layers[i]!.chainId === b.layers[i]!.chainId) i++;
  return i;
}

const diffIdSets = new WeakMap<ImageSummary, Set<string>>();
function diffIdSet(s: ImageSummary): Set<string> {
  let set = diffIdSets.get(s);
  if (!set) diffIdSets.set(s, (set = new Set(s.layers.map((l) => l.diffId))));
  return set;
}

/** diffIDs in common as a set, well-known empty layers not counted. */
export function sharedSet(a: ImageSummary, b: ImageSummary): number {
  const theirs = diffIdSet(b);
  let n = 0;
  for (const d of diffIdSet(a)) if (!EMPTY_TAR_DIFF_IDS.has(d) && theirs.has(d)) n++;
  return n;
}

const byArchive = (a: ImageSummary, b: ImageSummary) => a.archive.localeCompare(b.archive);

/** Newest first; images without a creation time last. */
function newer(a: string | null, b: string | null): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  return Date.parse(b) - Date.parse(a) || b.localeCompare(a);
}

/**
 * Rank the tagged images of `pool` as the likely identity of `subject`: an
 * identical image ID carrying a name first (definitive), then by leading
 * layers in common (the chain prefix), then by diffIDs in common as a set,
 * then same platform. Remaining ties: found in the same archive, then same
 * media types (Docker or OCI), then newer.
 * Images sharing nothing are not candidates.
 */
export function rankCandidates(subject: ImageSummary, pool: readonly ImageSummary[], top = 3): NoneResult {
  return rankIn(subject, taggedGroups(pool), top);
}

/** Tagged images grouped by image ID and platform (one candidate each), archives sorted. */
function taggedGroups(pool: readonly ImageSummary[]): ImageSummary[][] {
  const groups = new Map<string, ImageSummary[]>();
  for (const s of pool) {
    if (!isTagged(s)) continue;
    const k = `${s.id}\0${s.platform}`;
    const g = groups.get(k) ?? [];
    g.push(s);
    groups.set(k, g);
  }
  return [...groups.values()].map((g) => g.sort(byArchive));
}

function rankIn(subject: ImageSummary, groups: ImageSummary[][], top: number): NoneResult {
  const candidates: NoneCandidate[] = [];
  for (const all of groups) {
    const g = all.filter((s) => s !== subject);
    if (g.length === 0) continue;
    const local = g.find((s) => s.archive === subject.archive);
    const rep = local ?? g[0]!;
    const c: NoneCandidate = {
      image: rep,
      sameId: rep.id === subject.id,
      sharedPrefix: sharedPrefix(subject, rep),
      sharedSet: sharedSet(subject, rep),
      samePlatform: rep.platform === subject.platform,
      sameArchive: local !== undefined,
      sameMediaFamily: g.some((s) => s.mediaFamily !== null && s.mediaFamily === subject.mediaFamily),
      names: [...new Set(g.flatMap(namesOf))].sort(),
      archives: [...new Set(g.map((s) => s.archive))],
    };
    if (c.sameId || c.sharedPrefix > 0 || c.sharedSet > 0) candidates.push(c);
  }
  candidates.sort((a, b) => Number(b.sameId) - Number(a.sameId)
    || b.sharedPrefix - a.sharedPrefix
    || b.sharedSet - a.sharedSet
    || Number(b.samePlatform) - Number(a.samePlatform)
    || Number(b.sameArchive) - Number(a.sameArchive)
    || Number(b.sameMediaFamily) - Number(a.sameMediaFamily)
    || newer(a.image.created, b.image.created)
    || a.names.join().localeCompare(b.names.join())
    || a.image.id.localeCompare(b.image.id));
  return { image: subject, candidates: candidates.slice(0, Math.max(0, top)) };
}

/**
 * The occurrences of one image ID (full or unique prefix) in `pool`: the
 * untagged ones when there are any, else all of them.
 */
export function subjectsFor(query: string, pool: readonly ImageSummary[]): ImageSummary[] {
  const prefix = idPrefix(query.trim());
  if (!prefix) throw new LayerdigError('E_USAGE', `"${query}" is not an image ID (hex, with or without sha256:, full or a unique prefix)`);
  const hits = pool.filter((s) => s.id.startsWith(`sha256:${prefix}`));
  const ids = new Set<Digest>(hits.map((s) => s.id));
  if (ids.size === 0) throw new LayerdigError('E_NOT_FOUND', `no image ID starts with ${prefix} (in ${pool.length} images)`);
  if (ids.size > 1) {
    const firsts = [...ids].sort().map((id) => describeSummary(hits.find((s) => s.id === id)!));
    throw new LayerdigError('E_AMBIGUOUS', `"${query}" is a prefix of ${ids.size} image IDs: give more digits`, firsts);
  }
  const untagged = hits.filter((s) => !isTagged(s));
  return (untagged.length ? untagged : hits).sort(byArchive);
}

/** `none <IMAGE-ID>`: one result per occurrence of that image. */
export function noneFor(query: string, pool: readonly ImageSummary[], top = 3): NoneResult[] {
  const groups = taggedGroups(pool);
  return subjectsFor(query, pool).map((s) => rankIn(s, groups, top));
}

/** `none --all`: every untagged image found, in archive order. */
export function noneAll(pool: readonly ImageSummary[], top = 3): NoneResult[] {
  const groups = taggedGroups(pool);
  // as docker's dangling=true: an untagged build parent of another image is an intermediate, not a lost tag
  const perArchive = new Map<string, ImageSummary[]>();
  for (const s of pool) {
    const list = perArchive.get(s.archive);
    if (list) list.push(s); else perArchive.set(s.archive, [s]);
  }
  const hidden = new Set([...perArchive.values()].flatMap((ss) => [...intermediates(ss)]));
  return pool.filter((s) => !isTagged(s) && !hidden.has(s)).map((s) => rankIn(s, groups, top));
}
