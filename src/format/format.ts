import type { Store } from '../store/store.js';
import type { ImageSource } from '../image/model.js';

/**
 * One image-archive layout. Adding a format = one file implementing this and
 * one line in formats.ts; nothing downstream changes.
 */
export interface Format {
  readonly name: string;
  /** decide from content (member names and small JSON members), never from the file name */
  detect(store: Store): Promise<boolean>;
  /** list the images; reads JSON only, never a layer body */
  load(store: Store): Promise<ImageSource[]>;
}
