import type { Compression } from './index.js';
import { zlib } from './builtins.js';
import { zstdNapi } from './zstd.js';

/**
 * Synchronous decompressors that write into caller-owned output buffers.
 *
 * Why (measured, docs/performance.md): on this project's bench machine (a
 * Firecracker VM) memory a process touches for the first time costs ~2 ms per
 * MiB, and the streaming decoders allocate a fresh output buffer per chunk:
 * Node's gunzip stream inflated the real image's 121 MB base layer in ~600 ms
 * in a fresh process against ~235 ms for the same zlib writing into one reused
 * 256 KiB buffer. Without streams there is also no event hop per chunk.
 *
 * `write` inflates into the buffer `out()` gives (the same one again, or the next
 * slot of a HashRing) and hands each filled piece to `take`, which returns false
 * to stop (a safety limit); the piece is the caller's again after `take` returns.
 * A corrupt or truncated stream throws an Error worded as the streaming decoder
 * words it, so the pass's messages do not depend on the path.
 */
export type Out = () => Buffer;
export type Take = (piece: Buffer) => boolean;
export interface SyncInflater {
  write(input: Buffer, out: Out, take: Take): boolean;
  /** the input has ended: flushes, and throws when it ended inside the compressed data */
  end(out: Out, take: Take): boolean;
}

/** The part of a zlib stream's handle that its synchronous API uses (stable since Node 10). */
interface ZlibHandle { writeSync(flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number): void }
interface ZlibInternals { _handle?: ZlibHandle; _writeState?: Uint32Array; errored?: Error | null }

/**
 * gzip through Node's own zlib: the handle's writeSync is what `zlib.gunzipSync`
 * runs, with every member and error rule of the stream (multi-member eStargz,
 * trailing zeros accepted, "unexpected end of file" on truncation).
 * Null when this Node's zlib stream does not have that shape (the stream is used then).
 */
function zlibSync(): SyncInflater | null {
  const z = zlib().createGunzip() as unknown as ZlibInternals & NodeJS.EventEmitter;
  const h = z._handle;
  const ws = z._writeState;
  if (!h || typeof h.writeSync !== 'function' || !(ws instanceof Uint32Array)) return null;
  z.on('error', () => { /* read synchronously from `errored` below */ });
  const { Z_NO_FLUSH, Z_FINISH } = zlib().constants;
  const run = (flush: number, input: Buffer, out: Out, take: Take): boolean => {
    let inOff = 0;
    let availIn = input.length;
    for (;;) {
      const o = out();
      h.writeSync(flush, input, inOff, availIn, o, 0, o.length);
      if (z.errored) throw z.errored;
      const availOut = ws[0]!;
      const inAfter = ws[1]!;
      const have = o.length - availOut;
      if (have > 0 && !take(o.subarray(0, have))) return false;
      inOff += availIn - inAfter;
      availIn = inAfter;
      // zlib stops when the output is full; otherwise it has taken all it can of this input
      if (availOut !== 0) return true;
    }
  };
  const none = Buffer.alloc(0);
  return { write: (input, out, take) => run(Z_NO_FLUSH, input, out, take), end: (out, take) => run(Z_FINISH, none, out, take) };
}

/** zstd through the optional zstd-napi package, whose context decodes into the buffer it is given. */
function napiSync(): SyncInflater | null {
  const napi = zstdNapi();
  if (!napi) return null;
  const { dctx } = new napi.Decompressor();
  let inFrame = false;
  const write = (input: Buffer, out: Out, take: Take): boolean => {
    let src = input;
    for (;;) {
      const o = out();
      const [ret, produced, consumed] = dctx.decompressStream(o, src);
      src = src.subarray(consumed);
      if (produced > 0 && !take(o.subarray(0, produced))) return false;
      // done with this input once it is consumed and the output was not full (nothing left inside)
      if (src.length === 0 && (produced < o.length || ret === 0)) {
        inFrame = ret !== 0;
        return true;
      }
    }
  };
  return {
    write,
    end: () => {
      // worded as zlib and the zstd command's path word a truncated stream (compression/zstd.ts)
      if (inFrame) throw new Error('unexpected end of file');
      return true;
    },
  };
}

/**
 * A synchronous decompressor for `c`, or null when this Node
 * (and its optional packages) has none: the caller then uses the streaming pass.
 * `LAYERDIG_GZIP=igzip` and `LAYERDIG_ZSTD=…` ask for a streaming backend by name: null.
 */
export function syncInflater(c: Exclude<Compression, 'none'>): SyncInflater | null {
  if (c === 'gzip') return process.env.LAYERDIG_GZIP === 'igzip' ? null : zlibSync();
  const forced = process.env.LAYERDIG_ZSTD;
  return forced === undefined || forced === 'zstd-napi' ? napiSync() : null;
}

