import type { Store } from '../store/store.js';
import type { ArchiveDeclared, ImageSource } from '../image/model.js';

/**
 * One image-archive layout. Adding a format = one file implementing this and
 * one line in formats.ts; nothing downstream changes.
 */
export interface Format {
  readonly name: string;
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
}
