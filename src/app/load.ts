import type { Image } from '../image/model.js';
import type { LayerEntry } from '../layer/entry.js';
import type { LayerListing } from '../layer/pass.js';
import type { LayerReader } from '../layer/reader.js';
import { overlay, type Overlay } from '../analysis/filetree.js';
import { LayerdigError } from '../errors.js';
import { openInputsSettled } from './inputs.js';
import type { Archive } from './archive.js';
import type { Problem } from './outcome.js';

/**
 * The one way every command gets its images: open the inputs, keep what
 * opened, and turn each input or image that cannot be read into a Problem
 * (the caller names it on stderr and the command ends "partial"), so one bad
 * archive never hides the others.
 */
export interface Opened {
  archives: Archive[];
  problems: Problem[];
}

export interface OpenOptions {
  /** search plain directories for archives (a named directory that is an image layout is one archive) */
  recursive: boolean;
  /** a path found while searching a directory that is not an archive at all */
  onSkip?: (path: string, why: string) => void;
}

export async function openEvery(paths: string[], opts: OpenOptions): Promise<Opened> {
  const archives: Archive[] = [];
  const problems: Problem[] = [];
  for await (const o of openInputsSettled(paths, { ...opts, settle: true })) {
    if (!o.archive) {
      problems.push({ input: o.path, error: o.error });
      continue;
    }
    archives.push(o.archive);
    for (const error of o.archive.errors) problems.push({ input: o.path, error });
  }
  return { archives, problems };
}

/** An image with its layer listings (read once per diffID) and its overlay. */
export interface LoadedImage {
  archive: Archive;
  image: Image;
  /** each layer's entries, bottom first */
  listings: LayerEntry[][];
  /** each layer as read (its computed diffID, sizes) */
  read: LayerListing[];
  overlay: Overlay;
}

/**
 * Read the layers of these images (each distinct layer once, in the cheapest
 * order) and build each overlay. With `settle`, an image whose layers cannot
 * be read becomes a Problem and the others are still returned (unless none
 * can be read: then the first error is thrown); without, the error is thrown.
 */
export async function loadImages(reader: LayerReader, ar: Archive, images: Image[], settle?: (p: Problem) => void): Promise<LoadedImage[]> {
  try {
    await reader.prefetch(ar.store, images);
  } catch (e) {
    // read image by image below: the layers already read are cached, the broken one fails its images only
    if (!settle || !(e instanceof LayerdigError)) throw e;
  }
  const out: LoadedImage[] = [];
  const failed: LayerdigError[] = [];
  for (const image of images) {
    try {
      const read: LayerListing[] = [];
      for (const l of image.layers) read.push(await reader.listing(ar.store, l));
      const listings = read.map((l) => l.entries);
      out.push({ archive: ar, image, listings, read, overlay: overlay(listings) });
    } catch (e) {
      if (!settle || !(e instanceof LayerdigError)) throw e;
      failed.push(e);
    }
  }
  if (out.length === 0 && failed.length) throw failed[0];
  for (const error of failed) settle!({ input: ar.path, error });
  return out;
}

/**
 * The one diffID-mismatch policy: a layer whose content does not hash to the
 * diffID its config declares is a finding. Every command still prints its
 * result (from the content as read), warns once per layer, and exits 1.
 */
export function mismatchWarnings(reader: LayerReader, already: Set<string>): string[] {
  const out: string[] = [];
  for (const m of reader.mismatches) {
    const key = `${m.where}\0${m.actual}`;
    if (already.has(key)) continue;
    already.add(key);
    out.push(`${m.where}: layer ${m.layer.index} hashes to ${m.actual} but the config declares diffID ${m.layer.diffId} — the archive does not match its config`);
  }
  return out;
}
