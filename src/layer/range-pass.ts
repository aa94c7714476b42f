import { closeSync, openSync, readSync } from 'node:fs';
import { Sha256Count, type Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import { decompressionMessage, sniffCompression, type Compression } from '../compression/index.js';
import { syncInflater, type Out, type SyncInflater, type Take } from '../compression/sync.js';
import { Kind, SLOT, type HashRing } from './hash-ring.js';
import type { LayerListing, SettledLayer } from './pass.js';
import { bombCheck, type PassLimits } from './pass-limits.js';
import { TarStage } from './pass-tar.js';

/**
 * The listing pass for a layer whose blob sits in a file (a tar member, a layout
 * blob): the same answer, limits and error words as the streaming pass (pass.ts),
 * computed in one synchronous loop over three buffers allocated once — read,
 * hash, inflate into a reused buffer, hash, walk the tar headers.
 *
 * Why a second path (measured, docs/performance.md): on the real Debian image
 * the streaming pass spent most of its time not inflating or hashing but
 * touching fresh memory (a new buffer per chunk) and hopping between stream
 * stages; this loop reads the 121 MB gzip base layer ~2x faster on Node 20.
 * Layers run side by side on the cores (reader.ts lanes: this thread + workers).
 */

export interface FileRange { file: string; start: number; length: number }

export interface RangePassOptions {
  /** for messages: `app.tar!blobs/sha256/…` */
  where: string;
  limits: PassLimits;
  /** bytes of the blob (as stored) read so far */
  onProgress?: (compressedBytes: number) => void;
  /** hash on another thread (hash-ring.ts): for the layer that decides how long a pass takes */
  ring?: HashRing;
}

const READ_CHUNK = 1024 * 1024;
const OUT_CHUNK = 256 * 1024;
/** The loop gives the event loop a turn this often (progress, a worker's messages). */
const YIELD_EVERY = 4 * 1024 * 1024;
const SNIFF_BYTES = 4;

/** What the loop has counted and hashed so far (here, or through a HashRing), and the first failure. */
class RangeState {
  private readonly raw: Sha256Count | null;
  private readonly diff: Sha256Count | null;
  rawSize = 0;
  uncompressedSize = 0;
  failed: LayerdigError | null = null;
  constructor(readonly where: string, readonly compression: Compression, readonly tar: TarStage, private readonly ring: HashRing | null) {
    this.raw = ring ? null : new Sha256Count();
    this.diff = ring || compression === 'none' ? null : new Sha256Count();
  }

  fail(e: unknown): void {
    this.failed ??= e instanceof LayerdigError ? e : new LayerdigError('E_BAD_ARCHIVE', `${this.where}: ${decompressionMessage(e, this.compression)}`);
  }

  /** a chunk of the blob as stored (copied into the ring: the inflater may still be reading it when slots wrap) */
  stored(chunk: Buffer): void {
    this.rawSize += chunk.length;
    if (this.raw) return this.raw.update(chunk);
    for (let at = 0; at < chunk.length; at += SLOT) {
      const n = chunk.copy(this.ring!.slot(), 0, at, Math.min(chunk.length, at + SLOT));
      this.ring!.publish(Kind.RAW, n);
    }
  }

  /** the ring's slot the inflater writes into, or this pass's own buffer */
  out(own: Buffer): Out {
    return this.ring ? () => this.ring!.slot() : () => own;
  }

  /** a piece of the inflated stream, listed already */
  inflated(piece: Buffer): void {
    this.uncompressedSize += piece.length;
    if (this.diff) this.diff.update(piece);
    else if (this.ring && this.compression !== 'none') this.ring.publish(Kind.DIFF, piece.length);
  }

  digests(): { digest: Digest; diffId: Digest } {
    const d = this.ring ? this.ring.finish() : { raw: this.raw!.digest(), diff: this.diff?.digest() ?? '' };
    // an uncompressed blob is its own decompressed stream: hashed once
    return { digest: d.raw, diffId: this.compression === 'none' ? d.raw : d.diff };
  }
}

/**
 * List one layer from bytes [start, start+length) of a file; null when its
 * compression has no synchronous decoder here (the caller streams it instead).
 * Throws the LayerdigError the streaming pass would.
 */
export async function listRange(at: FileRange, opts: RangePassOptions): Promise<LayerListing | null> {
  const r = await settleRange(at, opts, false);
  if (r && !r.ok) throw r.error;
  return r && r.listing;
}

/**
 * Like listRange, but a failure does not end the read (readLayerSettled's contract,
 * for verify): the rest of the blob is still hashed as stored, so that an altered
 * blob (its digest differs) can be told from one that was always broken.
 */
export async function settleRange(at: FileRange, opts: RangePassOptions, drain = true): Promise<SettledLayer | null> {
  let fd: number;
  try {
    fd = openSync(at.file, 'r');
  } catch (e) {
    return unread(opts.where, e, undefined);
  }
  try {
    // one turn of the event loop per layer, however small: progress draws, a worker's messages arrive
    await new Promise<void>((r) => setImmediate(r));
    return await passOpen(fd, at, opts, drain);
  } finally {
    closeSync(fd);
  }
}

function unread(where: string, e: unknown, compression: Compression | undefined): SettledLayer {
  const error = e instanceof LayerdigError ? e : new LayerdigError('E_BAD_ARCHIVE', `${where}: ${decompressionMessage(e, compression)}`);
  return { ok: false, error, digest: null, compressedSize: 0, compression };
}

async function passOpen(fd: number, at: FileRange, opts: RangePassOptions, drain: boolean): Promise<SettledLayer | null> {
  const input = Buffer.allocUnsafeSlow(Math.max(SNIFF_BYTES, Math.min(READ_CHUNK, at.length)));
  const readAt = (pos: number): number => readSync(fd, input, 0, Math.min(input.length, at.start + at.length - pos), pos);
  let got: number;
  try {
    got = at.length > 0 ? readAt(at.start) : 0;
  } catch (e) {
    return unread(opts.where, e, undefined);
  }
  const compression = sniffCompression(input.subarray(0, got));
  const inflater = compression === 'none' ? null : syncInflater(compression);
  if (compression !== 'none' && !inflater) return null;
  const st: RangeState = new RangeState(opts.where, compression, new TarStage({
    where: opts.where, keepEntries: true, limits: opts.limits, fail: (e) => st.fail(e), isFailed: () => st.failed !== null, onFinish: () => {},
  }), opts.ring ?? null);
  const out = st.out(inflater ? Buffer.allocUnsafeSlow(OUT_CHUNK) : input);
  const take = (piece: Buffer) => consume(st, piece, opts.limits);
  let pos = at.start;
  let sinceYield = 0;
  let hashed = false;
  try {
    while (got > 0) {
      const chunk = input.subarray(0, got);
      st.stored(chunk);
      pos += got;
      opts.onProgress?.(st.rawSize);
      // after a failure only a settled pass reads on, hashing the bytes as stored
      if (!st.failed) feed(st, inflater, chunk, out, take);
      if (st.failed && !drain) break;
      if ((sinceYield += got) >= YIELD_EVERY) {
        sinceYield = 0;
        await new Promise<void>((r) => setImmediate(r));
      }
      try {
        got = pos < at.start + at.length ? readAt(pos) : 0;
      } catch (e) {
        return unread(opts.where, e, compression);
      }
    }
    if (!st.failed) finish(st, inflater, out, take);
    if (st.failed && !drain) return { ok: false, error: st.failed, digest: null, compressedSize: st.rawSize, compression };
    const d = st.digests();
    hashed = true;
    if (st.failed) return { ok: false, error: st.failed, digest: d.digest, compressedSize: st.rawSize, compression };
    return { ok: true, listing: { ...d, compression, compressedSize: st.rawSize, uncompressedSize: st.uncompressedSize, size: st.tar.size, entries: st.tar.entries } };
  } finally {
    // the ring's hashes end with the layer, whatever happened
    if (!hashed) opts.ring?.abandon();
  }
}

/** One chunk of the blob as stored, through the inflater; false once the pass has failed. */
function feed(st: RangeState, inflater: SyncInflater | null, chunk: Buffer, out: Out, take: Take): boolean {
  if (!inflater) return take(chunk);
  try {
    inflater.write(chunk, out, take);
  } catch (e) {
    st.fail(e);
  }
  return st.failed === null;
}

/** The blob has ended: the inflater's last bytes, then the tar's own end checks. */
function finish(st: RangeState, inflater: SyncInflater | null, out: Out, take: Take): void {
  try {
    inflater?.end(out, take);
  } catch (e) {
    st.fail(e);
  }
  if (!st.failed) st.tar.end();
}

/** A piece of the decompressed stream: list, hash, count, check the limits; false to stop. */
function consume(st: RangeState, piece: Buffer, lim: PassLimits): boolean {
  if (!st.tar.writeListing(piece)) return false;
  st.inflated(piece);
  const limit = bombCheck(st.where, {
    compression: st.compression, compressedSize: st.rawSize, uncompressedSize: st.uncompressedSize, tarEnd: st.tar.tarEnd,
  }, lim);
  if (limit) st.fail(limit);
  return st.failed === null;
}

/**
 * How many decompressed bytes a blob will give, as its own header or trailer
 * says (gzip's ISIZE, zstd's frame content size), to read the costliest layers
 * first; a guess (3x) when it does not say. Only a hint: nothing is trusted.
 */
export function workHint(at: FileRange): number {
  const head = Buffer.alloc(18);
  const tail = Buffer.alloc(4);
  try {
    const fd = openSync(at.file, 'r');
    try {
      readSync(fd, head, 0, Math.min(head.length, at.length), at.start);
      if (at.length >= 4) readSync(fd, tail, 0, 4, at.start + at.length - 4);
    } finally {
      closeSync(fd);
    }
  } catch {
    return at.length;
  }
  const c = sniffCompression(head);
  if (c === 'none') return at.length;
  if (c === 'gzip') return Math.max(at.length, tail.readUInt32LE(0));
  return Math.max(at.length, zstdContentSize(head) ?? at.length * 3);
}

/** A zstd frame header's Frame_Content_Size (RFC 8878 §3.1.1.1), when present. */
function zstdContentSize(h: Buffer): number | null {
  if (h.readUInt32LE(0) !== 0xfd2fb528) return null;
  const fhd = h[4]!;
  const single = (fhd >> 5) & 1;
  const fcsBytes = [single ? 1 : 0, 2, 4, 8][fhd >> 6]!;
  if (fcsBytes === 0) return null;
  const at = 5 + (single ? 0 : 1) + [0, 1, 2, 4][fhd & 3]!;
  switch (fcsBytes) {
    case 1: return h[at]!;
    case 2: return h.readUInt16LE(at) + 256;
    case 4: return h.readUInt32LE(at);
    default: return Number(h.readBigUInt64LE(at));
  }
}
