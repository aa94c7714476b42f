import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import { classifyWhiteout, type EntryType, type LayerEntry } from '../layer/entry.js';
import type { ImageSummary } from '../analysis/summary.js';
import { namesOf, sortByArchive } from '../analysis/summary.js';
import { absolute, display, fingerprint, sameFingerprint, within, type Fingerprint } from './fingerprint.js';
import { loadSqlite, type Database, type Statement } from '../sqlite.js';
import type { ImageInventory, InventoryPackage } from '../packages/inventory.js';

/**
 * The catalog: archives, their images (as ImageSummary, the same data the
 * analyses get from a direct scan), every layer's identities, and optionally
 * every layer's file listing, in one SQLite file. Archives are keyed by
 * absolute path and remembered with their size+mtime, so re-indexing skips
 * unchanged ones and queries can tell a stale entry from a good one.
 */
export const SCHEMA_VERSION = 4;

/** Schema 3 → 4: package inventories (`index --packages`); archives indexed before have none until indexed again. */
const MIGRATE_3_TO_4 = 'ALTER TABLE archives ADD COLUMN packages INTEGER NOT NULL DEFAULT 0;';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS archives (
  path       TEXT PRIMARY KEY,
  kind       TEXT NOT NULL,
  size       INTEGER NOT NULL,
  mtime_ms   INTEGER NOT NULL,
  entries    INTEGER NOT NULL,
  format     TEXT NOT NULL,
  notes      TEXT NOT NULL,
  files      INTEGER NOT NULL DEFAULT 0,
  indexed_at TEXT NOT NULL,
  packages   INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS images (
  id       INTEGER PRIMARY KEY,
  archive  TEXT NOT NULL REFERENCES archives(path) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  image_id TEXT NOT NULL,
  names    TEXT NOT NULL,
  summary  TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS images_archive ON images(archive);
CREATE INDEX IF NOT EXISTS images_id ON images(image_id);
CREATE TABLE IF NOT EXISTS layers (
  image    INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  position INTEGER NOT NULL,
  diff_id  TEXT NOT NULL,
  chain_id TEXT NOT NULL,
  digest   TEXT
);
CREATE INDEX IF NOT EXISTS layers_image ON layers(image);
CREATE INDEX IF NOT EXISTS layers_diff_id ON layers(diff_id);
CREATE INDEX IF NOT EXISTS layers_chain_id ON layers(chain_id);
CREATE INDEX IF NOT EXISTS layers_digest ON layers(digest);
CREATE TABLE IF NOT EXISTS layer_files (
  id         INTEGER PRIMARY KEY,
  diff_id    TEXT NOT NULL UNIQUE,
  entries    INTEGER NOT NULL,
  indexed_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dirs (
  id   INTEGER PRIMARY KEY,
  path TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS files (
  layer       INTEGER NOT NULL REFERENCES layer_files(id) ON DELETE CASCADE,
  dir         INTEGER NOT NULL,
  name        TEXT NOT NULL,
  type        TEXT NOT NULL,
  size        INTEGER NOT NULL,
  mode        INTEGER NOT NULL,
  uid         INTEGER NOT NULL,
  gid         INTEGER NOT NULL,
  mtime       INTEGER NOT NULL,
  link_target TEXT,
  marker      INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS files_layer ON files(layer);
CREATE TABLE IF NOT EXISTS inventories (
  image     INTEGER PRIMARY KEY REFERENCES images(id) ON DELETE CASCADE,
  databases TEXT NOT NULL,
  error     TEXT
);
CREATE TABLE IF NOT EXISTS packages (
  image       INTEGER NOT NULL REFERENCES images(id) ON DELETE CASCADE,
  ecosystem   TEXT NOT NULL,
  name        TEXT NOT NULL,
  version     TEXT NOT NULL,
  arch        TEXT NOT NULL,
  source      TEXT,
  layer_index INTEGER NOT NULL,
  diff_id     TEXT NOT NULL,
  step        TEXT NOT NULL,
  earlier     TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS packages_name ON packages(name);
CREATE INDEX IF NOT EXISTS packages_image ON packages(image);
`;

/** `files.marker`: a plain entry, a whiteout (`.wh.<name>`), an opaque-directory marker. */
export const MARKER = { none: 0, whiteout: 1, opaque: 2 } as const;

export interface ArchiveRecord {
  /** absolute */
  path: string;
  fingerprint: Fingerprint;
  format: string;
  notes: string[];
  /** every layer's file listing was recorded (`index --files`) */
  files: boolean;
  /** every image's package inventory was recorded (`index --packages`) */
  packages: boolean;
  indexedAt: string;
}

/** A catalog entry that can no longer be trusted. */
export interface StaleEntry {
  /** as shown to the user */
  archive: string;
  why: 'gone' | 'changed';
}

export class Catalog {
  private readonly st: Record<string, Statement>;

  private constructor(readonly path: string, readonly db: Database) {
    this.st = {
      archive: db.prepare('SELECT * FROM archives WHERE path = ?'),
      archives: db.prepare('SELECT * FROM archives ORDER BY path'),
      delArchive: db.prepare('DELETE FROM archives WHERE path = ?'),
      putArchive: db.prepare(`INSERT INTO archives (path, kind, size, mtime_ms, entries, format, notes, files, indexed_at, packages)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      putInventory: db.prepare('INSERT INTO inventories (image, databases, error) VALUES (?, ?, ?)'),
      putPackage: db.prepare(`INSERT INTO packages (image, ecosystem, name, version, arch, source, layer_index, diff_id, step, earlier)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
      packagesNamed: db.prepare(`SELECT i.archive AS archive, i.summary AS summary, p.ecosystem, p.name, p.version, p.arch, p.source,
        p.layer_index AS layerIndex, p.diff_id AS diffId, p.step, p.earlier
        FROM packages p JOIN images i ON i.id = p.image WHERE p.name = ? ORDER BY i.archive, i.position, p.rowid`),
      inventoryStates: db.prepare(`SELECT i.archive AS archive, i.summary AS summary, v.error AS error, v.image IS NOT NULL AS recorded
        FROM images i LEFT JOIN inventories v ON v.image = i.id ORDER BY i.archive, i.position`),
      setFiles: db.prepare('UPDATE archives SET files = ? WHERE path = ?'),
      putImage: db.prepare('INSERT INTO images (archive, position, image_id, names, summary) VALUES (?, ?, ?, ?, ?)'),
      putLayer: db.prepare('INSERT INTO layers (image, position, diff_id, chain_id, digest) VALUES (?, ?, ?, ?, ?)'),
      imageCount: db.prepare('SELECT count(*) AS n FROM images WHERE archive = ?'),
      images: db.prepare('SELECT archive, summary FROM images ORDER BY archive, position'),
      hasFiles: db.prepare('SELECT 1 FROM layer_files WHERE diff_id = ?'),
      dirs: db.prepare('SELECT id, path FROM dirs'),
      layerFiles: db.prepare(`SELECT d.path AS dir, f.name AS name, f.type AS type, f.size AS size, f.mode AS mode, f.uid AS uid, f.gid AS gid,
        f.mtime AS mtime, f.link_target AS linkTarget
        FROM layer_files l JOIN files f ON f.layer = l.id JOIN dirs d ON d.id = f.dir WHERE l.diff_id = ? ORDER BY f.rowid`),
      delLayerFiles: db.prepare('DELETE FROM layer_files WHERE diff_id = ?'),
      putLayerFiles: db.prepare('INSERT INTO layer_files (diff_id, entries, indexed_at) VALUES (?, ?, ?)'),
      pruneLayers: db.prepare('DELETE FROM layer_files WHERE diff_id NOT IN (SELECT diff_id FROM layers)'),
      pruneDirs: db.prepare('DELETE FROM dirs WHERE id NOT IN (SELECT dir FROM files)'),
      dirId: db.prepare('SELECT id FROM dirs WHERE path = ?'),
      putDir: db.prepare('INSERT INTO dirs (path) VALUES (?)'),
      putFile: db.prepare(`INSERT INTO files (layer, dir, name, type, size, mode, uid, gid, mtime, link_target, marker)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    };
  }

  /** Open (or, with `create`, create) a catalog file. */
  static open(path: string, opts: { create: boolean }): Catalog {
    const Db = loadSqlite();
    const file = absolute(path);
    if (opts.create) mkdirSync(dirname(file), { recursive: true });
    let db: Database;
    try {
      db = new Db(file, { fileMustExist: !opts.create, timeout: 10_000 });
    } catch (e) {
      const msg = (e as Error).message;
      if (!opts.create && /does not exist|unable to open/i.test(msg)) {
        throw new LayerdigError('E_NOT_FOUND', `${path}: no catalog there: create it with \`layerdig index <archive|dir>… --db ${path}\``);
      }
      throw new LayerdigError('E_IO', `${path}: cannot open the catalog (${msg})`);
    }
    try {
      const version = db.pragma('user_version', { simple: true }) as number;
      const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table'").get() as { n: number }).n;
      if (version !== SCHEMA_VERSION && version !== 3 && (version !== 0 || tables !== 0)) {
        throw new LayerdigError('E_BAD_ARCHIVE', version > SCHEMA_VERSION
          ? `${path}: a catalog of schema ${version}, made by a newer layerdig (this one reads schema ${SCHEMA_VERSION}): use that layerdig or choose another --db`
          : `${path}: a catalog of schema ${version}, older than this layerdig can migrate (schema ${SCHEMA_VERSION}): delete it and run \`layerdig index\` again, or choose another --db`);
      }
      db.pragma('journal_mode = WAL');
      db.pragma('foreign_keys = ON');
      if (version === 3) {
        // the archives' rows stay; none has an inventory until `index --packages` reads it again
        db.transaction(() => {
          db.exec(MIGRATE_3_TO_4);
          db.exec(SCHEMA);
          db.pragma(`user_version = ${SCHEMA_VERSION}`);
        })();
      }
      if (version === 0) {
        db.exec(SCHEMA);
        db.pragma(`user_version = ${SCHEMA_VERSION}`);
      }
      return new Catalog(file, db);
    } catch (e) {
      db.close();
      if (e instanceof LayerdigError) throw e;
      throw new LayerdigError('E_BAD_ARCHIVE', `${path}: not a usable catalog (${(e as Error).message})`);
    }
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  archive(absPath: string): ArchiveRecord | null {
    const r = this.st.archive!.get(absPath) as ArchiveRow | undefined;
    return r ? toRecord(r) : null;
  }

  archives(): ArchiveRecord[] {
    return (this.st.archives!.all() as ArchiveRow[]).map(toRecord);
  }

  /** Replace everything recorded for one archive, in one transaction. */
  putArchive(rec: ArchiveRecord, images: readonly ImageSummary[], inventories: readonly ImageInventory[] | null = null): void {
    this.db.transaction(() => {
      this.st.delArchive!.run(rec.path);
      const f = rec.fingerprint;
      this.st.putArchive!.run(rec.path, f.kind, f.size, f.mtimeMs, f.entries, rec.format, JSON.stringify(rec.notes), rec.files ? 1 : 0, rec.indexedAt, inventories ? 1 : 0);
      images.forEach((s, i) => {
        const { lastInsertRowid } = this.st.putImage!.run(rec.path, i, s.id, JSON.stringify(namesOf(s)), JSON.stringify({ ...s, archive: rec.path }));
        s.layers.forEach((l, j) => this.st.putLayer!.run(lastInsertRowid, j, l.diffId, l.chainId, l.digest));
        const inv = inventories?.[i];
        if (!inv) return;
        this.st.putInventory!.run(lastInsertRowid, JSON.stringify(inv.databases), inv.error);
        for (const p of inv.packages) {
          this.st.putPackage!.run(lastInsertRowid, p.ecosystem, p.name, p.version, p.arch, p.source, p.layerIndex, p.diffId, p.step, JSON.stringify(p.earlier));
        }
      });
    })();
  }

  /**
   * The recorded packages named `name` in trusted archives under `roots`, each
   * with its image; the version range is the caller's to check (per ecosystem,
   * in TypeScript: SQL only narrows by name). Also the images in scope that
   * have no inventory (indexed without --packages) or whose databases could not
   * be read when indexed.
   */
  packagesNamed(name: string, roots: string[] | null): {
    hits: { image: ImageSummary; pkg: InventoryPackage }[];
    unrecorded: ImageSummary[];
    unreadable: { image: ImageSummary; error: string }[];
    stale: StaleEntry[];
  } {
    const { trusted, stale } = this.trusted(roots);
    const summary = (archive: string, json: string) => {
      const s = JSON.parse(json) as ImageSummary;
      s.archive = display(archive);
      return s;
    };
    const unrecorded: ImageSummary[] = [];
    const unreadable: { image: ImageSummary; error: string }[] = [];
    for (const r of this.st.inventoryStates!.iterate() as IterableIterator<{ archive: string; summary: string; error: string | null; recorded: number }>) {
      if (!trusted.has(r.archive)) continue;
      if (!r.recorded) unrecorded.push(summary(r.archive, r.summary));
      else if (r.error !== null) unreadable.push({ image: summary(r.archive, r.summary), error: r.error });
    }
    const hits: { image: ImageSummary; pkg: InventoryPackage }[] = [];
    for (const r of this.st.packagesNamed!.iterate(name) as IterableIterator<InventoryPackage & { archive: string; summary: string; earlier: string }>) {
      if (!trusted.has(r.archive)) continue;
      const { archive, summary: json, ...p } = r;
      hits.push({ image: summary(archive, json), pkg: { ...p, earlier: JSON.parse(r.earlier) as InventoryPackage['earlier'] } });
    }
    return { hits, unrecorded, unreadable, stale };
  }

  imageCount(absPath: string): number {
    return (this.st.imageCount!.get(absPath) as { n: number }).n;
  }

  removeArchive(absPath: string): void {
    this.st.delArchive!.run(absPath);
  }

  setFiles(absPath: string, files: boolean): void {
    this.st.setFiles!.run(files ? 1 : 0, absPath);
  }

  /** Drop file listings no recorded image uses any more. Returns how many layers were dropped. */
  prune(): number {
    return this.db.transaction(() => {
      const n = this.st.pruneLayers!.run().changes;
      if (n > 0) {
        this.st.pruneDirs!.run();
        this.dirIds.clear();
      }
      return n;
    })();
  }

  private readonly dirIds = new Map<string, number | bigint>();
  private dirId(path: string): number | bigint {
    let id = this.dirIds.get(path);
    if (id === undefined) {
      const row = this.st.dirId!.get(path) as { id: number } | undefined;
      id = row ? row.id : this.st.putDir!.run(path).lastInsertRowid;
      this.dirIds.set(path, id);
    }
    return id;
  }

  hasLayerFiles(diffId: Digest): boolean {
    return this.st.hasFiles!.get(diffId) !== undefined;
  }

  /**
   * One layer's listing as recorded, in the layer's own order, as LayerEntry
   * (whiteout and opaque markers rebuilt from the names, as the layer pass does);
   * null when it was indexed without `--files`. What is not stored is absent:
   * xattrs, device numbers, the unsafe-name reason.
   */
  layerEntries(diffId: Digest): LayerEntry[] | null {
    if (!this.hasLayerFiles(diffId)) return null;
    const rows = this.st.layerFiles!.all(diffId) as {
      dir: string; name: string; type: EntryType; size: number; mode: number; uid: number; gid: number; mtime: number; linkTarget: string | null;
    }[];
    return rows.map((r) => classifyWhiteout({
      path: r.dir === '' ? r.name : `${r.dir}/${r.name}`, type: r.type, size: r.size, mode: r.mode, uid: r.uid, gid: r.gid, mtime: r.mtime, linkTarget: r.linkTarget,
    }));
  }

  /**
   * The listed layers (by diffID) holding an entry whose path, or any
   * directory above it, `match` accepts: every path a `file` query can report
   * for an image (an entry, or a deletion of something a lower layer put
   * there) is one of those. One pass over the listings, no entry objects: it
   * lets `file --db` skip the images that cannot match before reading their
   * listings back and running the analysis on them.
   */
  layersMatching(match: (path: string) => boolean): Set<Digest> {
    const dirPath = new Map((this.st.dirs!.all() as { id: number; path: string }[]).map((r) => [r.id, r.path]));
    const dirHit = new Map<number, boolean>();
    const dirMatches = (id: number): boolean => {
      let hit = dirHit.get(id);
      if (hit === undefined) {
        const p = dirPath.get(id) ?? '';
        hit = false;
        for (let q = p; ; q = q.slice(0, Math.max(0, q.lastIndexOf('/')))) {
          if (match(q)) { hit = true; break; }
          if (q === '') break;
        }
        dirHit.set(id, hit);
      }
      return hit;
    };
    this.db.function('layerdig_match', { deterministic: true }, ((dir: number, name: string) => {
      if (dirMatches(dir)) return 1;
      const p = dirPath.get(dir) ?? '';
      return match(p === '' ? name : `${p}/${name}`) ? 1 : 0;
    }) as never);
    const rows = this.db.prepare(`SELECT l.diff_id AS d FROM layer_files l
      WHERE EXISTS (SELECT 1 FROM files f WHERE f.layer = l.id AND layerdig_match(f.dir, f.name))`).all() as { d: Digest }[];
    return new Set(rows.map((r) => r.d));
  }

  /**
   * Record one layer's file listing (whiteouts and opaque markers included),
   * keyed by diffID. Paths are stored as a directory id and a base name: a
   * listing repeats its directories thousands of times.
   */
  putLayerFiles(diffId: Digest, entries: readonly LayerEntry[]): void {
    this.db.transaction(() => {
      this.st.delLayerFiles!.run(diffId);
      const layer = this.st.putLayerFiles!.run(diffId, entries.length, new Date().toISOString()).lastInsertRowid;
      for (const e of entries) {
        const slash = e.path.lastIndexOf('/');
        const marker = e.whiteout !== undefined ? MARKER.whiteout : e.opaque !== undefined ? MARKER.opaque : MARKER.none;
        this.st.putFile!.run(layer, this.dirId(slash === -1 ? '' : e.path.slice(0, slash)), e.path.slice(slash + 1), e.type,
          e.size, e.mode, e.uid, e.gid, e.mtime, e.linkTarget, marker);
      }
    })();
  }

  /** Archives in scope (all, or those under `roots`) whose size+mtime still match, and the stale ones. */
  trusted(roots: string[] | null): { trusted: Set<string>; stale: StaleEntry[] } {
    const absRoots = roots?.map(absolute) ?? null;
    const inScope = (p: string) => absRoots === null || absRoots.some((r) => within(p, r));
    const trusted = new Set<string>();
    const stale: StaleEntry[] = [];
    for (const a of this.archives()) {
      if (!inScope(a.path)) continue;
      const now = fingerprint(a.path);
      if (!now) stale.push({ archive: display(a.path), why: 'gone' });
      else if (!sameFingerprint(now, a.fingerprint)) stale.push({ archive: display(a.path), why: 'changed' });
      else trusted.add(a.path);
    }
    return { trusted, stale };
  }

  /**
   * The images of every archive in scope (all, or those under `roots`), with
   * archive paths shown relative to the working directory. Entries whose
   * archive is gone or changed since it was indexed are returned as stale and
   * their images left out.
   */
  summaries(roots: string[] | null): { images: ImageSummary[]; stale: StaleEntry[]; archives: number } {
    const { trusted, stale } = this.trusted(roots);
    const images: ImageSummary[] = [];
    for (const r of this.st.images!.iterate() as IterableIterator<{ archive: string; summary: string }>) {
      if (!trusted.has(r.archive)) continue;
      const s = JSON.parse(r.summary) as ImageSummary;
      s.archive = display(r.archive);
      images.push(s);
    }
    return { images: sortByArchive(images), stale, archives: trusted.size };
  }
}

interface ArchiveRow {
  path: string; kind: 'file' | 'dir'; size: number; mtime_ms: number; entries: number; format: string; notes: string; files: number; indexed_at: string; packages: number;
}

function toRecord(r: ArchiveRow): ArchiveRecord {
  return {
    path: r.path,
    fingerprint: { kind: r.kind, size: r.size, mtimeMs: r.mtime_ms, entries: r.entries },
    format: r.format,
    notes: JSON.parse(r.notes) as string[],
    files: r.files === 1,
    packages: r.packages === 1,
    indexedAt: r.indexed_at,
  };
}
