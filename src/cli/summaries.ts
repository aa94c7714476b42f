import type { Argv } from './argv/types.js';
import { resolve } from 'node:path';
import { LayerdigError } from '../errors.js';
import { platformFilter, sortByArchive, summarize, type ImageSummary } from '../analysis/summary.js';
import { Catalog } from '../catalog/catalog.js';
import { absolute, defaultDbPath, display, within } from '../catalog/fingerprint.js';
import { openAll, warn, type GlobalArgs } from './context.js';

/** `--db [FILE]`: answer from the catalog; with no FILE (`--db` last, or `--db=`), the default one. */
export function dbOption<T>(y: Argv<T>, what: string) {
  return y.option('db', {
    type: 'string',
    describe: `${what} from the catalog (made by \`layerdig index\`) instead of opening archives; no FILE: ${defaultDbPath()}`,
  });
}

export function dbPath(db: string): string {
  return db === '' ? defaultDbPath() : db;
}

/**
 * The image summaries the cross-archive commands work on: from the inputs
 * (opened, JSON members only), or from the catalog with `--db` (the inputs, if
 * any, then only narrow it to archives under them). Stale catalog entries are
 * reported on stderr and left out.
 */
export async function loadSummaries(a: GlobalArgs & { db?: string }, inputs: string[]): Promise<ImageSummary[]> {
  if (a.db === undefined) {
    if (inputs.length === 0) throw new LayerdigError('E_USAGE', 'name archives or directories to search, or answer from the catalog with --db');
    const archives = await openAll(a, inputs);
    try {
      // shown as the catalog shows them, so both answers read the same
      const images = archives.flatMap((ar) => ar.images.map((img) => ({ ...summarize(img), archive: display(resolve(img.archive)) })));
      return platformFilter(sortByArchive(images), a.platform);
    } finally {
      for (const ar of archives) ar.close();
    }
  }
  return platformFilter(fromCatalog(dbPath(a.db), inputs.length ? inputs : null), a.platform);
}

export function fromCatalog(db: string, roots: string[] | null): ImageSummary[] {
  const cat = Catalog.open(db, { create: false });
  try {
    return catalogSummaries(cat, db, roots);
  } finally {
    cat.close();
  }
}

/** The trusted images of an open catalog under `roots`; stale entries and roots the catalog does not know are reported on stderr. */
export function catalogSummaries(cat: Catalog, db: string, roots: string[] | null): ImageSummary[] {
  const { images, stale } = cat.summaries(roots);
  for (const s of stale) {
    warn(`${s.archive}: in the catalog but ${s.why === 'gone' ? 'gone (moved or deleted)' : 'changed since it was indexed'}: not used (run \`layerdig index\` again)`);
  }
  if (roots) {
    const known = cat.archives().map((r) => r.path);
    for (const r of roots) {
      const abs = absolute(r);
      if (!known.some((k) => within(k, abs) || within(abs, k))) warn(`${r}: not in the catalog ${db} (run \`layerdig index ${r} --db ${db}\`)`);
    }
  }
  return images;
}
