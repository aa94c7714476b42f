import { createHash } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import type tarStream from 'tar-stream';
import type { Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import { limits } from '../limits.js';
import { decompressor, gzipBackendFor, sniffCompression, type Compression, type GzipBackend } from '../compression/index.js';
import { TarEndTracker } from './tar-end.js';
import { TarWalker, type WalkHeader } from './tar-walk.js';
import { classifyWhiteout, diffSizeOf, normalizeEntryPath, unsafeReason, type EntryType, type LayerEntry } from './entry.js';
import { tarExtract } from './tar-stream.js';

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

/** Called for each entry; consume `body` to see a file's bytes (else it is drained). */
export type EntryVisitor = (entry: LayerEntry, body: Readable) => Promise<void> | void;

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
}

/** Internal: the gzip backend of one pass. */
interface PassSettings extends PassOptions { gzip?: GzipBackend }

const TYPES: Record<string, EntryType> = {
  file: 'file', 'contiguous-file': 'file', directory: 'dir', symlink: 'symlink', link: 'hardlink',
  'character-device': 'char', 'block-device': 'block', fifo: 'fifo',
};

/** A tar header from either reader (tar-stream for bodies, TarWalker for listings). */
function toEntry(h: WalkHeader): LayerEntry {
  const type = TYPES[h.type ?? 'file'] ?? 'other';
  const e: LayerEntry = {
    path: normalizeEntryPath(h.name),
    type,
    size: type === 'file' ? h.size ?? 0 : 0,
    mode: (h.mode ?? 0) & 0o7777,
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    mtime: Math.floor(h.mtime),
    linkTarget: h.linkname ? (type === 'hardlink' ? normalizeEntryPath(h.linkname) : h.linkname) : null,
  };
  if (type === 'char' || type === 'block') e.device = { major: h.devmajor, minor: h.devminor };
  const unsafe = unsafeReason(h.name, type === 'hardlink' ? h.linkname ?? '' : null);
  if (unsafe) e.unsafe = unsafe;
  if (h.pax) {
    for (const [k, v] of Object.entries(h.pax)) {
      // values are byte-exact binary strings (pax.ts)
      if (k.startsWith('SCHILY.xattr.')) (e.xattrs ??= {})[k.slice(13)] = Buffer.from(String(v), 'latin1').toString('base64');
    }
    for (const [k, v] of Object.entries(h.pax)) {
      // bsdtar also writes LIBARCHIVE.xattr.<url-encoded name>=<base64>; SCHILY wins when both exist
      if (!k.startsWith('LIBARCHIVE.xattr.')) continue;
      let name: string;
      try {
        name = decodeURIComponent(k.slice(17));
      } catch {
        continue;
      }
      if (e.xattrs?.[name] === undefined) (e.xattrs ??= {})[name] = Buffer.from(String(v), 'base64').toString('base64');
    }
  }
  return classifyWhiteout(e);
}

function fromTarStream(h: tarStream.Header): WalkHeader {
  return {
    name: h.name, type: h.type ?? null, size: h.size ?? 0, mode: h.mode ?? 0, uid: h.uid ?? 0, gid: h.gid ?? 0,
    mtime: h.mtime ? h.mtime.getTime() / 1000 : 0, linkname: h.linkname ?? null, devmajor: h.devmajor ?? 0, devminor: h.devminor ?? 0,
    pax: (h.pax as Record<string, string> | undefined) ?? null,
  };
}

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

function pass(blob: Readable, opts: PassSettings, drainBlob: boolean): Promise<SettledLayer> {
  const rawHash = createHash('sha256');
  const diffHash = createHash('sha256');
  let compressedSize = 0;
  let uncompressedSize = 0;
  let compression: Compression | undefined;
  const entries: LayerEntry[] = [];
  let size = 0;
  const { maxLayerBytes, maxRatio, maxLayerEntries, maxTrailingBytes } = limits();
  // only listing entries costs memory; a hash-only pass still walks a compressed tar so that
  // data after its end (a bomb) is stopped
  const keepEntries = opts.hashOnly !== true;

  return new Promise<SettledLayer>((resolve) => {
    let failed: LayerdigError | null = null;
    let blobEnded = false;
    let rawDigest: Digest | null = null;
    const digestOfBlob = (): Digest => (rawDigest ??= `sha256:${rawHash.digest('hex')}`);
    let inflate = null as Transform | null;
    /** the blob's last 4 bytes: a gzip member's ISIZE */
    let tail: Buffer = Buffer.alloc(0);
    const viaIgzip = () => opts.gzip === 'igzip' && compression === 'gzip';

    // Listing only: the synchronous TarWalker. With a visitor: tar-stream, whose
    // entry streams carry the bodies.
    let extract: tarStream.Extract | null = null;
    let walker: TarWalker | null = null;
    let tarDone = false;
    let streamDone = false;
    let current = '';
    /** tar-stream reads on past the end-of-archive marker; the walker stops there itself */
    const endMarker = new TarEndTracker();
    /** decompressed offset where the last entry's (padded) body ends, for tar-stream */
    let lastEntryEnd = 0;

    const fail = (e: unknown) => {
      if (failed) return;
      failed = e instanceof LayerdigError ? e
        : new LayerdigError('E_BAD_ARCHIVE', `${opts.where}: ${describe(e, compression)}`);
      inflate?.destroy();
      extract?.destroy();
      if (!drainBlob) {
        blob.destroy();
        // through igzip, only a safety limit is final: any other failure (corrupt or truncated data,
        // and a tar error that igzip's output may have caused before igzip noticed) is zlib's to word
        const retry = viaIgzip() && failed.code !== 'E_LIMIT';
        resolve({ ok: false, error: failed, digest: null, compressedSize, compression, ...(retry ? { retry } : {}) });
      } else if (blobEnded) {
        resolve({ ok: false, error: failed, digest: digestOfBlob(), compressedSize, compression });
      } else {
        blob.resume(); // keep hashing the stored bytes to the end
      }
    };

    const finish = () => {
      if (failed || !streamDone || (extract && !tarDone)) return;
      // igzip ignores bytes after the last gzip member where zlib reads them as another member (and
      // fails unless they are zeros). When the blob ends in its one member's ISIZE (the decompressed
      // size mod 2^32) there were no such bytes; otherwise (several members, trailing bytes) zlib decides.
      if (viaIgzip() && (tail.length < 4 || tail.readUInt32LE(tail.length - 4) !== uncompressedSize % 2 ** 32)) {
        resolve({ ok: false, retry: true, compressedSize, compression, digest: digestOfBlob(),
          error: new LayerdigError('E_BAD_ARCHIVE', `${opts.where}: igzip's reading is not certainly zlib's (several gzip members or trailing bytes)`) });
        return;
      }
      resolve({
        ok: true,
        listing: {
          // an uncompressed blob is its own decompressed stream: hashed once (drain)
          diffId: compression === 'none' ? digestOfBlob() : `sha256:${diffHash.digest('hex')}`,
          digest: digestOfBlob(),
          compression: compression ?? 'none',
          compressedSize, uncompressedSize, size, entries,
        },
      });
    };
    const tarError = (err: Error) => new LayerdigError('E_BAD_ARCHIVE',
      `${opts.where}: not a readable tar layer${current ? ` (after entry ${current})` : ''}: ${err.message}`);
    /** false when a limit stopped the pass */
    const onHeader = (h: WalkHeader): LayerEntry | null => {
      const e = toEntry(h);
      current = e.path;
      if (e.path !== '' && keepEntries) {
        entries.push(e);
        size += diffSizeOf(e);
        if (entries.length > maxLayerEntries) {
          fail(new LayerdigError('E_LIMIT', `${opts.where}: more than ${maxLayerEntries} entries in one layer: stopped (a safety limit; raise --max-layer-entries)`));
          return null;
        }
      }
      return e;
    };

    const startTar = () => {
      if (!opts.onEntry) {
        walker = new TarWalker((h) => { onHeader(h); });
        return;
      }
      const visitor = opts.onEntry;
      const x = tarExtract();
      extract = x;
      x.on('entry', (h, body, next) => {
        if (failed) return;
        let e: LayerEntry | null;
        try {
          e = onHeader(fromTarStream(h));
        } catch (err) {
          fail(err);
          return;
        }
        if (!e) return;
        const at = (h as { byteOffset?: number }).byteOffset;
        if (typeof at === 'number') lastEntryEnd = Math.max(lastEntryEnd, at + 512 + Math.ceil(bodySize(h) / 512) * 512);
        if (h.type === 'directory') {
          // tar-stream gives a directory no body, and when its header claims a size anyway that
          // body stream never ends: waiting for it would hang the pass (found by the fuzz test)
          body.on('error', () => {}); // it is never read; the extract reports any error itself
          const visit = e.path !== '' ? visitor(e, Readable.from([])) : undefined;
          Promise.resolve(visit).then(() => next(), fail);
          return;
        }
        // the next entry starts only when this body has ended AND the visitor is done with it
        // (an async visitor may still be writing what it read when the body ends)
        const visit = e.path !== '';
        let bodyEnded = false;
        let handled = !visit;
        const maybeNext = () => { if (bodyEnded && handled && !failed) next(); };
        body.on('end', () => { bodyEnded = true; maybeNext(); });
        body.on('error', fail);
        if (visit) {
          Promise.resolve(visitor(e, body as unknown as Readable)).then(() => { handled = true; body.resume(); maybeNext(); }, fail);
        } else {
          body.resume();
        }
      });
      x.on('finish', () => { tarDone = true; finish(); });
      x.on('error', (err) => fail(tarError(err)));
    };

    // ---- consumers: sha256 of the decompressed stream + the tar reader ----
    // eStargz and others put bytes after the tar's end blocks: they count in the diffID but
    // the tar reader does not see them. A decompression bomb is stopped by size, by ratio,
    // or by too much data after the last entry.
    const queue: Buffer[] = [];
    let queued = 0;
    let scheduled = false;
    let waitingForTar = false;
    let ended = false; // the decompressed stream ended (after the queue drains: endAll)
    let upstreamPaused = false;
    let pauseUpstream: () => void = () => {};
    let resumeUpstream: () => void = () => {};

    const endAll = () => {
      streamDone = true;
      if (walker) {
        try {
          walker.end();
        } catch (err) {
          fail(tarError(err as Error));
          return;
        }
      }
      if (extract && !tarDone) (extract as unknown as { end(): void }).end();
      finish();
    };

    const overLimit = (): LayerdigError | null => {
      if (uncompressedSize > maxLayerBytes
        || (uncompressedSize > 1024 ** 3 && compression !== 'none' && uncompressedSize > compressedSize * maxRatio)) {
        return new LayerdigError('E_LIMIT', `${opts.where}: decompressed past ${uncompressedSize} bytes from ${compressedSize} compressed `
          + `(limits: ${maxLayerBytes} bytes, ratio ${maxRatio}): stopped as a likely decompression bomb (raise --max-layer-bytes / --max-ratio if it is real)`);
      }
      const tarEnd = walker ? walker.lastEntryEnd : lastEntryEnd;
      if ((walker || extract) && uncompressedSize - tarEnd > maxTrailingBytes) {
        return new LayerdigError('E_LIMIT', `${opts.where}: more than ${maxTrailingBytes} bytes of data after the last tar entry `
          + `(at byte ${tarEnd} of ${uncompressedSize} decompressed): stopped as a likely decompression bomb (raise --max-trailing-bytes if it is real)`);
      }
      return null;
    };

    const drain = () => {
      scheduled = false;
      while (queue.length && !failed) {
        const chunk = queue.shift()!;
        queued -= chunk.length;
        if (inflate) diffHash.update(chunk);
        uncompressedSize += chunk.length;
        if (walker) {
          try {
            walker.write(chunk);
          } catch (err) {
            fail(tarError(err as Error));
            return;
          }
        }
        const limit = overLimit();
        if (limit) {
          fail(limit);
          return;
        }
        if (extract && !tarDone) {
          const forTar = endMarker.take(chunk);
          if (forTar.length === 0 || extract.write(forTar)) continue;
          // the tar reader is full (an onEntry visitor reads slowly): wait for it
          waitingForTar = true;
          extract.once('drain', () => { waitingForTar = false; drain(); });
          return;
        }
      }
      if (failed) return;
      if (upstreamPaused && queued < QUEUE_HIGH / 2) {
        upstreamPaused = false;
        resumeUpstream();
      }
      if (ended && queue.length === 0) endAll();
    };

    const schedule = () => {
      if (!scheduled && !waitingForTar) {
        scheduled = true;
        setImmediate(drain);
      }
    };
    const push = (chunk: Buffer) => {
      if (failed) return;
      queue.push(chunk);
      queued += chunk.length;
      if (queued >= QUEUE_HIGH && !upstreamPaused) {
        upstreamPaused = true;
        pauseUpstream();
      }
      schedule();
    };
    const pushEnd = () => {
      ended = true;
      schedule();
    };

    // ---- producer: the blob, inflated when compressed ----
    const start = (head: Buffer) => {
      compression = sniffCompression(head);
      if (keepEntries || compression !== 'none') startTar();
      if (compression === 'none') {
        pauseUpstream = () => blob.pause();
        resumeUpstream = () => blob.resume();
        return;
      }
      try {
        inflate = decompressor(compression, opts.gzip);
      } catch (e) {
        fail(e);
        return;
      }
      const inf = inflate;
      pauseUpstream = () => inf.pause();
      resumeUpstream = () => inf.resume();
      inf.on('data', push);
      inf.on('error', fail);
      inf.on('end', () => { if (!failed) pushEnd(); });
      inf.on('drain', () => { if (!failed) blob.resume(); });
    };
    const feed = (chunk: Buffer) => {
      if (inflate) {
        if (!inflate.write(chunk)) blob.pause();
      } else {
        push(chunk);
      }
    };

    let pending: Buffer | null = null;
    blob.on('error', (e) => {
      if (failed) {
        if (drainBlob) resolve({ ok: false, error: failed, digest: null, compressedSize, compression });
        return;
      }
      if (drainBlob) {
        failed = e instanceof LayerdigError ? e : new LayerdigError('E_BAD_ARCHIVE', `${opts.where}: ${describe(e, compression)}`);
        inflate?.destroy();
        extract?.destroy();
        resolve({ ok: false, error: failed, digest: null, compressedSize, compression });
        return;
      }
      fail(e);
    });
    blob.on('data', (chunk: Buffer) => {
      rawHash.update(chunk);
      compressedSize += chunk.length;
      tail = chunk.length >= 4 ? chunk.subarray(chunk.length - 4) : Buffer.concat([tail, chunk]).subarray(-4);
      opts.onProgress?.(compressedSize);
      if (failed) return;
      if (compression === undefined) {
        // sniff from the first bytes, however the stream happens to split them
        pending = pending ? Buffer.concat([pending, chunk]) : chunk;
        if (pending.length < SNIFF_BYTES) return;
        chunk = pending;
        pending = null;
        start(chunk);
        if (failed) return;
      }
      feed(chunk);
    });
    blob.on('end', () => {
      blobEnded = true;
      if (failed) {
        resolve({ ok: false, error: failed, digest: digestOfBlob(), compressedSize, compression });
        return;
      }
      if (compression === undefined) {
        start(pending ?? Buffer.alloc(0)); // a blob shorter than the sniff window
        if (failed) return;
        if (pending) feed(pending);
      }
      if (inflate) inflate.end();
      else pushEnd();
    });
  });
}

/** Bytes of body after a header: tar-stream (like GNU tar) reads none for a directory, whatever its size field says. */
function bodySize(h: tarStream.Header): number {
  return h.type === 'directory' ? 0 : h.size ?? 0;
}

function describe(e: unknown, c: Compression | undefined): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/unexpected end of file/i.test(msg)) return `truncated ${c ?? ''} data (${msg})`.replace('  ', ' ');
  if (c && c !== 'none') return `cannot decompress ${c} data (${msg})`;
  return msg;
}
