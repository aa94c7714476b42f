import type { Package } from './model.js';

/** rpm's BerkeleyDB `Packages` (hash format): not read yet — said so, never "0 packages". */
export function readRpmBdb(bytes: Buffer): Package[] {
  void bytes;
  throw new Error('a BerkeleyDB rpm database (rpm < 4.16), which layerdig does not read yet');
}
