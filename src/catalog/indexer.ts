import { statSync } from 'node:fs';
import { openArchive, type Archive } from '../app/archive.js';
import { searchInputs, type Visited } from '../app/inputs.js';
import { LayerdigError } from '../errors.js';
import type { Layer } from '../image/model.js';
import { readLayer } from '../layer/pass.js';
import { summarize } from '../analysis/summary.js';
import type { Catalog } from './catalog.js';
import type { ImageInventory } from '../packages/inventory.js';
import { absolute, display, fingerprint, sameFingerprint, within } from './fingerprint.js';

export type IndexStatus = 'indexed' | 'updated' | 'unchanged' | 'removed' | 'failed';

export interface IndexedArchive {
  archive: string;
  status: IndexStatus;
  format: string | null;
  images: number;
  /** layers whose file listing this run read (0 without --files, or when all were known by diffID) */
  layersListed: number;
  /** for `failed` and `removed`: why */
  reason: string | null;
}

export interface IndexOptions {
  /** also record every layer's file listing (reads layer bodies) */
  files: boolean;
  /** also record every image's package inventory (reads the layers and their package databases) */
  packages?: boolean;
  /** how an archive's inventories are read (given by the caller, who owns the layer reader) */
  inventory?: (ar: Archive) => Promise<ImageInventory[]>;
  /** a path found inside a directory that is not an archive */
  onSkip?: (path: string, why: string) => void;
  onNote?: (msg: string) => void;
  /** an image of an archive that could not be read (the rest of the archive is indexed) */
  onProblem?: (path: string, error: LayerdigError) => void;
  /** one archive done */
  onArchive?: (a: IndexedArchive) => void;
}

const isDir = (p: string) => {
  try {
    return statSync(p).isDirectory();
  } catch {
    return false;
  }
};

/**
 * Record every archive under `inputs` in the catalog. An archive whose
 * size+mtime are those recorded is skipped without being opened (unless
 * `--files` asks for listings it lacks); a layer whose diffID already has a
 * listing is not read again. Catalog entries under the inputs whose archive is
 * gone are removed (and reported). A broken archive is reported and the rest
 * indexed.
 */
export async function indexInputs(cat: Catalog, inputs: string[], opts: IndexOptions): Promise<IndexedArchive[]> {
  const out: IndexedArchive[] = [];
  const listedThisRun = new Set<string>();
  const done = (a: IndexedArchive) => {
    out.push(a);
    opts.onArchive?.(a);
  };

  const seen = new Set<string>();
  // one archive (or a directory to search: `descend`)
  const visit = async (p: string, named: boolean): Promise<Visited<never>> => {
    const abs = absolute(p);
    seen.add(abs);
    const fp = fingerprint(abs);
    if (!fp) {
      if (named) throw new LayerdigError('E_IO', `${p}: no such file or directory`);
      return { descend: false };
    }
    const known = cat.archive(abs);
    const same = known !== null && sameFingerprint(known.fingerprint, fp);
    if (known && same && (!opts.files || known.files) && (!opts.packages || known.packages)) {
      done({ archive: display(abs), status: 'unchanged', format: known.format, images: cat.imageCount(abs), layersListed: 0, reason: null });
      return { descend: false };
    }
    let ar: Archive;
    try {
      ar = await openArchive(p);
    } catch (e) {
      const notArchive = e instanceof LayerdigError && e.code === 'E_NOT_AN_ARCHIVE';
      if (known) {
        cat.removeArchive(abs);
        done({ archive: display(abs), status: 'removed', format: known.format, images: 0, layersListed: 0, reason: e instanceof Error ? e.message : String(e) });
      }
      if (notArchive && fp.kind === 'dir') return { descend: true };
      if (notArchive) {
        if (named) throw e;
        opts.onSkip?.(p, (e as Error).message);
        return { descend: false };
      }
      if (!(e instanceof LayerdigError)) throw e;
      done({ archive: display(abs), status: 'failed', format: null, images: 0, layersListed: 0, reason: e.message });
      return { descend: false };
    }
    try {
      done(await recordArchive(cat, ar, p, { abs, fp, known, same }, opts, listedThisRun));
    } catch (e) {
      if (!(e instanceof LayerdigError)) throw e;
      done({ archive: display(abs), status: 'failed', format: ar.format, images: 0, layersListed: 0, reason: e.message });
    } finally {
      ar.close();
    }
    return { descend: false };
  };

  for await (const none of searchInputs(inputs, visit, opts.onSkip)) void none;

  // entries under the inputs whose archive is gone: moved or deleted
  const roots = inputs.map(absolute).filter((r) => isDir(r));
  for (const a of cat.archives()) {
    if (seen.has(a.path) || !roots.some((r) => within(a.path, r)) || fingerprint(a.path)) continue;
    cat.removeArchive(a.path);
    done({ archive: display(a.path), status: 'removed', format: a.format, images: 0, layersListed: 0, reason: 'gone (moved or deleted)' });
  }
  cat.prune();
  return out;
}

/** Record an opened archive: its images' summaries and, with `files`, the listings of layers no one recorded yet. */
async function recordArchive(
  cat: Catalog, ar: Archive, p: string, at: { abs: string; fp: NonNullable<ReturnType<typeof fingerprint>>; known: ReturnType<Catalog['archive']>; same: boolean },
  opts: IndexOptions, listedThisRun: Set<string>,
): Promise<IndexedArchive> {
  const { abs, fp, known, same } = at;
  for (const n of ar.notes) opts.onNote?.(`${p}: ${n}`);
  // images that could not be built (their siblings are indexed): the caller names each
  for (const e of ar.errors) opts.onProblem?.(p, e);
  const summaries = ar.images.map(summarize);
  let listed = 0;
  if (opts.files) {
    const todo = new Map<string, Layer>();
    for (const img of ar.images) {
      for (const l of img.layers) {
        if (!listedThisRun.has(l.diffId) && !cat.hasLayerFiles(l.diffId) && !todo.has(l.member)) todo.set(l.member, l);
      }
    }
    await ar.store.each([...todo.keys()], async (member, body) => {
      const l = todo.get(member)!;
      const listing = await readLayer(body, { where: l.storage });
      // a layer written from an unpacked directory (no tar-split) cannot hash to its diffID: its listing is what every other command reads for it
      if (listing.diffId !== l.diffId && !ar.store.diffIdUnchecked?.(l.member)) {
        opts.onNote?.(`${l.storage}: layer ${l.index} hashes to ${listing.diffId}, not its diffID ${l.diffId}: its listing is not recorded`);
        return;
      }
      cat.putLayerFiles(l.diffId, listing.entries);
      listedThisRun.add(l.diffId);
      listed++;
    });
  }
  // an unchanged archive read again for listings keeps its inventory: read it again too
  const withPackages = (opts.packages || (same && known?.packages)) && opts.inventory !== undefined;
  const inventories = withPackages ? await opts.inventory!(ar) : null;
  for (const [i, inv] of (inventories ?? []).entries()) {
    if (inv.error !== null) opts.onNote?.(`${p}: image ${i}: its packages are not recorded: ${inv.error}`);
  }
  // the archive counts as listed when every one of its layers has a listing, whoever recorded it
  const files = ar.images.every((img) => img.layers.every((l) => listedThisRun.has(l.diffId) || cat.hasLayerFiles(l.diffId)));
  cat.putArchive({
    path: abs, fingerprint: fp, format: ar.format, notes: ar.notes, files,
    indexedAt: new Date().toISOString(), packages: inventories !== null,
  }, summaries, inventories);
  return { archive: display(abs), status: known ? 'updated' : 'indexed', format: ar.format, images: summaries.length, layersListed: listed, reason: null };
}
