import type { FileHit, RowFate } from '../analysis/find-file.js';
import { humanSize, id } from './text.js';
import { namesFor } from './images.js';
import { printable } from './text.js';
import { table } from './table.js';
import { ownerCell, ownerJson, type Owner } from '../packages/owner.js';

/** A hit with, under --packages, the installed packages of its image that own its path. */
export type OwnedHit = FileHit & { owners?: Owner[] };

/** The JSON of one hit: the keys, plus `type` and `replacedInLayer`. */
export function fileHitJson(h: OwnedHit) {
  const f = h.fate;
  return {
    image: { archive: h.image.archive, id: h.image.id, repoTags: h.image.repoTags },
    layerIndex: h.layerIndex,
    diffId: h.diffId,
    path: h.path,
    type: h.entry.type,
    change: h.change,
    inFinalImage: f.state === 'final' || f.state === 're-added',
    deletedInLayer: f.state === 'deleted' ? f.layerIndex : h.change === 'deleted' ? h.layerIndex : null,
    replacedInLayer: f.state === 'replaced' || f.state === 're-added' ? f.layerIndex : null,
    size: h.size,
    storage: h.storage,
    ...(h.owners ? ownerJson(h.owners) : {}),
  };
}

export function fateCell(f: RowFate): string {
  switch (f.state) {
    case 'final': return 'yes';
    case 'deleted': return `deleted in layer ${f.layerIndex}`;
    case 'replaced': return `replaced in layer ${f.layerIndex}`;
    case 'absent': return 'no';
    case 're-added': return `re-added in layer ${f.layerIndex}`;
  }
}

export function renderFileHits(hits: OwnedHit[], full: boolean): string {
  const owned = hits.some((h) => h.owners !== undefined);
  if (hits.length === 0) return '(no matches)';
  const rows = hits.map((h) => {
    const names = namesFor(h.image);
    const n = names[0]!;
    return [
      n.repository, names.length > 1 ? `${n.tag} (+${names.length - 1})` : n.tag, id(h.image.id, full),
      `${h.layerIndex} ${id(h.diffId, full)}`, printable(h.path) + (h.entry.type === 'dir' ? '/' : h.entry.type === 'symlink' ? ` -> ${printable(h.entry.linkTarget ?? '')}` : ''),
      ...(owned ? [ownerCell(h.owners ?? [])] : []),
      h.change, fateCell(h.fate), h.entry.type === 'file' || h.entry.type === 'hardlink' ? humanSize(h.size) : '-', h.storage,
    ];
  });
  return table(['REPOSITORY', 'TAG', 'IMAGE ID', 'LAYER', 'FILE PATH', ...(owned ? ['PACKAGE'] : []), 'CHANGE', 'IN FINAL IMAGE', 'SIZE', 'STORAGE'], rows);
}
