import { Readable, type Transform } from 'node:stream';
import { Sha256Count, type Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import { limits } from '../limits.js';
import { decompressionMessage, decompressor, gzipBackendFor, sniffCompression, type Compression, type GzipBackend } from '../compression/index.js';
import type { LayerEntry } from './entry.js';
import { HandOff, type Taken } from './hand-off.js';
import { bombCheck, type PassLimits } from './pass-limits.js';
import { TarStage, type EntryVisitor } from './pass-tar.js';

/** What one pass over a layer blob learns. Keyed by diffID, cacheable. */
export interface LayerListing {
  /** sha256 of the whole decompressed stream (trailing bytes after the tar end included) */
  diffId: Digest;
  /** sha256 of the blob as stored */
  digest: Digest;
  compression: Compression;
  compressedSize: number;
  /** decompressed bytes */
  uncompressedSize: number;
  /** Docker's DiffSize: regular file bytes + symlink target lengths */
  size: number;
  entries: LayerEntry[];
}

export type { EntryVisitor } from './pass-tar.js';

export interface PassOptions {
  /** for messages: `app.tar!blobs/sha256/…` */
  where: string;
  /** skip the tar reader: only hash (diffID computation for formats without a config) */
  hashOnly?: boolean;
  onEntry?: EntryVisitor;
  /** progress: bytes of the blob (as stored) read so far */
  onProgress?: (compressedBytes: number) => void;
  /** the blob's size when known: picks the gzip backend (a small blob stays in-process) */
  size?: number;
  /** the safety limits (default: the process's, as the CLI set them) */
  limits?: PassLimits;
}

/** Internal: the gzip backend of one pass. */
interface PassSettings extends PassOptions { gzip?: GzipBackend }

/** The outcome of a pass that does not give up reading at the first problem (verify). */
export type SettledLayer =
  | { ok: true; listing: LayerListing }
  | {
    ok: false;
    error: LayerdigError;
    /** sha256 of the whole blob as stored, read to its end despite the failure; null if reading itself failed */
    digest: Digest | null;
    compressedSize: number;
    /** as sniffed (undefined if nothing was read): for an uncompressed blob the digest is also its diffID */
    compression: Compression | undefined;
    /** the answer came through igzip and is not certainly zlib's: read the blob again with zlib */
    retry?: boolean;
  };

/**
 * One streaming pass over a layer blob: sniff → inflate → tee into sha256 and
 * a tar entry reader. Never holds more than a few chunks of the layer.
 *
 * Throughput (measured, see README "Performance"): the inflater runs on libuv's
 * thread pool (zlib) or in a child process (zstd CLI); its output is handed to
 * the consumers (sha256 + tar) one `setImmediate` hop later, so the next chunk
 * inflates while this one is hashed instead of after it.
 */
export async function readLayer(blob: Readable | (() => Readable), opts: PassOptions): Promise<LayerListing> {
  // a blob that can be opened again may go through igzip: a doubtful answer is then read again with zlib
  // (never with a visitor, which would see entries twice)
  const open = typeof blob === 'function' && !opts.onEntry ? blob : null;
  const gzip = open ? gzipBackendFor(opts.size) : 'zlib';
  let r = await pass(typeof blob === 'function' ? blob() : blob, { ...opts, gzip }, false);
  if (!r.ok && r.retry && open) r = await pass(open(), { ...opts, gzip: 'zlib' }, false);
  if (!r.ok) throw r.error;
  return r.listing;
}

/**
 * Like readLayer, but a failure (corrupt data, a limit) does not end the read:
 * the rest of the blob is still hashed, undecompressed, so `verify` can tell
 * an altered blob (its digest differs) from one that was always broken.
 */
export function readLayerSettled(blob: Readable, opts: PassOptions): Promise<SettledLayer> {
  return pass(blob, opts, true);
}

/** Decompressed bytes queued between the inflater and the consumers before the inflater is paused. */
const QUEUE_HIGH = 2 * 1024 * 1024;
/** Bytes needed to tell gzip and zstd from tar, however the stream splits them. */
const SNIFF_BYTES = 4;

/** What one pass counts and hashes as it goes (the hash stage and the counters the limits read). */
class PassState {
  readonly raw = new Sha256Count();
  readonly diff = new Sha256Count();
  uncompressedSize = 0;
  compression: Compression | undefined;
  failed: LayerdigError | null = null;
  blobEnded = false;
  /** the blob's last 4 bytes: a gzip member's ISIZE */
  tail: Buffer = Buffer.alloc(0);

  /** the producer's side: a chunk of the blob as stored */
  sawRaw(chunk: Buffer): void {
    this.raw.update(chunk);
    this.tail = chunk.length >= 4 ? chunk.subarray(chunk.length - 4) : Buffer.concat([this.tail, chunk]).subarray(-4);
  }

  /** settled outcome of a failure, with the blob's digest when it was read to its end */
  failure(digest: Digest | null, retry = false): SettledLayer {
    return { ok: false, error: this.failed!, digest, compressedSize: this.raw.size, compression: this.compression, ...(retry ? { retry } : {}) };
  }
}

/**
 * One streaming pass over a layer blob: sniff → inflate (input stage) → hand
 * off → sha256 of the decompressed stream and the tar stage, limits checked
 * per chunk. Never holds more than a few chunks of the layer.
 */
function pass(blob: Readable, opts: PassSettings, drainBlob: boolean): Promise<SettledLayer> {
  const lim = opts.limits ?? limits();
  // only listing entries costs memory; a hash-only pass still walks a compressed tar so that
  // data after its end (a bomb) is stopped
  const keepEntries = opts.hashOnly !== true;
  const st = new PassState();

  return new Promise<SettledLayer>((resolve) => {
    let inflate = null as Transform | null;
    let tar: TarStage | null = null;
    let streamDone = false;
    const viaIgzip = () => opts.gzip === 'igzip' && st.compression === 'gzip';

    const fail = (e: unknown) => {
      if (st.failed) return;
      st.failed = e instanceof LayerdigError ? e : new LayerdigError('E_BAD_ARCHIVE', `${opts.where}: ${decompressionMessage(e, st.compression)}`);
      inflate?.destroy();
      tar?.destroy();
      if (!drainBlob) {
        blob.destroy();
        // through igzip, only a safety limit is final: any other failure (corrupt or truncated data,
        // and a tar error that igzip's output may have caused before igzip noticed) is zlib's to word
        resolve(st.failure(null, viaIgzip() && st.failed.code !== 'E_LIMIT'));
      } else if (st.blobEnded) {
        resolve(st.failure(st.raw.digest()));
      } else {
        blob.resume(); // keep hashing the stored bytes to the end
      }
    };

    const finish = () => {
      if (st.failed || !streamDone || (tar && !tar.done)) return;
      resolve(outcome(st, tar, opts, viaIgzip()));
    };

    // ---- consumers: sha256 of the decompressed stream + the tar reader, limits per chunk ----
    // eStargz and others put bytes after the tar's end blocks: they count in the diffID but
    // the tar reader does not see them.
    const consume = (chunk: Buffer): Taken => {
      if (inflate) st.diff.update(chunk);
      st.uncompressedSize += chunk.length;
      if (tar && !tar.writeListing(chunk)) return 'stop';
      const limit = bombCheck(opts.where, {
        compression: st.compression, compressedSize: st.raw.size, uncompressedSize: st.uncompressedSize, tarEnd: tar ? tar.tarEnd : null,
      }, lim);
      if (limit) {
        fail(limit);
        return 'stop';
      }
      // the tar reader is full (an onEntry visitor reads slowly): wait for it
      return !tar || tar.writeBodies(chunk, () => handOff.resume()) ? 'next' : 'wait';
    };
    const endAll = () => {
      streamDone = true;
      if (tar && !tar.end()) return;
      finish();
    };
    const handOff = new HandOff(QUEUE_HIGH, consume, endAll, () => st.failed !== null);

    // ---- producer: the blob, inflated when compressed ----
    const start = (head: Buffer) => {
      st.compression = sniffCompression(head);
      if (keepEntries || st.compression !== 'none') {
        tar = new TarStage({
          where: opts.where, keepEntries, onEntry: opts.onEntry, limits: lim, fail, isFailed: () => st.failed !== null, onFinish: finish,
        });
      }
      inflate = startInflate(blob, st, opts, handOff, fail);
    };
    const feed = (chunk: Buffer) => {
      if (!inflate) handOff.push(chunk);
      else if (!inflate.write(chunk)) blob.pause();
    };
    readBlob(blob, st, opts, drainBlob, { start, feed, fail, resolve, end: () => (inflate ? inflate.end() : handOff.end()), destroy: () => { inflate?.destroy(); tar?.destroy(); } });
  });
}

/** The input stage's inflater for a sniffed compression (none: the blob itself feeds the hand-off). */
function startInflate(blob: Readable, st: PassState, opts: PassSettings, handOff: HandOff, fail: (e: unknown) => void): Transform | null {
  if (st.compression === 'none' || st.compression === undefined) {
    handOff.pauseUpstream = () => blob.pause();
    handOff.resumeUpstream = () => blob.resume();
    return null;
  }
  let inf: Transform;
  try {
    inf = decompressor(st.compression, opts.gzip);
  } catch (e) {
    fail(e);
    return null;
  }
  handOff.pauseUpstream = () => inf.pause();
  handOff.resumeUpstream = () => inf.resume();
  inf.on('data', (c: Buffer) => handOff.push(c));
  inf.on('error', fail);
  inf.on('end', () => { if (!st.failed) handOff.end(); });
  inf.on('drain', () => { if (!st.failed) blob.resume(); });
  return inf;
}

/** The pass's answer once every stage is done. */
function outcome(st: PassState, tar: TarStage | null, opts: PassSettings, viaIgzip: boolean): SettledLayer {
  // igzip ignores bytes after the last gzip member where zlib reads them as another member (and
  // fails unless they are zeros). When the blob ends in its one member's ISIZE (the decompressed
  // size mod 2^32) there were no such bytes; otherwise (several members, trailing bytes) zlib decides.
  if (viaIgzip && (st.tail.length < 4 || st.tail.readUInt32LE(st.tail.length - 4) !== st.uncompressedSize % 2 ** 32)) {
    return { ok: false, retry: true, compressedSize: st.raw.size, compression: st.compression, digest: st.raw.digest(),
      error: new LayerdigError('E_BAD_ARCHIVE', `${opts.where}: igzip's reading is not certainly zlib's (several gzip members or trailing bytes)`) };
  }
  return {
    ok: true,
    listing: {
      // an uncompressed blob is its own decompressed stream: hashed once (drain)
      diffId: st.compression === 'none' ? st.raw.digest() : st.diff.digest(),
      digest: st.raw.digest(),
      compression: st.compression ?? 'none',
      compressedSize: st.raw.size, uncompressedSize: st.uncompressedSize, size: tar?.size ?? 0, entries: tar?.entries ?? [],
    },
  };
}

interface Producer {
  /** the first bytes are known: choose the inflater */
  start(head: Buffer): void;
  feed(chunk: Buffer): void;
  end(): void;
  fail(e: unknown): void;
  destroy(): void;
  resolve(r: SettledLayer): void;
}

/** The input stage's reading side: hash and count the blob as stored, sniff its first bytes, feed the rest. */
function readBlob(blob: Readable, st: PassState, opts: PassSettings, drainBlob: boolean, p: Producer): void {
  let pending: Buffer | null = null;
  blob.on('error', (e) => {
    if (st.failed) {
      if (drainBlob) p.resolve(st.failure(null));
      return;
    }
    if (drainBlob) {
      st.failed = e instanceof LayerdigError ? e : new LayerdigError('E_BAD_ARCHIVE', `${opts.where}: ${decompressionMessage(e, st.compression)}`);
      p.destroy();
      p.resolve(st.failure(null));
      return;
    }
    p.fail(e);
  });
  blob.on('data', (chunk: Buffer) => {
    st.sawRaw(chunk);
    opts.onProgress?.(st.raw.size);
    if (st.failed) return;
    if (st.compression === undefined) {
      // sniff from the first bytes, however the stream happens to split them
      pending = pending ? Buffer.concat([pending, chunk]) : chunk;
      if (pending.length < SNIFF_BYTES) return;
      chunk = pending;
      pending = null;
      p.start(chunk);
      if (st.failed) return;
    }
    p.feed(chunk);
  });
  blob.on('end', () => {
    st.blobEnded = true;
    if (st.failed) {
      p.resolve(st.failure(st.raw.digest()));
      return;
    }
    if (st.compression === undefined) {
      p.start(pending ?? Buffer.alloc(0)); // a blob shorter than the sniff window
      if (st.failed) return;
      if (pending) p.feed(pending);
    }
    p.end();
  });
}
