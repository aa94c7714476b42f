import { loadSqlite } from '../sqlite.js';
import { LayerdigError } from '../errors.js';
import type { Package } from './model.js';
import { parseRpmHeader } from './rpm-header.js';

const MAGIC = 'SQLite format 3\0';

/**
 * rpm's sqlite backend (rpmdb.sqlite): table `Packages (hnum, blob)`, one
 * header blob per package. Opened from memory; a database in WAL mode is
 * marked as a rollback-journal one on the copy (file-format bytes 18-19),
 * since an in-memory database cannot have a WAL.
 */
export function readRpmSqlite(bytes: Buffer): Package[] {
  if (bytes.length < 100 || bytes.toString('latin1', 0, 16) !== MAGIC) throw new Error('not an SQLite database (no "SQLite format 3" magic)');
  const copy = Buffer.from(bytes);
  if (copy[18] === 2) copy[18] = 1;
  if (copy[19] === 2) copy[19] = 1;
  let ctor;
  try {
    ctor = loadSqlite();
  } catch (e) {
    // not the database's fault: an error of its own kind, not "cannot be read"
    throw new LayerdigError('E_UNSUPPORTED', `reading rpm's sqlite database needs the optional package better-sqlite3, which is not installed or did not build: run \`npm install better-sqlite3@12\` (${(e as Error).message.split(' (')[0]})`);
  }
  const Database = ctor as unknown as new (b: Buffer, o: { readonly: boolean }) => { prepare(s: string): { all(): unknown[] }; close(): void };
  let db;
  try {
    db = new Database(copy, { readonly: true });
  } catch (e) {
    throw new Error(`SQLite cannot open it: ${(e as Error).message}`);
  }
  try {
    let rows: { hnum: number; blob: Buffer }[];
    try {
      rows = db.prepare('SELECT hnum, blob FROM Packages ORDER BY hnum').all() as typeof rows;
    } catch (e) {
      throw new Error(`no readable Packages table: ${(e as Error).message}`);
    }
    return rows.map((r) => {
      try {
        return parseRpmHeader(Buffer.from(r.blob));
      } catch (e) {
        throw new Error(`package ${r.hnum}: ${(e as Error).message}`);
      }
    });
  } finally {
    db.close();
  }
}
