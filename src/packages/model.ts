import type { Ecosystem } from './version.js';

/** One installed package as its package manager's database records it. */
export interface Package {
  ecosystem: Ecosystem;
  name: string;
  /** as the package manager prints it: dpkg `[epoch:]upstream[-revision]`, rpm `[epoch:]version-release`, apk `version-rN` */
  version: string;
  arch: string;
  /** dpkg source package (the package's own name when none is given), rpm SOURCERPM, apk origin; null when unknown */
  source: string | null;
  /** paths the package owns, without a leading `/` (directories included where the database lists them) */
  files: string[];
}

/** What a database file gave: packages, or why it could not be read. */
export type DbRead = { ok: true; packages: Package[] } | { ok: false; error: string };

/** Identity across layers: the same name and architecture in the same ecosystem. */
export const packageKey = (p: Pick<Package, 'ecosystem' | 'name' | 'arch'>) => `${p.ecosystem}\0${p.name}\0${p.arch}`;

/** A database file's bytes must fit in memory: past this, say so instead of reading. */
export const MAX_DB_BYTES = 256 * 1024 * 1024;
