import { idPrefix, shortId, type Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import { isEmptyLayer } from './empty-layer.js';
import { namesOf, type ImageSummary } from './summary.js';

/** Which of a layer's identities the query named. */
export type IdKind = 'diffID' | 'chainID' | 'digest';

export interface RelationMatch {
  image: ImageSummary;
  layerIndex: number;
  /** every identity of this layer that equals the resolved id (layer 0's chainID is its diffID) */
  matchedOn: IdKind[];
  diffId: Digest;
  chainId: Digest;
  digest: Digest | null;
  /**
   * The whole chain up to this layer (its chainID) is the same as in at least one
   * other matching image: shared ancestry, not just the same content.
   */
  sameChain: boolean;
  /** 1-based group of matches sharing one chainID, largest group first */
  chainGroup: number;
  /** a well-known empty tar: unrelated images share it, so the match says little */
  weak: boolean;
}

export interface RelationResult {
  query: string;
  /** the full id the query resolved to */
  id: Digest;
  matches: RelationMatch[];
}

interface Occurrence { image: ImageSummary; layerIndex: number; kind: IdKind }

function kindsOf(l: ImageSummary['layers'][number], id: Digest): IdKind[] {
  const k: IdKind[] = [];
  if (l.diffId === id) k.push('diffID');
  if (l.chainId === id) k.push('chainID');
  if (l.digest === id) k.push('digest');
  return k;
}

export function describeSummary(s: ImageSummary): string {
  const names = namesOf(s);
  return `${names.length ? names.join(', ') : '<none>'} ${shortId(s.id)} ${s.platform} (${s.archive})`;
}

const MAX_CANDIDATES = 25;

/**
 * Resolve a layer id: a diffID, chainID or blob digest, with or without
 * `sha256:`, full or a unique prefix. Several distinct ids under one prefix is
 * E_AMBIGUOUS with the candidates; none is E_NOT_FOUND.
 */
export function resolveLayerId(query: string, images: readonly ImageSummary[]): Digest {
  const prefix = idPrefix(query.trim());
  if (!prefix) throw new LayerdigError('E_USAGE', `"${query}" is not a layer id: give a diffID, chainID or blob digest (hex, with or without sha256:), or a prefix of one`);
  const found = new Map<Digest, Occurrence>();
  const add = (id: Digest | null, image: ImageSummary, layerIndex: number, kind: IdKind) => {
    if (id && id.startsWith(`sha256:${prefix}`) && !found.has(id)) found.set(id, { image, layerIndex, kind });
  };
  for (const img of images) {
    img.layers.forEach((l, i) => {
      add(l.diffId, img, i, 'diffID');
      add(l.chainId, img, i, 'chainID');
      add(l.digest, img, i, 'digest');
    });
  }
  if (found.size === 0) {
    throw new LayerdigError('E_NOT_FOUND', `no layer has a diffID, chainID or digest starting with ${prefix} (in ${images.length} images)`);
  }
  if (found.size > 1) {
    const all = [...found.entries()].sort(([a], [b]) => a.localeCompare(b));
    const shown = all.slice(0, MAX_CANDIDATES).map(([id, o]) => `${id}  ${o.kind} of layer ${o.layerIndex} of ${describeSummary(o.image)}`);
    if (all.length > MAX_CANDIDATES) shown.push(`… and ${all.length - MAX_CANDIDATES} more`);
    throw new LayerdigError('E_AMBIGUOUS', `"${query}" is a prefix of ${found.size} different layer ids: give more digits`, shown);
  }
  return [...found.keys()][0]!;
}

const imageKey = (s: ImageSummary) => `${s.archive}\0${s.id}\0${s.platform}`;

/** Every layer of every image whose diffID, chainID or digest is the query's id. */
export function relation(query: string, images: readonly ImageSummary[]): RelationResult {
  const id = resolveLayerId(query, images);
  const raw: Omit<RelationMatch, 'sameChain' | 'chainGroup'>[] = [];
  for (const img of images) {
    img.layers.forEach((l, i) => {
      const matchedOn = kindsOf(l, id);
      if (matchedOn.length) {
        raw.push({ image: img, layerIndex: i, matchedOn, diffId: l.diffId, chainId: l.chainId, digest: l.digest, weak: isEmptyLayer(l) });
      }
    });
  }
  // chain groups: which distinct images hold the layer on the same chain
  const imagesByChain = new Map<Digest, Set<string>>();
  for (const m of raw) {
    const s = imagesByChain.get(m.chainId) ?? new Set<string>();
    s.add(imageKey(m.image));
    imagesByChain.set(m.chainId, s);
  }
  const order = [...imagesByChain.entries()]
    .sort(([ca, a], [cb, b]) => b.size - a.size || ca.localeCompare(cb))
    .map(([c]) => c);
  const group = new Map(order.map((c, i) => [c, i + 1]));
  const matches: RelationMatch[] = raw.map((m) => ({
    ...m,
    sameChain: [...imagesByChain.get(m.chainId)!].some((k) => k !== imageKey(m.image)),
    chainGroup: group.get(m.chainId)!,
  }));
  matches.sort((a, b) => a.chainGroup - b.chainGroup || a.image.archive.localeCompare(b.image.archive)
    || namesOf(a.image).join().localeCompare(namesOf(b.image).join()) || a.image.id.localeCompare(b.image.id) || a.layerIndex - b.layerIndex);
  return { query, id, matches };
}
