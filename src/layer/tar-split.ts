import { zlib } from '../compression/builtins.js';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { LayerdigError } from '../errors.js';
import { Crc64 } from './crc64.js';

/**
 * tar-split (github.com/vbatts/tar-split) is the file Docker keeps beside each
 * unpacked layer (`layerdb/sha256/<chainID>/tar-split.json.gz`) so `docker
 * save` can rebuild the layer's exact tar: a gzip'ed stream of JSON lines,
 * type 2 = a segment of raw tar bytes (headers, padding, end blocks; base64
 * `payload`), type 1 = a file's body, taken from the unpacked directory by
 * `name` (or base64 `name_raw`), `size` bytes, `payload` = its CRC-64/ISO.
 */
export interface TarSplitFile {
  name: string;
  size: number;
  crc64: Buffer | null;
}

export type TarSplitEntry = { type: 'segment'; bytes: Buffer } | ({ type: 'file' } & TarSplitFile);

/** The longest JSON line accepted: a segment holds one header group (PAX records included). */
const MAX_LINE = 16 * 1024 * 1024;

function parseLine(line: string, where: string, n: number): TarSplitEntry | null {
  if (line.trim() === '') return null;
  let o: unknown;
  try {
    o = JSON.parse(line);
  } catch {
    throw new LayerdigError('E_BAD_ARCHIVE', `${where}: line ${n} is not JSON`);
  }
  const e = o as { type?: unknown; name?: unknown; name_raw?: unknown; size?: unknown; payload?: unknown };
  if (e.type === 2) return { type: 'segment', bytes: typeof e.payload === 'string' ? Buffer.from(e.payload, 'base64') : Buffer.alloc(0) };
  if (e.type === 1) {
    const name = typeof e.name_raw === 'string' && e.name_raw !== ''
      ? Buffer.from(e.name_raw, 'base64').toString('latin1')
      : typeof e.name === 'string' ? e.name : '';
    const size = e.size === undefined ? 0 : e.size;
    if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
      throw new LayerdigError('E_BAD_ARCHIVE', `${where}: line ${n} has a bad size`);
    }
    return { type: 'file', name, size, crc64: typeof e.payload === 'string' ? Buffer.from(e.payload, 'base64') : null };
  }
  throw new LayerdigError('E_BAD_ARCHIVE', `${where}: line ${n} has unknown type ${String(e.type)}`);
}

/** Stream the entries of a tar-split file (its gzip'ed bytes as `body`). */
export async function* tarSplitEntries(body: Readable, where: string): AsyncGenerator<TarSplitEntry> {
  const gunzip = zlib().createGunzip();
  body.on('error', (e) => gunzip.destroy(e));
  body.pipe(gunzip);
  let rest = '';
  let n = 0;
  try {
    for await (const chunk of gunzip as AsyncIterable<Buffer>) {
      rest += chunk.toString('utf8');
      let nl: number;
      while ((nl = rest.indexOf('\n')) >= 0) {
        const e = parseLine(rest.slice(0, nl), where, ++n);
        rest = rest.slice(nl + 1);
        if (e) yield e;
      }
      if (rest.length > MAX_LINE) throw new LayerdigError('E_LIMIT', `${where}: a line longer than ${MAX_LINE} bytes`);
    }
  } catch (e) {
    if (e instanceof LayerdigError) throw e;
    throw new LayerdigError('E_BAD_ARCHIVE', `${where}: not a readable tar-split file (${(e as Error).message})`);
  }
  const last = parseLine(rest, where, ++n);
  if (last) yield last;
}

/** A file body that does not match what tar-split recorded when the layer was unpacked. */
export interface ReassemblyProblem {
  /** the file's name in the layer tar */
  path: string;
  what: string;
}

export interface ReassembleOptions {
  where: string;
  /** the file's body in the unpacked layer, or null when it is missing / not a regular file */
  open(name: string): { body: Readable; size: number } | null | Promise<{ body: Readable; size: number } | null>;
  /** compare each body's CRC-64 with tar-split's (verify); sizes are always compared */
  checkCrc?: boolean;
  /**
   * A missing or changed file. The stream keeps the tar's shape (a short body is
   * zero-padded, a long one cut), so the hash still differs and the rest still lists.
   */
  onProblem(p: ReassemblyProblem): void;
}

/** Tar names are relative; `./a`, `/a` and `a` name the same file of the layer directory. */
export function layerFileName(name: string): string | null {
  const n = posix.normalize(name.replace(/^\/+/, '')).replace(/^\.\//, '').replace(/\/$/, '');
  if (n === '.' || n === '' || n === '..' || n.startsWith('../')) return null;
  return n;
}

/**
 * Rebuild the layer's tar, byte for byte, from tar-split segments and the
 * files of the unpacked layer directory: its sha256 is the layer's diffID when
 * nothing on disk changed. Streams: one file body at a time.
 */
export async function* reassemble(entries: AsyncIterable<TarSplitEntry>, opts: ReassembleOptions): AsyncGenerator<Buffer> {
  for await (const e of entries) {
    if (e.type === 'segment') {
      if (e.bytes.length) yield e.bytes;
      continue;
    }
    // hard links, directories, empty files: no body (as tar-split's own assembler skips them)
    if (e.size === 0) continue;
    const name = layerFileName(e.name);
    const src = name === null ? null : await opts.open(name);
    if (!src) {
      opts.onProblem({ path: e.name, what: 'is missing from the layer directory' });
      yield* zeros(e.size);
      continue;
    }
    if (src.size !== e.size) opts.onProblem({ path: e.name, what: `is ${src.size} bytes on disk, ${e.size} in the layer's tar` });
    const crc = opts.checkCrc && e.crc64 ? new Crc64() : null;
    let left = e.size;
    try {
      for await (const c of src.body as AsyncIterable<Buffer>) {
        if (left === 0) break;
        const part = c.length > left ? c.subarray(0, left) : c;
        left -= part.length;
        crc?.update(part);
        yield part;
      }
    } catch (err) {
      // an unreadable file (permissions, I/O): one sentence naming it, not a stack trace
      if (err instanceof LayerdigError) throw err;
      throw new LayerdigError('E_IO', `${opts.where}: ${e.name}: ${(err as Error).message}`);
    }
    src.body.destroy();
    if (left > 0) yield* zeros(left);
    else if (crc && src.size === e.size && !crc.digest().equals(e.crc64!)) {
      opts.onProblem({ path: e.name, what: 'content differs from the layer\'s tar (CRC-64 mismatch)' });
    }
  }
}

function* zeros(n: number): Generator<Buffer> {
  const block = Buffer.alloc(Math.min(n, 64 * 1024));
  for (let left = n; left > 0; left -= block.length) yield left >= block.length ? block : block.subarray(0, left);
}
