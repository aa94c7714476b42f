import { lstatSync, readdirSync, realpathSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LayerdigError } from '../errors.js';
import { openArchive, type Archive } from './archive.js';

export interface InputOptions {
  /** search directories that are not themselves an image layout, recursively */
  recursive: boolean;
  /** a path that is not an archive, found while searching a directory */
  onSkip?: (path: string, reason: string) => void;
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/** An input opened, or the error that stopped it (verify reports both). */
export type Opened = { path: string; archive: Archive; error?: undefined } | { path: string; archive?: undefined; error: LayerdigError };

/**
 * Open every input: archives, image directories and (with `recursive`) plain
 * directories searched for them. A path named on the command line that is not
 * an archive is an error; one found inside a directory is skipped with a note.
 */
export async function* openInputs(paths: string[], opts: InputOptions): AsyncGenerator<Archive> {
  for await (const o of openInputsSettled(paths, { ...opts, settle: false })) if (o.archive) yield o.archive;
}

/**
 * Like openInputs, but with `settle` an archive that fails to open (corrupt,
 * truncated, a limit) is yielded with its error instead of ending the walk; only
 * what is not an archive at all is skipped inside a directory.
 */
export async function* openInputsSettled(paths: string[], opts: InputOptions & { settle?: boolean }): AsyncGenerator<Opened> {
  const o = { settle: true, ...opts };
  yield* searchInputs(paths, (p, named) => openOne(p, o, named), opts.onSkip);
}

/** Open one path; `descend` when it is a directory to search instead. */
async function openOne(p: string, opts: InputOptions & { settle?: boolean }, named: boolean): Promise<Visited<Opened>> {
  try {
    return { out: { path: p, archive: await openArchive(p) }, descend: false };
  } catch (e) {
    const notArchive = e instanceof LayerdigError && e.code === 'E_NOT_AN_ARCHIVE';
    if (notArchive && opts.recursive && isDir(p)) return { descend: true };
    if (!(e instanceof LayerdigError)) throw e;
    if (opts.settle && (named || !notArchive)) return { out: { path: p, error: e }, descend: false };
    if (named) throw e;
    opts.onSkip?.(p, e.message);
    return { descend: false };
  }
}

/** What visiting one path gave: something to yield, and whether to search it as a directory. */
export interface Visited<T> {
  out?: T;
  descend: boolean;
}

/** How deep a directory search goes below a named input. */
const MAX_DEPTH = 32;

/**
 * The one directory search for inputs (commands and `catalog index`): each
 * named path is visited; a directory the visitor does not take as an input is
 * searched, children in name order, depth first. Like find(1), a symlinked
 * directory found inside is opened if it is an input, never searched (`a -> .`
 * or `up -> ..` would loop or leave the tree), and a directory reached twice
 * (by two named paths) is searched once.
 */
export async function* searchInputs<T>(
  paths: string[],
  visit: (path: string, named: boolean) => Promise<Visited<T>>,
  onSkip?: (path: string, reason: string) => void,
): AsyncGenerator<T> {
  const visited = new Set<string>();
  async function* one(p: string, named: boolean, depth: number): AsyncGenerator<T> {
    const v = await visit(p, named);
    if (v.out !== undefined) yield v.out;
    if (!v.descend) return;
    let real: string;
    try {
      if (!named && lstatSync(p).isSymbolicLink()) {
        onSkip?.(p, 'a symbolic link to a directory that is not an image layout: not searched');
        return;
      }
      real = realpathSync(p);
    } catch {
      return;
    }
    if (visited.has(real) || depth > MAX_DEPTH) return;
    visited.add(real);
    let names: string[];
    try {
      names = readdirSync(p).sort();
    } catch (e) {
      onSkip?.(p, (e as Error).message);
      return;
    }
    for (const name of names) yield* one(join(p, name), false, depth + 1);
  }
  for (const p of paths) yield* one(p, true, 0);
}
