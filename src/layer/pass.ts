import { createHash } from 'node:crypto';
import type { Readable, Transform } from 'node:stream';
import tarStream from 'tar-stream';
import type { Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import { limits } from '../limits.js';
import { decompressor, sniffCompression, type Compression } from '../compression/index.js';
import { TarEndTracker } from './tar-end.js';
import { TarWalker, type WalkHeader } from './tar-walk.js';
import { classifyWhiteout, diffSizeOf, normalizeEntryPath, unsafeReason, type EntryType, type LayerEntry } from './entry.js';
import { installPaxDecoder } from './pax.js';

// xattr values (security.capability) must reach toEntry byte-exact: see pax.ts
installPaxDecoder();

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
}

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

/** Decompressed bytes queued between the inflater and the consumers before the inflater is paused. */
const QUEUE_HIGH = 2 * 1024 * 1024;

/**
 * One streaming pass over a layer blob: sniff → inflate → tee into sha256 and
 * a tar entry reader. Never holds more than a few chunks of the layer.
 *
 * Throughput (measured, see README "Performance"): the inflater runs on libuv's
 * thread pool (zlib) or in a child process (zstd CLI); its output is handed to
 * the consumers (sha256 + tar) one `setImmediate` hop later, so the next chunk
 * inflates while this one is hashed instead of after it.
 */
export async function readLayer(blob: Readable, opts: PassOptions): Promise<LayerListing> {
  const rawHash = createHash('sha256');
  const diffHash = createHash('sha256');
  let compressedSize = 0;
  let uncompressedSize = 0;
  let compression: Compression | undefined;
  const entries: LayerEntry[] = [];
  let size = 0;
  const { maxLayerBytes, maxRatio } = limits();

  return new Promise<LayerListing>((resolve, reject) => {
    let failed = false;
    let inflate = null as Transform | null;
    const fail = (e: unknown) => {
      if (failed) return;
      failed = true;
      blob.destroy();
      inflate?.destroy();
      const err = e instanceof LayerdigError ? e
        : new LayerdigError('E_BAD_ARCHIVE', `${opts.where}: ${describe(e, compression)}`);
      reject(err);
    };

    // Listing only: the synchronous TarWalker. With a visitor: tar-stream, whose
    // entry streams carry the bodies.
    let extract: tarStream.Extract | null = null;
    let walker: TarWalker | null = null;
    let tarDone = opts.hashOnly === true;
    let streamDone = false;
    let current = '';
    /** tar-stream reads on past the end-of-archive marker; the walker stops there itself */
    const tarEnd = new TarEndTracker();
    const finish = () => {
      if (!tarDone || !streamDone || failed) return;
      resolve({
        diffId: `sha256:${diffHash.digest('hex')}`,
        digest: `sha256:${rawHash.digest('hex')}`,
        compression: compression ?? 'none',
        compressedSize, uncompressedSize, size, entries,
      });
    };
    const tarError = (err: Error) => new LayerdigError('E_BAD_ARCHIVE',
      `${opts.where}: not a readable tar layer${current ? ` (after entry ${current})` : ''}: ${err.message}`);
    const onHeader = (h: WalkHeader): LayerEntry => {
      const e = toEntry(h);
      current = e.path;
      if (e.path !== '') {
        entries.push(e);
        size += diffSizeOf(e);
      }
      return e;
    };

    if (!opts.hashOnly && !opts.onEntry) {
      walker = new TarWalker(onHeader);
    } else if (!opts.hashOnly) {
      const visitor = opts.onEntry!;
      extract = tarStream.extract();
      extract.on('entry', (h, body, next) => {
        let e: LayerEntry;
        try {
          e = onHeader(fromTarStream(h));
        } catch (err) {
          fail(err);
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
      extract.on('finish', () => { tarDone = true; finish(); });
      extract.on('error', (err) => fail(tarError(err)));
    }

    // ---- consumers: sha256 of the decompressed stream + the tar reader ----
    // eStargz and others may put bytes after the tar end blocks: they count in the
    // diffID but the tar reader must not choke on them, so stop feeding it once it finished.
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
        tarDone = true;
      }
      if (extract && !tarDone) (extract as unknown as { end(): void }).end();
      finish();
    };

    const drain = () => {
      scheduled = false;
      while (queue.length && !failed) {
        const chunk = queue.shift()!;
        queued -= chunk.length;
        diffHash.update(chunk);
        uncompressedSize += chunk.length;
        if (uncompressedSize > maxLayerBytes
          || (uncompressedSize > 1024 ** 3 && compression !== 'none' && uncompressedSize > compressedSize * maxRatio)) {
          fail(new LayerdigError('E_LIMIT', `${opts.where}: decompressed past ${uncompressedSize} bytes from ${compressedSize} compressed: stopped as a likely decompression bomb (raise --max-layer-bytes / --max-ratio if it is real)`));
          return;
        }
        if (walker) {
          try {
            walker.write(chunk);
          } catch (err) {
            fail(tarError(err as Error));
            return;
          }
        } else if (extract && !tarDone) {
          const forTar = tarEnd.take(chunk);
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

    const push = (chunk: Buffer) => {
      if (failed) return;
      queue.push(chunk);
      queued += chunk.length;
      if (queued >= QUEUE_HIGH && !upstreamPaused) {
        upstreamPaused = true;
        pauseUpstream();
      }
      if (!scheduled && !waitingForTar) {
        scheduled = true;
        setImmediate(drain);
      }
    };
    const pushEnd = () => {
      ended = true;
      if (!scheduled && !waitingForTar) {
        scheduled = true;
        setImmediate(drain);
      }
    };

    // ---- producer: the blob, inflated when compressed ----
    blob.on('error', fail);
    blob.on('data', (chunk: Buffer) => {
      if (failed) return;
      if (compression === undefined) {
        compression = sniffCompression(chunk);
        if (compression !== 'none') {
          try {
            inflate = decompressor(compression);
          } catch (e) {
            fail(e);
            return;
          }
          const inf = inflate;
          pauseUpstream = () => inf.pause();
          resumeUpstream = () => inf.resume();
          inf.on('data', push);
          inf.on('error', fail);
          inf.on('end', pushEnd);
          inf.on('drain', () => blob.resume());
        } else {
          pauseUpstream = () => blob.pause();
          resumeUpstream = () => blob.resume();
        }
      }
      rawHash.update(chunk);
      compressedSize += chunk.length;
      opts.onProgress?.(compressedSize);
      if (inflate) {
        if (!inflate.write(chunk)) blob.pause();
      } else {
        push(chunk);
      }
    });
    blob.on('end', () => {
      if (failed) return;
      if (compression === undefined) compression = 'none'; // empty blob
      if (inflate) inflate.end();
      else pushEnd();
    });
  });
}

function describe(e: unknown, c: Compression | undefined): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/unexpected end of file/i.test(msg)) return `truncated ${c ?? ''} data (${msg})`.replace('  ', ' ');
  if (c && c !== 'none') return `cannot decompress ${c} data (${msg})`;
  return msg;
}
