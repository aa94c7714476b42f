import { createGunzip } from 'node:zlib';
import type { Transform } from 'node:stream';
import { zstdDecompressor } from './zstd.js';

/** How a blob is compressed, decided by its magic bytes: media types lie. */
export type Compression = 'gzip' | 'zstd' | 'none';

export function sniffCompression(head: Buffer): Compression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  if (head.length >= 4 && head.readUInt32LE(0) === 0xfd2fb528) return 'zstd';
  // zstd skippable frame (0x184D2A50..5F), used by some writers for metadata
  if (head.length >= 4 && (head.readUInt32LE(0) & 0xfffffff0) === 0x184d2a50) return 'zstd';
  return 'none';
}

/** Inflate chunk size: 256 KiB measured ~2.7x faster than zlib's 16 KiB default here. */
export const INFLATE_CHUNK = 256 * 1024;
/** Read size for blobs on disk. */
export const READ_CHUNK = 1024 * 1024;

export function decompressor(c: Exclude<Compression, 'none'>): Transform {
  if (c === 'gzip') {
    // multi-member gzip (eStargz) is handled: zlib keeps inflating after a member ends.
    // The default finish flush (Z_FINISH) makes a stream cut short an error ("unexpected end
    // of file"), as Go's gzip reader (Docker) does, instead of ending quietly.
    return createGunzip({ chunkSize: INFLATE_CHUNK });
  }
  return zstdDecompressor();
}
