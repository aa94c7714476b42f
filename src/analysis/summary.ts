import type { Digest } from '../digest.js';
import { platformString, type Image } from '../image/model.js';
import { formatMediaFamily } from '../format/formats.js';
import { parsePlatform } from '../image/select.js';

/**
 * What the cross-archive analyses (relation, none, base) need to know about an
 * image: its names, platform, layer identities, labels, annotations and
 * history. Everything here comes from JSON members (no layer body), and it is
 * exactly what the catalog stores, so an answer from the catalog and one from
 * a direct scan are computed by the same functions from the same data.
 */
export interface ImageSummary {
  archive: string;
  format: string;
  /** image ID = config digest */
  id: Digest;
  manifestDigest: Digest | null;
  repoTags: string[];
  /** `org.opencontainers.image.ref.name` of an OCI layout */
  refName: string | null;
  /** os/arch[/variant] */
  platform: string;
  /**
   * Docker or OCI media types (from the manifest; a docker-archive without one
   * holds a Docker config). The same image converted between the two gets a new
   * image ID but keeps its diffIDs.
   */
  mediaFamily: 'docker' | 'oci' | null;
  created: string | null;
  /** config `Labels` */
  labels: Record<string, string>;
  /** manifest annotations (and the index descriptor's, the manifest's own winning) */
  annotations: Record<string, string>;
  layers: LayerSummary[];
  history: HistorySummary[];
  /** a Docker data-root's local build parents, this image first (see image/model.ts) */
  buildSteps?: Digest[];
}

export interface LayerSummary {
  diffId: Digest;
  chainId: Digest;
  /** blob digest; null when no descriptor or name gives it (it needs a read) */
  digest: Digest | null;
  compressedSize: number;
  /** the archive member holding the blob (where its bytes live: `memberStorage` of the archive and this) */
  member: string;
}

export interface HistorySummary {
  created: string | null;
  createdBy: string;
  comment: string | null;
  emptyLayer: boolean;
  layerIndex: number | null;
}

function stringMap(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return out;
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
}

/** Config labels: `config.Labels` (Docker and OCI), falling back to `container_config.Labels`. */
export function configLabels(img: Pick<Image, 'config'>): Record<string, string> {
  const c = img.config.config;
  const labels = stringMap(c && typeof c === 'object' ? (c as Record<string, unknown>).Labels : null);
  if (Object.keys(labels).length) return labels;
  const cc = img.config.container_config;
  return stringMap(cc && typeof cc === 'object' ? (cc as Record<string, unknown>).Labels : null);
}

export function mediaFamily(img: Pick<Image, 'manifestMediaType' | 'format'>): 'docker' | 'oci' | null {
  const t = img.manifestMediaType ?? '';
  if (t.includes('vnd.oci.')) return 'oci';
  if (t.includes('vnd.docker.')) return 'docker';
  return formatMediaFamily(img.format);
}

export function summarize(img: Image): ImageSummary {
  return {
    archive: img.archive,
    format: img.format,
    id: img.id,
    manifestDigest: img.manifestDigest,
    repoTags: [...img.repoTags],
    refName: img.refName,
    platform: platformString(img.platform),
    mediaFamily: mediaFamily(img),
    created: img.created,
    labels: configLabels(img),
    annotations: { ...(img.annotations ?? {}) },
    layers: img.layers.map((l) => ({ diffId: l.diffId, chainId: l.chainId, digest: l.digest, compressedSize: l.compressedSize, member: l.member })),
    history: img.history.map((h) => ({
      created: h.created, createdBy: h.createdBy, comment: h.comment, emptyLayer: h.emptyLayer, layerIndex: h.layerIndex,
    })),
    ...(img.buildSteps ? { buildSteps: [...img.buildSteps] } : {}),
  };
}

/** RepoTags, else the OCI ref name: what the image is called (empty when untagged). */
export function namesOf(s: Pick<ImageSummary, 'repoTags' | 'refName'>): string[] {
  return s.repoTags.length ? s.repoTags : s.refName ? [s.refName] : [];
}

export function isTagged(s: Pick<ImageSummary, 'repoTags' | 'refName'>): boolean {
  return namesOf(s).length > 0;
}

/** The image reference every cross-archive JSON document uses. */
export function summaryRef(s: ImageSummary) {
  return {
    archive: s.archive,
    id: s.id,
    repoTags: s.repoTags,
    refName: s.refName,
    manifestDigest: s.manifestDigest,
    platform: s.platform,
  };
}
export type SummaryRef = ReturnType<typeof summaryRef>;

/**
 * Archive order, the same for a direct scan and the catalog: by archive path
 * (code-unit order, as SQLite's BINARY collation), images in archive order.
 */
export function sortByArchive<T extends { archive: string }>(images: T[]): T[] {
  return images.sort((a, b) => (a.archive < b.archive ? -1 : a.archive > b.archive ? 1 : 0));
}

/** The summaries whose platform is `os/arch[/variant]` (a variant left out matches any). */
export function platformFilter(images: ImageSummary[], platform: string | undefined): ImageSummary[] {
  if (!platform) return images;
  const want = parsePlatform(platform);
  return images.filter((s) => {
    const [os, arch, variant] = s.platform.split('/');
    return os === want.os && arch === want.architecture && (!want.variant || variant === want.variant);
  });
}
