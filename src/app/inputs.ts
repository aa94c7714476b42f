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
  const visited = new Set<string>();
  for (const p of paths) yield* openOne(p, { settle: true, ...opts }, true, 0, visited);
}

async function* openOne(
  p: string,
  opts: InputOptions & { settle?: boolean },
  named: boolean,
  depth: number,
  visited: Set<string>,
): AsyncGenerator<Opened> {
  try {
    yield { path: p, archive: await openArchive(p) };
    return;
  } catch (e) {
    const notArchive = e instanceof LayerdigError && e.code === 'E_NOT_AN_ARCHIVE';
    if (!(notArchive && opts.recursive && isDir(p))) {
      if (!(e instanceof LayerdigError)) throw e;
      if (opts.settle && (named || !notArchive)) {
        yield { path: p, error: e };
        return;
      }
      if (named) throw e;
      opts.onSkip?.(p, e.message);
      return;
    }
  }
  // like find(1): a symlinked directory is opened if it is an image layout, never searched
  // (`a -> .` or `up -> ..` would loop or leave the tree); a directory reached twice is searched once
  let real: string;
  try {
    if (!named && lstatSync(p).isSymbolicLink()) {
      opts.onSkip?.(p, 'a symbolic link to a directory that is not an image layout: not searched');
      return;
    }
    real = realpathSync(p);
  } catch {
    return;
  }
  if (visited.has(real) || depth > 32) return;
  visited.add(real);
  let names: string[];
  try {
    names = readdirSync(p).sort();
  } catch (e) {
    opts.onSkip?.(p, (e as Error).message);
    return;
  }
  for (const name of names) {
    const child = join(p, name);
    yield* openOne(child, opts, false, depth + 1, visited);
  }
}
