import { createRequire } from 'node:module';
import type { Transform, TransformCallback } from 'node:stream';
import { LayerdigError } from '../errors.js';
import { ChildInflater, onPath } from './child.js';
import { zlib } from './builtins.js';

/**
 * zstd decoders, fastest first (measured on Node 20, 2 cores; README "Performance"):
 * - `zlib`: Node >= 22.15 has zstd in zlib (thread pool, like gunzip);
 * - `zstd-cli`: the system `zstd -dc` in a child process: decoding runs on
 *   another core while this thread hashes and lists (~1.3-1.5x zstd-napi here);
 * - `zstd-napi`: the optional native package, synchronous on the calling thread.
 * (The pure-JS `fzstd` decoded at under half zstd-napi's speed: not used.)
 * `LAYERDIG_ZSTD=zlib|zstd-cli|zstd-napi` forces one (benchmarks, debugging).
 */
export type ZstdBackend = 'zlib' | 'zstd-cli' | 'zstd-napi';
type Factory = () => Transform;

let chosen: { backend: ZstdBackend; make: Factory } | null | undefined;

export interface NapiDCtx { decompressStream(dst: Buffer, src: Buffer): [number, number, number] }
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
      // the chunk finished here: Transform may have parked its callback for this very _read
      // (its buffer was full); release it, or a pump that pushed nothing would stall the stream
      if (!this.pending) super._read(size);
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

function builtinFactory(): Factory | null {
  const builtin = (zlib() as unknown as { createZstdDecompress?: (o?: object) => Transform }).createZstdDecompress;
  return typeof builtin === 'function' ? () => builtin({ chunkSize: 256 * 1024 }) : null;
}

/** The parts of the optional zstd-napi package layerdig uses: its stream, and the one-shot decompressor's context. */
export interface ZstdNapi { DecompressStream: NapiStreamClass; Decompressor: new () => { dctx: NapiDCtx } }
let napiModule: ZstdNapi | null | undefined;

/** zstd-napi, loaded once; null where it did not install. */
export function zstdNapi(): ZstdNapi | null {
  if (napiModule === undefined) {
    try {
      napiModule = createRequire(import.meta.url)('zstd-napi') as ZstdNapi;
    } catch {
      napiModule = null;
    }
  }
  return napiModule;
}

function napiFactory(): Factory | null {
  const napi = zstdNapi();
  return napi ? boundedNapi(napi.DecompressStream) : null;
}

/** zstd's last stderr line, in the words zlib uses for the same failure */
function zstdMessage(line: string, code: number | null, signal: string | null): string {
  const msg = line.replace(/^zstd: /, '').replace(/\/\*stdin\*\\ ?: /, '').replace(/^(Read|Decoding) error \(\d+\) : /, '') || `zstd exited with ${code ?? signal}`;
  return /premature end|truncated/i.test(msg) ? 'unexpected end of file' : msg;
}

function cliFactory(): Factory | null {
  const bin = onPath('zstd');
  return bin ? () => new ChildInflater(bin, ['-d', '-c', '-q', '--no-progress'], zstdMessage) as unknown as Transform : null;
}

function choose(): { backend: ZstdBackend; make: Factory } | null {
  const forced = process.env.LAYERDIG_ZSTD as ZstdBackend | undefined;
  const all: [ZstdBackend, () => Factory | null][] = [['zlib', builtinFactory], ['zstd-cli', cliFactory], ['zstd-napi', napiFactory]];
  for (const [backend, f] of all) {
    if (forced && forced !== backend) continue;
    const make = f();
    if (make) return { backend, make };
  }
  return null;
}

export function zstdBackend(): ZstdBackend | null {
  if (chosen === undefined) chosen = choose();
  return chosen?.backend ?? null;
}

export function zstdDecompressor(): Transform {
  if (chosen === undefined) chosen = choose();
  if (!chosen) {
    throw new LayerdigError(
      'E_UNSUPPORTED',
      process.env.LAYERDIG_ZSTD
        ? `this layer is zstd-compressed and the zstd decoder LAYERDIG_ZSTD=${process.env.LAYERDIG_ZSTD} is not available`
        : 'this layer is zstd-compressed and this Node has no zstd decoder: use Node >= 22.15, install the zstd command, or install the optional package zstd-napi',
    );
  }
  return chosen.make();
}
