import type { Readable } from 'node:stream';
import { Readable as ReadableStream } from 'node:stream';
import { LayerdigError } from '../errors.js';
import { sniffCompression } from '../compression/index.js';
import { CompressedTarStore } from '../store/compressed-tar.js';
import { isFormatMetadata } from '../format/formats.js';
import { BLOCK, checksumOk } from '../store/tar-header.js';
import type { Store } from '../store/store.js';

/** The name `-` stands for standard input. */
export const STDIN = '-';

let taken = false;

/**
 * Standard input as a store: a tar (plain, gzip or zstd) read in ONE
 * sequential pass, the one that lists the members and keeps the JSON ones —
 * as for a whole-compressed archive, which cannot seek either. Everything that
 * reads only JSON works (images, inspect, history, layers --no-content,
 * relation, none, base --no-os); a command that needs the layers' contents
 * (a second pass) stops with a usage error saying so. Nothing is spooled to disk.
 */
export async function openStdin(stream: Readable = process.stdin): Promise<Store> {
  if (taken) throw new LayerdigError('E_USAGE', '-: standard input can be named once');
  taken = true;
  if ((stream as { isTTY?: boolean }).isTTY) {
    throw new LayerdigError('E_USAGE', '-: standard input is a terminal: pipe an archive in (`docker save app | layerdig images -`)');
  }
  // the first bytes decide the compression; the stream then goes on from the same place
  const it = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]();
  const head: Buffer[] = [];
  let size = 0;
  let done = false;
  while (size < 512 && !done) {
    const r = await it.next();
    if (r.done) done = true;
    else {
      head.push(r.value);
      size += r.value.length;
    }
  }
  const first = Buffer.concat(head, size);
  if (size === 0) throw new LayerdigError('E_NOT_AN_ARCHIVE', '-: standard input is empty (0 bytes)');
  const compression = sniffCompression(first);
  if (compression === 'none' && !(size >= BLOCK && checksumOk(first.subarray(0, BLOCK)))) {
    throw new LayerdigError('E_NOT_AN_ARCHIVE', '-: standard input is not a tar archive or a compressed tar');
  }
  const rest = ReadableStream.from((async function* () {
    yield first;
    if (done) return;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  })(), { objectMode: false });
  return CompressedTarStore.load(STDIN, compression, rest, { isMetadata: isFormatMetadata });
}

/** For the tests that run several command lines in one process. */
export function resetStdin(): void {
  taken = false;
}
