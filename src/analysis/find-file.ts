import type { Digest } from '../digest.js';
import type { LayerEntry } from '../layer/entry.js';
import { overlay, type Change, type Overlay } from './filetree.js';

/**
 * `layerdig file`: which layers of an image touch a path (or hold some bytes),
 * what each did to it, and whether that version survives to the final image.
 * Pure: an image and its layer listings in, rows out — the same function serves
 * listings read from archives now and from a catalog (`file --db`) later.
 */

/** `unchanged`: the layer states a directory again with the same type, mode, owner (only its mtime may differ). */
export type RowChange = Change | 'unchanged';

/** What became of the version a row describes. */
export type RowFate =
  | { state: 'final' }
  /** a later layer deleted the path (whiteout, opaque directory, or a type change above it) */
  | { state: 'deleted'; layerIndex: number }
  /** a later layer wrote the path again */
  | { state: 'replaced'; layerIndex: number }
  /** a deletion row: the path is not in the final image */
  | { state: 'absent' }
  /** a deletion row: a later layer put the path back */
  | { state: 're-added'; layerIndex: number };

export interface FileRow {
  layerIndex: number;
  path: string;
  change: RowChange;
  /** what the layer wrote; for a deletion, what it deleted */
  entry: LayerEntry;
  /** a regular file's bytes; a hard link's shared file's bytes; 0 otherwise */
  size: number;
  fate: RowFate;
}

/**
 * What a hit says about its image: an archive's Image has it, and so has an
 * image rebuilt from the catalog (`file --db`).
 */
export interface FileImage {
  archive: string;
  id: Digest;
  repoTags: string[];
  refName: string | null;
  layers: readonly { diffId: Digest; storage: string }[];
}

export interface FileHit extends FileRow {
  image: FileImage;
  diffId: Digest;
  storage: string;
}

/** What a query sees of each candidate row. */
export interface Candidate {
  path: string;
  entry: LayerEntry;
  deleted: boolean;
  /** the entry holding the bytes: the entry itself for a file, the linked file for a hard link, else null */
  bytes: LayerEntry | null;
}

export type FileQuery = (c: Candidate) => boolean;

const bytesOf = (o: Overlay, e: LayerEntry): LayerEntry | null =>
  e.type === 'file' ? e : e.type === 'hardlink' ? o.links.get(e)?.entry ?? null : null;

/** Rows of every layer that match, in layer order (within a layer: by path). */
export function findRows(layers: readonly (readonly LayerEntry[])[], query: FileQuery, ov: Overlay = overlay(layers)): FileRow[] {
  // every change to a path, in layer order, for fates
  const history = new Map<string, { k: number; change: Change }[]>();
  ov.changes.forEach((cs, k) => {
    for (const c of cs) {
      let h = history.get(c.path);
      if (!h) history.set(c.path, (h = []));
      h.push({ k, change: c.change });
    }
  });
  const shadowed = new Set(ov.shadowed.map((s) => s.entry));
  const fate = (path: string, k: number, deleted: boolean): RowFate => {
    const later = (history.get(path) ?? []).find((h) => h.k > k);
    if (deleted) {
      if (!ov.final.has(path)) return { state: 'absent' };
      const back = (history.get(path) ?? []).find((h) => h.k > k && h.change !== 'deleted');
      return back ? { state: 're-added', layerIndex: back.k } : { state: 'absent' };
    }
    if (!later) return { state: 'final' };
    return { state: later.change === 'deleted' ? 'deleted' : 'replaced', layerIndex: later.k };
  };

  const rows: FileRow[] = [];
  layers.forEach((entries, k) => {
    const own = new Set(entries);
    const out: FileRow[] = [];
    const covered = new Set<string>();
    const push = (path: string, change: RowChange, entry: LayerEntry) => {
      const deleted = change === 'deleted';
      const bytes = bytesOf(ov, entry);
      if (!query({ path, entry, deleted, bytes })) return;
      out.push({ layerIndex: k, path, change, entry, size: bytes?.size ?? 0, fate: fate(path, k, deleted) });
    };
    for (const c of ov.changes[k] ?? []) {
      if (c.change === 'deleted') {
        // a path deleted and written again by the same layer keeps both rows
        push(c.path, 'deleted', c.before!.entry);
        continue;
      }
      if (!c.entry || !own.has(c.entry)) continue; // a parent directory no layer stated
      covered.add(c.path);
      push(c.path, c.change, c.entry);
    }
    for (const e of entries) {
      if (e.whiteout !== undefined || e.opaque !== undefined || covered.has(e.path) || shadowed.has(e)) continue;
      covered.add(e.path);
      push(e.path, 'unchanged', e);
    }
    out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
    rows.push(...out);
  });
  return rows;
}

/**
 * The seam for every source of listings (archives now, the catalog later): one
 * image, its listings in layer order, a query → hits naming image and layer.
 */
export function findFiles(image: FileImage, listings: readonly (readonly LayerEntry[])[], query: FileQuery, ov?: Overlay): FileHit[] {
  return findRows(listings, query, ov).map((r) => {
    const l = image.layers[r.layerIndex]!;
    return { ...r, image, diffId: l.diffId, storage: l.storage };
  });
}

/** A path query: deletions count too (a file's whole life shows). */
export function pathQuery(match: (path: string) => boolean): FileQuery {
  return (c) => match(c.path);
}

/** A content query: files (and hard links to them) whose bytes are among `hits` (entries found by hashing). */
export function contentQuery(hits: ReadonlySet<LayerEntry>): FileQuery {
  return (c) => !c.deleted && c.bytes !== null && hits.has(c.bytes);
}

/** Entries worth hashing for a content search: regular files of that size (any size when unknown). */
export function contentCandidates(entries: readonly LayerEntry[], size: number | null): LayerEntry[] {
  return entries.filter((e) => e.type === 'file' && e.whiteout === undefined && e.opaque === undefined && (size === null || e.size === size));
}
