import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LayerdigError } from './errors.js';
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

/**
 * Open every input: archives, image directories and (with `recursive`) plain
 * directories searched for them. A path named on the command line that is not
 * an archive is an error; one found inside a directory is skipped with a note.
 */
export async function* openInputs(paths: string[], opts: InputOptions): AsyncGenerator<Archive> {
  for (const p of paths) yield* openOne(p, opts, true, 0);
}

async function* openOne(p: string, opts: InputOptions, named: boolean, depth: number): AsyncGenerator<Archive> {
  try {
    yield await openArchive(p);
    return;
  } catch (e) {
    const notArchive = e instanceof LayerdigError && e.code === 'E_NOT_AN_ARCHIVE';
    if (!(notArchive && opts.recursive && isDir(p))) {
      if (named || !(e instanceof LayerdigError)) throw e;
      opts.onSkip?.(p, e.message);
      return;
    }
  }
  if (depth > 32) return;
  for (const name of readdirSync(p).sort()) {
    const child = join(p, name);
    yield* openOne(child, opts, false, depth + 1);
  }
}
