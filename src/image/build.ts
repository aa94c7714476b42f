import { isDigest, type Digest } from '../digest.js';
import { badArchive, errorAt } from '../errors.js';
import { chainIds } from './chain.js';
import { pairHistory } from './history.js';
import type { Image, ImageSource, Layer, Platform, RawConfig, StoreRecords } from './model.js';

/** The config's `rootfs.diff_ids`, validated. */
export function configDiffIds(config: RawConfig, archive: string, member: string): Digest[] {
  const ids = config.rootfs?.diff_ids;
  if (ids === undefined || ids === null) return [];
  if (!Array.isArray(ids)) throw badArchive(archive, member, 'rootfs.diff_ids is not a list');
  return ids.map((d, i) => {
    const s = typeof d === 'string' ? d.toLowerCase() : '';
    if (!isDigest(s)) throw badArchive(archive, member, `rootfs.diff_ids[${i}] is not a sha256 digest`);
    return s;
  });
}

export function configPlatform(config: RawConfig, fallback: Platform | null): Platform {
  const p: Platform = {
    os: typeof config.os === 'string' ? config.os : fallback?.os ?? '',
    architecture: typeof config.architecture === 'string' ? config.architecture : fallback?.architecture ?? '',
  };
  const variant = typeof config.variant === 'string' ? config.variant : fallback?.variant;
  if (variant) p.variant = variant;
  return p;
}

/**
 * Derive the full Image from what a format found. `diffIds` are the config's,
 * or (for formats without them) the ones computed by hashing each layer.
 */
export function buildImage(src: ImageSource, diffIds: readonly Digest[], storage: (member: string) => string): Image {
  if (diffIds.length !== src.layers.length) {
    throw errorAt('E_INTEGRITY', src.archive, src.configMember,
      `the config lists ${diffIds.length} diffIDs but the manifest has ${src.layers.length} layers`);
  }
  const chains = chainIds(diffIds);
  const layers: Layer[] = src.layers.map((l, i) => ({
    index: i,
    diffId: diffIds[i]!,
    chainId: chains[i]!,
    // an uncompressed blob is the diff itself, so its digest is the diffID (verify checks it)
    digest: l.digest ?? (l.compression === 'none' ? diffIds[i]! : null),
    mediaType: l.mediaType,
    compression: l.compression,
    compressedSize: l.size,
    member: l.member,
    storage: storage(l.member),
    ...(l.source ? { source: l.source } : {}),
    ...(l.cacheId ? { cacheId: l.cacheId } : {}),
    ...(l.recordedSize !== undefined ? { recordedSize: l.recordedSize } : {}),
  }));
  const rawHistory = Array.isArray(src.config.history) ? src.config.history : src.v1History ?? [];
  const history = pairHistory(rawHistory, layers.length);
  return {
    archive: src.archive,
    format: src.format,
    id: src.configDigest,
    manifestDigest: src.manifest?.digest ?? null,
    manifestMediaType: src.manifest?.mediaType ?? null,
    annotations: src.manifest?.annotations ?? {},
    repoTags: src.repoTags,
    refName: src.refName,
    created: typeof src.config.created === 'string' ? src.config.created : null,
    platform: configPlatform(src.config, src.indexPlatform),
    config: src.config,
    layers,
    history,
    notes: src.notes,
    ...storeRecords(src, history.length),
    ...(src.declared ? {
      declared: {
        ...src.declared,
        configMember: src.configMember,
        manifestMember: src.manifest?.member ?? null,
        layerRefs: src.layers.map((l) => l.referencedAs),
      },
    } : {}),
  };
}

/** The image store's own records, those it gave (a per-history list only when it pairs with the history). */
function storeRecords(src: StoreRecords, historyLength: number): StoreRecords {
  const out: StoreRecords = {};
  if (src.buildSteps) out.buildSteps = src.buildSteps;
  if (src.lastTagTime !== undefined) out.lastTagTime = src.lastTagTime;
  if (src.namespace !== undefined) out.namespace = src.namespace;
  if (src.storeMetadataSize !== undefined) out.storeMetadataSize = src.storeMetadataSize;
  if (src.historyImages && src.historyImages.length === historyLength) out.historyImages = src.historyImages;
  if (src.repository !== undefined) out.repository = src.repository;
  return out;
}
