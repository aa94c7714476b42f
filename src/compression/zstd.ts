import * as zlib from 'node:zlib';
import { createRequire } from 'node:module';
import type { Transform } from 'node:stream';
import { LayerdigError } from '../errors.js';

/**
 * zstd: Node >= 22.15 has it in zlib; on Node 20 we fall back to the optional
 * native `zstd-napi` (measured ~2.5x the pure-JS decoders here).
 */
type Factory = () => Transform;

let factory: Factory | null | undefined;

function findFactory(): Factory | null {
  const builtin = (zlib as unknown as { createZstdDecompress?: (o?: object) => Transform }).createZstdDecompress;
  if (typeof builtin === 'function') return () => builtin({ chunkSize: 256 * 1024 });
  try {
    const require = createRequire(import.meta.url);
    const napi = require('zstd-napi') as { DecompressStream: new () => Transform };
    return () => new napi.DecompressStream();
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
