import * as zlib from 'node:zlib';
import { createRequire } from 'node:module';
import type { Transform, TransformCallback } from 'node:stream';
import { LayerdigError } from '../errors.js';

/**
 * zstd: Node >= 22.15 has it in zlib; on Node 20 we fall back to the optional
 * native `zstd-napi` (measured ~2.5x the pure-JS decoders here).
 */
type Factory = () => Transform;

let factory: Factory | null | undefined;

interface NapiDCtx { decompressStream(dst: Buffer, src: Buffer): [number, number, number] }
type NapiStreamClass = new () => Transform & { dctx: NapiDCtx; inFrame: boolean };

/** Output per native call: zstd's recommended ZSTD_DStreamOutSize(). */
const OUT_CHUNK = 128 * 1024;

/**
 * zstd-napi's DecompressStream inflates a whole input chunk in one synchronous
 * loop, pushing every output buffer whatever the consumer says: a 256 KB frame
 * of RLE blocks becomes gigabytes in memory before anyone can stop it. This
 * subclass makes the same native calls but stops when `push` says the reader
 * is full (resuming from `_read`) and when the stream is destroyed, so the
 * layer pass's limits stop a bomb at once.
 */
function boundedNapi(Base: NapiStreamClass): Factory {
  class Bounded extends Base {
    private pending: { src: Buffer; done: TransformCallback } | null = null;

    override _transform(chunk: Buffer, _enc: BufferEncoding, done: TransformCallback): void {
      this.pending = { src: chunk, done };
      this.pump();
    }

    override _read(size: number): void {
      if (this.pending) this.pump();
      else super._read(size);
    }

    private pump(): void {
      const p = this.pending!;
      for (;;) {
        if (this.destroyed) {
          this.pending = null;
          return;
        }
        const dst = Buffer.allocUnsafe(OUT_CHUNK);
        let ret: number;
        let produced: number;
        let consumed: number;
        try {
          [ret, produced, consumed] = this.dctx.decompressStream(dst, p.src);
        } catch (e) {
          this.pending = null;
          p.done(e as Error);
          return;
        }
        p.src = p.src.subarray(consumed);
        const more = produced > 0 ? this.push(dst.subarray(0, produced)) : true;
        if (p.src.length === 0 && (produced < dst.length || ret === 0)) {
          this.inFrame = ret !== 0;
          this.pending = null;
          p.done();
          return;
        }
        if (!more) return; // _read resumes
      }
    }
  }
  return () => new Bounded();
}

function findFactory(): Factory | null {
  const builtin = (zlib as unknown as { createZstdDecompress?: (o?: object) => Transform }).createZstdDecompress;
  if (typeof builtin === 'function') return () => builtin({ chunkSize: 256 * 1024 });
  try {
    const require = createRequire(import.meta.url);
    const napi = require('zstd-napi') as { DecompressStream: NapiStreamClass };
    return boundedNapi(napi.DecompressStream);
  } catch {
    return null;
  }
}

export function zstdBackend(): 'zlib' | 'zstd-napi' | null {
  const f = factory === undefined ? (factory = findFactory()) : factory;
  if (!f) return null;
  const builtin = (zlib as unknown as { createZstdDecompress?: unknown }).createZstdDecompress;
  return typeof builtin === 'function' ? 'zlib' : 'zstd-napi';
}

export function zstdDecompressor(): Transform {
  if (factory === undefined) factory = findFactory();
  if (!factory) {
    throw new LayerdigError(
      'E_UNSUPPORTED',
      'this layer is zstd-compressed and this Node has no zstd decoder: use Node >= 22.15 or install the optional package zstd-napi',
    );
  }
  return factory();
}
