import { LayerdigError } from '../errors.js';
import type { Compression } from '../compression/index.js';
import type { Limits } from '../limits.js';

/** The layer pass's safety limits, as pure checks over what it has counted so far. */

export type PassLimits = Pick<Limits, 'maxLayerBytes' | 'maxRatio' | 'maxLayerEntries' | 'maxTrailingBytes'>;

export interface PassCounts {
  compression: Compression | undefined;
  compressedSize: number;
  uncompressedSize: number;
  /** decompressed offset where the last tar entry's padded body ends; null when no tar reader runs */
  tarEnd: number | null;
}

/**
 * A decompression bomb: too many bytes, too high a ratio (only past 1 GiB, so
 * small odd layers are never refused), or too much data after the last entry.
 */
export function bombCheck(where: string, c: PassCounts, l: PassLimits): LayerdigError | null {
  const { maxLayerBytes, maxRatio, maxTrailingBytes } = l;
  const { uncompressedSize, compressedSize } = c;
  if (uncompressedSize > maxLayerBytes
    || (uncompressedSize > 1024 ** 3 && c.compression !== 'none' && uncompressedSize > compressedSize * maxRatio)) {
    return new LayerdigError('E_LIMIT', `${where}: decompressed past ${uncompressedSize} bytes from ${compressedSize} compressed `
      + `(limits: ${maxLayerBytes} bytes, ratio ${maxRatio}): stopped as a likely decompression bomb (raise --max-layer-bytes / --max-ratio if it is real)`);
  }
  if (c.tarEnd !== null && uncompressedSize - c.tarEnd > maxTrailingBytes) {
    return new LayerdigError('E_LIMIT', `${where}: more than ${maxTrailingBytes} bytes of data after the last tar entry `
      + `(at byte ${c.tarEnd} of ${uncompressedSize} decompressed): stopped as a likely decompression bomb (raise --max-trailing-bytes if it is real)`);
  }
  return null;
}

/** Each listed entry costs memory: too many in one layer stops the pass. */
export function entriesCheck(where: string, entries: number, l: Pick<Limits, 'maxLayerEntries'>): LayerdigError | null {
  return entries > l.maxLayerEntries
    ? new LayerdigError('E_LIMIT', `${where}: more than ${l.maxLayerEntries} entries in one layer: stopped (a safety limit; raise --max-layer-entries)`)
    : null;
}
