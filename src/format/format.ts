import type { Store } from '../store/store.js';
import type { ArchiveDeclared, ImageSource } from '../image/model.js';

/**
 * One image-archive layout. Adding a format = one file implementing this and
 * one entry in formats.ts' FORMATS (plus its fixture in the conformance test);
 * everything else asks the Format object: detection order, the words of the
 * not-an-archive message, which members are metadata, which are blobs, the
 * media family of its manifest-less images.
 */
export interface Format {
  /** the name `images --json` and `inspect` show as the archive's format */
  readonly name: string;
  /**
   * Detection order, lower first: a layout whose marker another one also
   * carries goes first (a skopeo dir has a manifest.json too, as a docker save
   * does, so it is tried before docker-archive).
   */
  readonly priority: number;
  /** what marks this format, for "not a container image archive (no …)": e.g. `manifest.json` */
  readonly describe: string;
  /** decide from content (member names and small JSON members), never from the file name */
  detect(store: Store): Promise<boolean>;
  /**
   * List the images; reads JSON only, never a layer body. What the documents
   * declare beyond the images (nested indexes, missing blobs) goes to `declared`.
   */
  load(store: Store, declared?: ArchiveDeclared): Promise<ImageSource[]>;
  /**
   * The store every later read goes through, when the format's layers are not
   * members of the input (a Docker data-root: unpacked directories, read as tars).
   */
  wrap?(store: Store): Store;
  /**
   * A member this format reads whole as metadata (JSON-looking members are kept
   * anyway): a compressed tar keeps these in memory during its one pass.
   */
  isMetadata?(name: string): boolean;
  /**
   * A member named like one of this format's content-addressed blobs: `verify`
   * notes those no document references. Without it: OCI `blobs/sha256/<hex>`.
   */
  isBlob?(name: string): boolean;
  /**
   * The media family (`docker`, `oci`) of an image this format names `name`
   * when no manifest media type says it (a docker save's manifest.json entry).
   */
  readonly mediaFamily?: 'docker' | 'oci';
}

/** The last path component of a member name is one of `names`. */
export function baseNameIn(name: string, names: readonly string[]): boolean {
  return names.includes(name.slice(name.lastIndexOf('/') + 1));
}

/** An OCI image layout's content-addressed blob name (any tar may carry one; Docker 25 saves do). */
export function isOciBlobName(name: string): boolean {
  return /^blobs\/sha256\/[0-9a-f]{64}$/.test(name);
}
