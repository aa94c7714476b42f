import type { Image } from '../image/model.js';
import type { LayerListing } from '../layer/pass.js';
import { topLevelNames } from '../layer/entry.js';
import { humanSize, id } from './text.js';
import { describeImage } from '../image/select.js';
import { imageRef } from './images.js';
import { table } from './table.js';

/**
 * Layers of one image, with what the content pass learned (null with --no-content).
 * `unchecked`: a layer whose tar was written from a directory walk (an image store
 * without tar-split): its hashes say nothing about the diffID, so neither is verified.
 */
export function layersReport(img: Image, listings: (LayerListing | null)[], unchecked: (member: string) => boolean = () => false) {
  return {
    image: imageRef(img),
    layers: img.layers.map((l, i) => {
      const c = listings[i] ?? null;
      return {
        index: l.index,
        diffId: l.diffId,
        chainId: l.chainId,
        digest: l.digest ?? c?.digest ?? null,
        mediaType: l.mediaType,
        compression: l.compression,
        compressedSize: l.compressedSize,
        uncompressedSize: c ? c.uncompressedSize : l.compression === 'none' ? l.compressedSize : null,
        size: c ? c.size : null,
        content: c ? topLevelNames(c.entries) : null,
        storage: l.storage,
        // legacy LayerSources: where the layer came from (a registry blob), not what is stored here
        source: l.source ?? null,
        ...(l.cacheId ? { cacheId: l.cacheId } : {}),
        // a tar written from a directory walk is not the bytes that were hashed: nothing to compare (null)
        ...(c && unchecked(l.member) ? { diffIdVerified: null, digestVerified: null } : {}),
        ...(c && !unchecked(l.member) ? { diffIdVerified: c.diffId === l.diffId, digestVerified: l.digest ? c.digest === l.digest : null } : {}),
      };
    }),
  };
}

export function renderLayers(reports: { img: Image; report: ReturnType<typeof layersReport> }[], full: boolean): string {
  return reports.map(({ img, report }) => {
    // a Docker data-root names each layer's directory by its cache ID (the original tool's column)
    const cache = report.layers.some((l) => l.cacheId !== undefined);
    const rows = report.layers.map((l) => [
      l.index, id(l.diffId, full), id(l.chainId, full), ...(cache ? [full ? l.cacheId ?? '-' : (l.cacheId ?? '-').slice(0, 12)] : [id(l.digest, full), l.compression]),
      l.content === null ? '-' : contentCell(l.content, full), humanSize(l.size), l.storage,
    ]);
    const head = ['#', 'DIFF ID', 'CHAIN ID', ...(cache ? ['CACHE ID'] : ['DIGEST', 'COMPRESSION']), 'CONTENT', 'SIZE', 'STORAGE'];
    return `IMAGE ${describeImage(img)}\n${table(head, rows)}`;
  }).join('\n\n');
}

function contentCell(names: string[], full: boolean): string {
  if (names.length === 0) return '(empty)';
  const s = names.join(' ');
  return full || s.length <= 40 ? s : `${s.slice(0, 39)}…`;
}
