import { createRequire } from 'node:module';
import { LayerdigError } from './errors.js';

/**
 * The part of better-sqlite3's API the catalog uses. better-sqlite3 is an
 * optional dependency (a native module, built from source by `npm ci` when no
 * prebuilt binary can be downloaded): without it every other command works and
 * the catalog commands say how to get it.
 */
export interface Statement {
  run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint };
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
  iterate(...params: unknown[]): IterableIterator<unknown>;
}

export interface Database {
  prepare(sql: string): Statement;
  exec(sql: string): void;
  pragma(sql: string, opts?: { simple?: boolean }): unknown;
  function(name: string, opts: { deterministic?: boolean; varargs?: boolean }, fn: (...args: never[]) => unknown): Database;
  transaction<F extends (...args: never[]) => unknown>(fn: F): F;
  close(): void;
  readonly open: boolean;
}

type DatabaseCtor = new (path: string, opts?: { readonly?: boolean; fileMustExist?: boolean; timeout?: number }) => Database;

let ctor: DatabaseCtor | null = null;

export function loadSqlite(): DatabaseCtor {
  if (ctor) return ctor;
  try {
    ctor = createRequire(import.meta.url)('better-sqlite3') as DatabaseCtor;
    return ctor;
  } catch (e) {
    throw new LayerdigError('E_UNSUPPORTED',
      `the catalog needs the optional package better-sqlite3, which is not installed or did not build (${(e as Error).message.split('\n')[0]}): run \`npm install better-sqlite3@12\` (it compiles from source where no prebuilt binary can be downloaded: a C++ compiler, make and python3 are needed)`);
  }
}
