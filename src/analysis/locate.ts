import { LayerdigError } from '../errors.js';
import type { LayerEntry } from '../layer/entry.js';
import type { Overlay } from './filetree.js';
import { findRows, pathQuery } from './find-file.js';
import { resolveImagePath } from '../layer/image-path.js';

/**
 * `cat`: the regular file a path names in a tree (symlinks followed inside the
 * image, hard links to the entry holding the bytes), or an error that says
 * where the path went: deleted or not yet written, and which --layer has it.
 */
export function locateFile(tree: Overlay, listings: readonly (readonly LayerEntry[])[], path: string, atLayer: number | null): { entry: LayerEntry; layerIndex: number; resolvedPath: string } {
  const where = atLayer === null ? 'the final image' : `the image as of layer ${atLayer}`;
  const r = resolveImagePath((p) => tree.final.get(p), path, true);
  if (!r.ok) {
    if (r.reason === 'loop') throw new LayerdigError('E_NOT_FOUND', `${path}: too many levels of symbolic links at ${r.at} in ${where}`);
    if (r.reason === 'not-a-directory') throw new LayerdigError('E_NOT_FOUND', `${path}: ${r.at} is not a directory in ${where}`);
    throw new LayerdigError('E_NOT_FOUND', `${path}: no such file in ${where}${r.at !== path ? ` (following links: ${r.at} is missing)` : ''}${historyHint(listings, r.at, atLayer)}`);
  }
  const n = r.node;
  if (!n || n.entry.type === 'dir') throw new LayerdigError('E_USAGE', `${path}: is a directory (list it with ls, copy it out with extract)`);
  if (n.entry.type === 'file') return { entry: n.entry, layerIndex: n.layerIndex, resolvedPath: r.path };
  if (n.entry.type === 'hardlink') {
    if (!n.linkedTo || n.linkedTo.entry.type !== 'file') throw new LayerdigError('E_NOT_FOUND', `${path}: hard link to ${n.entry.linkTarget}, which the image did not hold when the link was written`);
    return { entry: n.linkedTo.entry, layerIndex: n.linkedTo.layerIndex, resolvedPath: r.path };
  }
  throw new LayerdigError('E_USAGE', `${path}: is a ${n.entry.type === 'symlink' ? `symbolic link to ${n.entry.linkTarget} that leads nowhere` : `${n.entry.type} device or fifo`}, not a regular file`);
}

function historyHint(listings: readonly (readonly LayerEntry[])[], path: string, atLayer: number | null): string {
  const rows = findRows(listings, pathQuery((p) => p === path)).filter((r) => r.change !== 'deleted' && r.entry.type !== 'dir');
  if (rows.length === 0) return '';
  const last = rows[rows.length - 1]!;
  if (atLayer !== null && rows.every((r) => r.layerIndex > atLayer)) return ` (layer ${rows[0]!.layerIndex} adds it later)`;
  const f = last.fate;
  const gone = f.state === 'deleted' || f.state === 'replaced' ? `; layer ${f.layerIndex} deleted it` : '';
  return ` (layer ${last.layerIndex} wrote it${gone}: read it with --layer ${last.layerIndex})`;
}
