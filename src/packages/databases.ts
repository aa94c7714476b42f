import { posix } from 'node:path';
import type { Package } from './model.js';
import { parseDpkg } from './dpkg.js';
import { parseApk } from './apk.js';
import { readRpmSqlite } from './rpm-sqlite.js';
import { readRpmBdb } from './rpm-bdb.js';
import { readRpmNdb } from './rpm-ndb.js';

/**
 * Which layer paths are package-database files, and how a group of them (one
 * database: dpkg's admin dir, apk's db, one rpm dbpath) becomes a package list.
 */
export type DbKind = 'dpkg-status' | 'dpkg-status.d' | 'dpkg-list' | 'apk-installed' | 'rpm-sqlite' | 'rpm-sqlite-wal' | 'rpm-bdb' | 'rpm-ndb';

export interface DbFile { kind: DbKind; group: string }

const DPKG = 'var/lib/dpkg';
const RPM_DIRS = ['var/lib/rpm', 'usr/lib/sysimage/rpm'];

export function classifyDbPath(path: string): DbFile | null {
  if (path === `${DPKG}/status`) return { kind: 'dpkg-status', group: 'dpkg' };
  if (path.startsWith(`${DPKG}/status.d/`) && !path.slice(DPKG.length + 10).includes('/') && !path.endsWith('.md5sums')) return { kind: 'dpkg-status.d', group: 'dpkg' };
  if (path.startsWith(`${DPKG}/info/`) && path.endsWith('.list') && !path.slice(DPKG.length + 6).includes('/')) return { kind: 'dpkg-list', group: 'dpkg' };
  if (path === 'lib/apk/db/installed') return { kind: 'apk-installed', group: 'apk' };
  const dir = posix.dirname(path);
  if (RPM_DIRS.includes(dir)) {
    const base = posix.basename(path);
    if (base === 'rpmdb.sqlite') return { kind: 'rpm-sqlite', group: `rpm:${dir}` };
    if (base === 'rpmdb.sqlite-wal') return { kind: 'rpm-sqlite-wal', group: `rpm:${dir}` };
    if (base === 'Packages') return { kind: 'rpm-bdb', group: `rpm:${dir}` };
    if (base === 'Packages.db') return { kind: 'rpm-ndb', group: `rpm:${dir}` };
  }
  return null;
}

/** A database's files as they stand (path → bytes), all of one group. */
export type DbFiles = ReadonlyMap<string, Buffer>;

export interface GroupRead {
  packages: Package[];
  /** files whose content could not be read as a database: path → why */
  errors: Map<string, string>;
  /** things worth saying that do not stop the read */
  notes: string[];
}

const text = (b: Buffer) => b.toString('utf8');

/** The packages one database group records, given its files. */
export function readGroup(group: string, files: DbFiles): GroupRead {
  const errors = new Map<string, string>();
  const notes: string[] = [];
  const kinds = new Map<string, DbKind>();
  for (const p of files.keys()) kinds.set(p, classifyDbPath(p)!.kind);
  const of = (k: DbKind) => [...files].filter(([p]) => kinds.get(p) === k).sort(([a], [b]) => (a < b ? -1 : 1));
  const guard = <T>(path: string, fn: () => T, fallback: T): T => {
    try {
      return fn();
    } catch (e) {
      errors.set(path, (e as Error).message);
      return fallback;
    }
  };
  if (group === 'dpkg') {
    const lists = new Map(of('dpkg-list').map(([p, b]) => [posix.basename(p, '.list'), text(b)] as const));
    const packages: Package[] = [];
    for (const [p, b] of [...of('dpkg-status'), ...of('dpkg-status.d')]) packages.push(...guard(p, () => parseDpkg([text(b)], lists), []));
    return { packages, errors, notes };
  }
  if (group === 'apk') {
    const [[p, b]] = of('apk-installed') as [[string, Buffer]];
    return { packages: guard(p, () => parseApk(text(b)), []), errors, notes };
  }
  // rpm: one backend holds the packages; sqlite first (current rpm), then ndb, then bdb
  const sqlite = of('rpm-sqlite')[0];
  const wal = of('rpm-sqlite-wal')[0];
  const ndb = of('rpm-ndb')[0];
  const bdb = of('rpm-bdb')[0];
  if (sqlite) {
    if (wal && wal[1].length > 0) notes.push(`${wal[0]} holds ${wal[1].length} bytes of write-ahead log that were not applied: the packages are those of ${sqlite[0]} alone`);
    return { packages: guard(sqlite[0], () => readRpmSqlite(sqlite[1]), []), errors, notes };
  }
  if (ndb) return { packages: guard(ndb[0], () => readRpmNdb(ndb[1]), []), errors, notes };
  if (bdb) return { packages: guard(bdb[0], () => readRpmBdb(bdb[1]), []), errors, notes };
  return { packages: [], errors, notes };
}

/** A group has a database when its main file exists (dpkg's .list files alone are not one). */
export function hasDatabase(files: DbFiles): boolean {
  for (const p of files.keys()) {
    const k = classifyDbPath(p)!.kind;
    if (k !== 'dpkg-list' && k !== 'rpm-sqlite-wal') return true;
  }
  return false;
}
