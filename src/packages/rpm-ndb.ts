import type { Package } from './model.js';

/** rpm's ndb `Packages.db`: not read yet — said so, never "0 packages". */
export function readRpmNdb(bytes: Buffer): Package[] {
  void bytes;
  throw new Error('an ndb rpm database (SUSE), which layerdig does not read yet');
}
