import type { Transform } from 'node:stream';
import { zstdDecompressor } from './zstd.js';
import { ChildInflater, onPath } from './child.js';
import { zlib } from './builtins.js';

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

/**
 * gzip decoders: Node's zlib (libuv's thread pool), or, when asked for, ISA-L's
 * `igzip -dc` in a child process where the machine has it (Debian package `isal`):
 * alone it inflates ~2-3.7x faster than `gzip -dc` (README "Performance"). The pass trusts igzip's answer only when it is
 * certainly zlib's too (see pass.ts); otherwise it reads the layer again with zlib.
 * `LAYERDIG_GZIP=igzip` asks for igzip; anything else is zlib.
 */
export type GzipBackend = 'zlib' | 'igzip';

let igzipBin: string | null | undefined;
function igzip(): string | null {
  if (igzipBin === undefined) igzipBin = process.env.LAYERDIG_GZIP === 'zlib' ? null : onPath('igzip');
  return igzipBin;
}

/**
 * The gzip backend for a blob of `size` bytes: igzip only when asked for
 * (`LAYERDIG_GZIP=igzip`), then for every gzip blob that can be read again. Not the
 * default, measured twice on this project's 2 shared cores (README "Performance"): the
 * pass's critical path is this thread (both sha256 and the tar walk), not the inflate,
 * which zlib already runs on another core; igzip adds a pipe hop per 64 KiB and a third
 * process. Real Debian image, min of 5 interleaved: the 121 MB base layer 1.82 s against
 * 1.99 s (zlib), the 64 MiB random layer 1.49 s against 1.25 s, the whole
 * `layers --json` 3.5 s against 2.8 s (-j 1) and 4.3 s against 2.3 s (-j 2).
 */
export function gzipBackendFor(_size: number | undefined): GzipBackend {
  return process.env.LAYERDIG_GZIP === 'igzip' && igzip() ? 'igzip' : 'zlib';
}

export function decompressor(c: Exclude<Compression, 'none'>, gzip: GzipBackend = 'zlib'): Transform {
  if (c === 'gzip') {
    const bin = gzip === 'igzip' ? igzip() : null;
    // igzip's own words do not matter: any failure is read again with zlib, whose message is the answer
    if (bin) return new ChildInflater(bin, ['-d', '-c', '-q'], (line, code, signal) => line || `igzip exited with ${code ?? signal}`) as unknown as Transform;
    // multi-member gzip (eStargz) is handled: zlib keeps inflating after a member ends.
    // The default finish flush (Z_FINISH) makes a stream cut short an error ("unexpected end
    // of file"), as Go's gzip reader (Docker) does, instead of ending quietly.
    return zlib().createGunzip({ chunkSize: INFLATE_CHUNK });
  }
  return zstdDecompressor();
}

/** A failure while decompressing or reading a layer, in the words every layer pass uses. */
export function decompressionMessage(e: unknown, c: Compression | undefined): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/unexpected end of file/i.test(msg)) return `truncated ${c ?? ''} data (${msg})`.replace('  ', ' ');
  if (c && c !== 'none') return `cannot decompress ${c} data (${msg})`;
  return msg;
}
