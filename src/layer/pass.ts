import { createHash } from 'node:crypto';
import { Readable, type Transform } from 'node:stream';
import tarStream from 'tar-stream';
import type { Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import { limits } from '../limits.js';
import { decompressor, sniffCompression, type Compression } from '../compression/index.js';
import { TarEndTracker } from './tar-end.js';
import { classifyWhiteout, diffSizeOf, normalizeEntryPath, type EntryType, type LayerEntry } from './entry.js';

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
  /** progress: decompressed bytes so far */
  onProgress?: (compressedBytes: number) => void;
}

const TYPES: Record<string, EntryType> = {
  file: 'file', 'contiguous-file': 'file', directory: 'dir', symlink: 'symlink', link: 'hardlink',
  'character-device': 'char', 'block-device': 'block', fifo: 'fifo',
};

function toEntry(h: tarStream.Header): LayerEntry {
  const type = TYPES[h.type ?? 'file'] ?? 'other';
  const e: LayerEntry = {
    path: normalizeEntryPath(h.name),
    type,
    size: type === 'file' ? h.size ?? 0 : 0,
    mode: (h.mode ?? 0) & 0o7777,
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    mtime: h.mtime ? Math.floor(h.mtime.getTime() / 1000) : 0,
    linkTarget: h.linkname ? (type === 'hardlink' ? normalizeEntryPath(h.linkname) : h.linkname) : null,
  };
  if (h.pax) {
    for (const [k, v] of Object.entries(h.pax)) {
      if (k.startsWith('SCHILY.xattr.')) (e.xattrs ??= {})[k.slice(13)] = Buffer.from(String(v), 'latin1').toString('base64');
    }
  }
  return classifyWhiteout(e);
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
  };

/**
 * One streaming pass over a layer blob: sniff → inflate → tee into sha256 and
 * a tar entry reader. Never holds more than a few chunks of the layer.
 */
export async function readLayer(blob: Readable, opts: PassOptions): Promise<LayerListing> {
  const r = await pass(blob, opts, false);
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

const SNIFF_BYTES = 4;

function pass(blob: Readable, opts: PassOptions, drain: boolean): Promise<SettledLayer> {
  const rawHash = createHash('sha256');
  const diffHash = createHash('sha256');
  let compressedSize = 0;
  let uncompressedSize = 0;
  let compression: Compression | undefined;
  const entries: LayerEntry[] = [];
  let size = 0;
  const { maxLayerBytes, maxRatio, maxLayerEntries, maxTrailingBytes } = limits();
  // only listing entries costs memory; hash-only passes still parse a compressed tar to stop bombs
  const keepEntries = opts.hashOnly !== true;

  return new Promise<SettledLayer>((resolve) => {
    let failed: LayerdigError | null = null;
    let blobEnded = false;
    let rawDigest: Digest | null = null;
    const digestOfBlob = (): Digest => (rawDigest ??= `sha256:${rawHash.digest('hex')}`);

    let extract: tarStream.Extract | null = null;
    let inflate = null as Transform | null;
    let tarDone = false;
    let streamDone = false;
    let current = '';
    /** decompressed offset where the last entry's body (padded) ends */
    let tarEnd = 0;
    /** finds the end-of-archive marker: what follows (eStargz's TOC) is hashed but not fed to the tar reader */
    const endMarker = new TarEndTracker();

    const fail = (e: unknown) => {
      if (failed) return;
      failed = e instanceof LayerdigError ? e
        : new LayerdigError('E_BAD_ARCHIVE', `${opts.where}: ${describe(e, compression)}`);
      inflate?.destroy();
      extract?.destroy();
      if (!drain) {
        blob.destroy();
        resolve({ ok: false, error: failed, digest: null, compressedSize, compression });
      } else if (blobEnded) {
        resolve({ ok: false, error: failed, digest: digestOfBlob(), compressedSize, compression });
      } else {
        blob.resume(); // keep hashing the stored bytes to the end
      }
    };

    const finish = () => {
      if (failed || !streamDone || (extract && !tarDone)) return;
      resolve({
        ok: true,
        listing: {
          diffId: `sha256:${diffHash.digest('hex')}`,
          digest: digestOfBlob(),
          compression: compression ?? 'none',
          compressedSize, uncompressedSize, size, entries,
        },
      });
    };

    const startTar = () => {
      const x = tarStream.extract();
      extract = x;
      x.on('entry', (h, body, next) => {
        if (failed) return;
        let e: LayerEntry;
        try {
          e = toEntry(h);
        } catch (err) {
          fail(err);
          return;
        }
        current = e.path;
        const at = (h as { byteOffset?: number }).byteOffset;
        if (typeof at === 'number') tarEnd = Math.max(tarEnd, at + Math.ceil(bodySize(h) / 512) * 512);
        if (e.path !== '' && keepEntries) {
          entries.push(e);
          size += diffSizeOf(e);
          if (entries.length > maxLayerEntries) {
            fail(new LayerdigError('E_LIMIT', `${opts.where}: more than ${maxLayerEntries} entries in one layer: stopped (a safety limit; raise --max-layer-entries)`));
            return;
          }
        }
        if (h.type === 'directory') {
          // tar-stream gives a directory no body, and when its header claims a size anyway that
          // body stream never ends: waiting for it would hang the pass (found by the fuzz test)
          body.on('error', () => {}); // it is never read; the extract reports any error itself
          const visit = opts.onEntry && e.path !== '' ? opts.onEntry(e, Readable.from([])) : undefined;
          Promise.resolve(visit).then(() => next(), fail);
          return;
        }
        body.on('end', () => next());
        body.on('error', fail);
        if (opts.onEntry && e.path !== '') {
          Promise.resolve(opts.onEntry(e, body as unknown as Readable)).then(() => body.resume(), fail);
        } else {
          body.resume();
        }
      });
      x.on('finish', () => { tarDone = true; finish(); });
      x.on('error', (err) => fail(new LayerdigError('E_BAD_ARCHIVE',
        `${opts.where}: not a readable tar layer${current ? ` (after entry ${current})` : ''}: ${err.message}`)));
    };

    // eStargz and others put bytes after the tar's end blocks: they count in the diffID but
    // the tar reader does not see them. A decompression bomb is stopped by size, by ratio,
    // or by too much data after the last entry.
    const feed = (chunk: Buffer, resume: () => void): boolean => {
      diffHash.update(chunk);
      uncompressedSize += chunk.length;
      if (uncompressedSize > maxLayerBytes
        || (uncompressedSize > 1024 ** 3 && compression !== 'none' && uncompressedSize > compressedSize * maxRatio)) {
        fail(new LayerdigError('E_LIMIT', `${opts.where}: decompressed past ${uncompressedSize} bytes from ${compressedSize} compressed `
          + `(limits: ${maxLayerBytes} bytes, ratio ${maxRatio}): stopped as a likely decompression bomb (raise --max-layer-bytes / --max-ratio if it is real)`));
        return true;
      }
      if (!extract) return true;
      if (uncompressedSize - tarEnd > maxTrailingBytes) {
        fail(new LayerdigError('E_LIMIT', `${opts.where}: more than ${maxTrailingBytes} bytes of data after the last tar entry `
          + `(at byte ${tarEnd} of ${uncompressedSize} decompressed): stopped as a likely decompression bomb (raise --max-trailing-bytes if it is real)`));
        return true;
      }
      const forTar = endMarker.take(chunk);
      if (forTar.length === 0) return true;
      const ok = extract.write(forTar);
      if (!ok) extract.once('drain', resume);
      return ok;
    };

    const endAll = () => {
      streamDone = true;
      if (extract) (extract as unknown as { end(): void }).end();
      finish();
    };

    let pending: Buffer | null = null;
    const start = (head: Buffer) => {
      compression = sniffCompression(head);
      if (keepEntries || compression !== 'none') startTar();
      if (compression === 'none') return;
      try {
        inflate = decompressor(compression);
      } catch (e) {
        fail(e);
        return;
      }
      const z = inflate;
      z.on('data', (out: Buffer) => {
        if (failed) return;
        if (!feed(out, () => z.resume())) z.pause();
      });
      z.on('error', fail);
      z.on('end', () => { if (!failed) endAll(); });
      z.on('drain', () => { if (!failed) blob.resume(); });
    };
    const push = (chunk: Buffer) => {
      if (inflate) {
        if (!inflate.write(chunk)) blob.pause();
      } else if (!feed(chunk, () => blob.resume())) {
        blob.pause();
      }
    };

    blob.on('error', (e) => {
      if (failed) {
        if (drain) resolve({ ok: false, error: failed, digest: null, compressedSize, compression });
        return;
      }
      if (drain) {
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
      push(chunk);
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
        if (pending) push(pending);
      }
      if (inflate) inflate.end();
      else endAll();
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
