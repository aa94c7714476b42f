import type { Digest } from '../digest.js';
import type { EntryType } from '../layer/entry.js';
import { WHITEOUT_PREFIX } from '../layer/entry.js';
import { MARKER, type Catalog, type StaleEntry } from './catalog.js';
import { display } from './fingerprint.js';

/** Where a layer holding a matching file is used. */
export interface FileLayerUse {
  archive: string;
  imageId: Digest;
  /** RepoTags, else the OCI ref name; empty when untagged */
  names: string[];
  layerIndex: number;
}

/** One entry of one layer's listing that matches, with every image using that layer. */
export interface FileHit {
  diffId: Digest;
  path: string;
  type: EntryType;
  size: number;
  mode: number;
  uid: number;
  gid: number;
  mtime: number;
  linkTarget: string | null;
  /** for a whiteout entry: the path it deletes from lower layers (`path` is then the `.wh.` name) */
  whiteout: string | null;
  /** an opaque-directory marker (`path` is then `<dir>/.wh..wh..opq`) */
  opaque: boolean;
  uses: FileLayerUse[];
}

export interface FindFilesResult {
  hits: FileHit[];
  /** catalog entries whose archive is gone or changed: left out */
  stale: StaleEntry[];
  /** layers in scope that were indexed without `--files`: not searched */
  unlisted: number;
  /** hits were cut at `limit` */
  truncated: boolean;
}

export interface FindFilesOptions {
  /** only archives under these paths (default: the whole catalog) */
  roots?: string[] | null;
  /** most hits returned (default 10000) */
  limit?: number;
}

const GLOB_CHARS = /[*?[]/;

/**
 * Find files in the catalog's layer listings (recorded by `layerdig index
 * --files`). `pattern` is matched with SQLite GLOB semantics (case-sensitive;
 * `*` also matches `/`; `?`, `[abc]`); a leading `/` is ignored:
 *
 * - no glob character: an exact path (`etc/os-release`), also matching a
 *   whiteout that deletes that path;
 * - a glob with a `/`: matched against the whole path (`usr/lib/*.so*`);
 * - a glob without `/`: matched against the base name (`libssl*`), using the
 *   name index when the pattern starts with a literal.
 *
 * Hits come from layers in trusted archives only (stale entries are returned,
 * not used), sorted by path then diffID. A path glob whose last segment has a
 * glob character scans every row (`*` matches `/` too, so the name index cannot
 * narrow it); the other forms use the name index.
 */
export function findFiles(cat: Catalog, pattern: string, opts: FindFilesOptions = {}): FindFilesResult {
  const limit = opts.limit ?? 10_000;
  const p = pattern.replace(/^\/+/, '');
  const { trusted, stale } = cat.trusted(opts.roots ?? null);
  const db = cat.db;

  // where each layer is used, in trusted archives
  const usesOf = new Map<string, FileLayerUse[]>();
  const layerRows = db.prepare(`SELECT i.archive AS archive, i.image_id AS imageId, i.names AS names, l.position AS position, l.diff_id AS diffId
    FROM layers l JOIN images i ON i.id = l.image ORDER BY i.archive, i.position, l.position`).all() as
    { archive: string; imageId: string; names: string; position: number; diffId: string }[];
  for (const r of layerRows) {
    if (!trusted.has(r.archive)) continue;
    const u = usesOf.get(r.diffId) ?? [];
    u.push({ archive: display(r.archive), imageId: r.imageId, names: JSON.parse(r.names) as string[], layerIndex: r.position });
    usesOf.set(r.diffId, u);
  }
  const listed = new Set((db.prepare('SELECT diff_id AS d FROM layer_files').all() as { d: string }[]).map((r) => r.d));
  let unlisted = 0;
  for (const d of usesOf.keys()) if (!listed.has(d)) unlisted++;

  const select = `SELECT l.diff_id AS diff_id, d.path AS dir, f.name AS name, f.type AS type, f.size AS size, f.mode AS mode,
    f.uid AS uid, f.gid AS gid, f.mtime AS mtime, f.link_target AS link_target, f.marker AS marker
    FROM files f JOIN layer_files l ON l.id = f.layer JOIN dirs d ON d.id = f.dir`;
  const full = "(CASE WHEN d.path = '' THEN f.name ELSE d.path || '/' || f.name END)";
  let sql: string;
  let params: string[];
  if (!GLOB_CHARS.test(p)) {
    // an exact path, or the whiteout that deletes it: by the name index
    const slash = p.lastIndexOf('/');
    const dir = slash === -1 ? '' : p.slice(0, slash);
    const name = p.slice(slash + 1);
    sql = `${select} WHERE f.name IN (?, ?) AND d.path = ?`;
    params = [name, `${WHITEOUT_PREFIX}${name}`, dir];
  } else if (!p.includes('/')) {
    sql = `${select} WHERE f.name GLOB ?`;
    params = [p];
  } else {
    // `*` crosses `/`, so only a literal last segment can narrow by name
    const last = p.slice(p.lastIndexOf('/') + 1);
    sql = GLOB_CHARS.test(last) || last === '' ? `${select} WHERE ${full} GLOB ?` : `${select} WHERE f.name = ? AND ${full} GLOB ?`;
    params = GLOB_CHARS.test(last) || last === '' ? [p] : [last, p];
  }
  const rows = (db.prepare(sql).all(...params) as FileRow[])
    .map((r) => ({ ...r, path: r.dir === '' ? r.name : `${r.dir}/${r.name}` }))
    .filter((r) => GLOB_CHARS.test(p) || r.marker !== MARKER.whiteout || r.name === `${WHITEOUT_PREFIX}${p.slice(p.lastIndexOf('/') + 1)}`)
    .sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : a.diff_id < b.diff_id ? -1 : a.diff_id > b.diff_id ? 1 : 0));
  const hits: FileHit[] = [];
  let truncated = false;
  for (const r of rows) {
    const uses = usesOf.get(r.diff_id);
    if (!uses) continue;
    if (hits.length >= limit) {
      truncated = true;
      break;
    }
    hits.push({
      diffId: r.diff_id, path: r.path, type: r.type as EntryType, size: r.size, mode: r.mode, uid: r.uid, gid: r.gid, mtime: r.mtime,
      linkTarget: r.link_target,
      whiteout: r.marker === MARKER.whiteout ? (r.dir === '' ? '' : `${r.dir}/`) + r.name.slice(WHITEOUT_PREFIX.length) : null,
      opaque: r.marker === MARKER.opaque,
      uses,
    });
  }
  return { hits, stale, unlisted, truncated };
}

interface FileRow {
  diff_id: string; dir: string; name: string; type: string; size: number; mode: number; uid: number; gid: number; mtime: number;
  link_target: string | null; marker: number;
}
