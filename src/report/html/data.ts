import type { Image } from '../../image/model.js';
import { platformString } from '../../image/model.js';
import type { LayerListing } from '../../layer/pass.js';
import type { Overlay } from '../../analysis/filetree.js';
import { sizeTree, type LargestFile, type TreeNode } from '../../analysis/size-tree.js';
import { describeImage } from '../../image/select.js';

import type { SupplySection } from '../supply.js';

export type { TreeNode } from '../../analysis/size-tree.js';

/**
 * What `layerdig report` renders: a plain data object. The core sections come
 * from the image and one pass over its layers; the optional sections are
 * filled by other analyses when they are available, and the page renders what
 * is present. Their shapes are those analyses' JSON documents (README), so a
 * command can pass `verify --json`-like objects straight in.
 */
export interface ReportData {
  schema: 'layerdig-report/1';
  generatedAt: string;
  tool: string;
  image: {
    title: string;
    archive: string;
    format: string;
    id: string;
    repoTags: string[];
    manifestDigest: string | null;
    platform: string;
    created: string | null;
    layerCount: number;
    /** blobs as stored */
    compressedSize: number;
    uncompressedSize: number;
    /** Docker's DiffSize summed over layers */
    size: number;
    /** bytes of regular files visible in the final filesystem */
    finalSize: number;
    finalFiles: number;
    config: { user: string; entrypoint: string[] | null; cmd: string[] | null; workingDir: string; env: number; exposedPorts: string[] };
  };
  layers: ReportLayer[];
  /** history entries that made no layer (ENV, CMD, …), after the layer they follow */
  emptySteps: { afterLayer: number | null; createdBy: string }[];
  /** the final filesystem by size: directories with their files, pruned for the page */
  tree: TreeNode;
  largest: LargestFile[];
  /** optional sections: rendered when present */
  efficiency?: EfficiencySection;
  verify?: VerifySection;
  audit?: AuditSection;
  /** signatures, provenance and SBOMs that travel with the image (src/report/supply.ts) */
  supply?: SupplySection;
  notes: string[];
}

export interface ReportLayer {
  index: number;
  diffId: string;
  digest: string | null;
  compression: string;
  compressedSize: number;
  uncompressedSize: number;
  size: number;
  entries: number;
  files: number;
  /** bytes of this layer's regular files still visible in the final filesystem */
  visibleBytes: number;
  /** bytes of this layer's regular files overwritten or deleted by later layers (hard links count 0) */
  hiddenBytes: number;
  createdBy: string | null;
  created: string | null;
  diffIdVerified: boolean;
}


/** `layerdig efficiency --json` (issue 6): dive's numbers and dead bytes. */
export interface EfficiencySection {
  efficiency: number;
  sizeBytes: number;
  userSizeBytes?: number;
  wastedBytes: number;
  userWastedPercent: number | null;
  inefficiencies?: { path: string; count: number; cumulativeSize: number }[];
  deadBytes?: number;
  deadByLayer?: { layerIndex: number; bytes: number }[];
}

/** `layerdig verify --json` (issue 5), one image's part. */
export interface VerifySection {
  ok: boolean;
  checks: { check: string; subject: string; expected?: unknown; actual?: unknown; ok: boolean }[];
  notes?: string[];
}

/** `layerdig audit --json` (issue 5). */
export interface AuditSection {
  findings: { rule: string; severity: string; path?: string | null; layerIndex?: number | null; detail?: string }[];
}

export type OptionalSections = Pick<ReportData, 'efficiency' | 'verify' | 'audit' | 'supply'>;

function strings(v: unknown): string[] | null {
  return Array.isArray(v) ? v.map(String) : typeof v === 'string' ? [v] : null;
}

/** Everything the page shows that the image and its layer listings give (pure). */
export function buildReportData(
  img: Image,
  listings: LayerListing[],
  o: Overlay,
  extra: { tool: string; generatedAt: string; notes?: string[] } & OptionalSections,
): ReportData {
  const { tree, files, bytes, largest } = sizeTree(o);
  const visible = new Map<number, number>();
  for (const n of o.final.values()) {
    if (n.entry.type === 'file') visible.set(n.layerIndex, (visible.get(n.layerIndex) ?? 0) + n.entry.size);
  }
  const cfg = (img.config.config ?? {}) as Record<string, unknown>;
  const historyOf = new Map<number, { createdBy: string; created: string | null }>();
  const emptySteps: ReportData['emptySteps'] = [];
  let lastLayer: number | null = null;
  for (const h of img.history) {
    if (h.layerIndex !== null) {
      historyOf.set(h.layerIndex, { createdBy: h.createdBy, created: h.created });
      lastLayer = h.layerIndex;
    } else {
      emptySteps.push({ afterLayer: lastLayer, createdBy: h.createdBy });
    }
  }
  const layers: ReportLayer[] = img.layers.map((l, i) => {
    const c = listings[i]!;
    const fileBytes = c.entries.reduce((s, e) => s + (e.type === 'file' && e.whiteout === undefined && e.opaque === undefined ? e.size : 0), 0);
    const vis = visible.get(i) ?? 0;
    return {
      index: l.index,
      diffId: l.diffId,
      digest: l.digest ?? c.digest,
      compression: c.compression,
      compressedSize: l.compressedSize,
      uncompressedSize: c.uncompressedSize,
      size: c.size,
      entries: c.entries.length,
      files: c.entries.filter((e) => e.type === 'file' && e.whiteout === undefined && e.opaque === undefined).length,
      visibleBytes: vis,
      hiddenBytes: Math.max(0, fileBytes - vis),
      createdBy: historyOf.get(i)?.createdBy ?? null,
      created: historyOf.get(i)?.created ?? null,
      diffIdVerified: c.diffId === l.diffId,
    };
  });
  const ports = cfg.ExposedPorts && typeof cfg.ExposedPorts === 'object' ? Object.keys(cfg.ExposedPorts as object) : [];
  return {
    schema: 'layerdig-report/1',
    generatedAt: extra.generatedAt,
    tool: extra.tool,
    image: {
      title: describeImage(img),
      archive: img.archive,
      format: img.format,
      id: img.id,
      repoTags: img.repoTags,
      manifestDigest: img.manifestDigest,
      platform: platformString(img.platform),
      created: img.created,
      layerCount: img.layers.length,
      compressedSize: img.layers.reduce((s, l) => s + l.compressedSize, 0),
      uncompressedSize: layers.reduce((s, l) => s + l.uncompressedSize, 0),
      size: layers.reduce((s, l) => s + l.size, 0),
      finalSize: bytes,
      finalFiles: files,
      config: {
        user: typeof cfg.User === 'string' ? cfg.User : '',
        entrypoint: strings(cfg.Entrypoint),
        cmd: strings(cfg.Cmd),
        workingDir: typeof cfg.WorkingDir === 'string' ? cfg.WorkingDir : '',
        env: Array.isArray(cfg.Env) ? cfg.Env.length : 0,
        exposedPorts: ports,
      },
    },
    layers,
    emptySteps,
    tree,
    largest,
    ...(extra.efficiency ? { efficiency: extra.efficiency } : {}),
    ...(extra.verify ? { verify: extra.verify } : {}),
    ...(extra.audit ? { audit: extra.audit } : {}),
    ...(extra.supply ? { supply: extra.supply } : {}),
    notes: extra.notes ?? [],
  };
}
