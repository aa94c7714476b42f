import { createReadStream } from 'node:fs';
import { PassThrough, Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type tarStream from 'tar-stream';
import { tarExtract } from './tar-stream.js';
import { badArchive, LayerdigError } from '../errors.js';
import { limits } from '../limits.js';
import { decompressor, READ_CHUNK, type Compression } from '../compression/index.js';
import { BLOCK, checksumOk, isZeroBlock, normalizeMemberName, unsafeMemberName } from './tar-header.js';
import { tooBig, memberStorage, type Member, type MemberMeta, type MemberType, type Store, type StoreOptions } from './store.js';

const HEAD_BYTES = 512;

function memberType(t: string | null | undefined): MemberType {
  switch (t) {
    case 'file': case 'contiguous-file': return 'file';
    case 'directory': return 'dir';
    case 'symlink': return 'symlink';
    case 'link': return 'hardlink';
    default: return 'other';
  }
}

/** Owner, mode, time, device numbers and xattrs (a data-root's layer directories need them). */
function headerMeta(h: tarStream.Header): MemberMeta {
  const meta: MemberMeta = { mode: (h.mode ?? 0) & 0o7777, uid: h.uid ?? 0, gid: h.gid ?? 0, mtime: h.mtime ? h.mtime.getTime() / 1000 : 0 };
  if (h.type === 'character-device') meta.char = { major: h.devmajor ?? 0, minor: h.devminor ?? 0 };
  for (const [k, v] of Object.entries((h.pax as Record<string, string> | undefined) ?? {})) {
    if (k.startsWith('SCHILY.xattr.')) (meta.xattrs ??= {})[k.slice(13)] = Buffer.from(String(v), 'latin1').toString('base64');
  }
  return meta;
}

/**
 * Metadata members are kept in memory during the pass; layer bodies never are.
 * Which names are metadata is the formats' knowledge (Format.isMetadata), passed in.
 */
function looksLikeMetadata(name: string, first: Buffer, isMetadata: (name: string) => boolean): boolean {
  if (isMetadata(name)) return true;
  const c = first.subarray(0, 16).toString('latin1').trimStart()[0];
  return c === '{' || c === '[';
}

/** A member as the tar header describes it. */
function toMember(name: string, header: tarStream.Header): Member {
  return {
    name,
    type: memberType(header.type),
    size: header.type === 'file' || header.type === 'contiguous-file' ? (header.size ?? 0) : 0,
    linkname: header.linkname ?? undefined,
    meta: headerMeta(header),
  };
}

/**
 * A gzip- or zstd-compressed tar (`docker save | gzip`). It cannot seek, so
 * loading makes one sequential pass that records every member and keeps the
 * small JSON ones; `each` streams many bodies in one further pass.
 */
export class CompressedTarStore implements Store {
  readonly kind = 'compressed-tar' as const;
  private readonly byName = new Map<string, Member>();
  private readonly order: Member[] = [];
  private readonly kept = new Map<string, Buffer>();
  private readonly heads = new Map<string, Buffer>();
  /** for each name, the ordinal of the occurrence that counts (the last) */
  private readonly winner = new Map<string, number>();
  readonly duplicates: string[] = [];
  readonly unsafeNames: string[] = [];
  /** decompressed bytes the last pass saw */
  private inflated = 0;

  /** a stream read instead of the file (standard input): one pass only, the loading one */
  private source: Readable | null = null;
  private sourceRead = false;

  private constructor(readonly path: string, readonly outerCompression: Compression) {}

  static async load(path: string, compression: Compression, source?: Readable, opts: StoreOptions = {}): Promise<CompressedTarStore> {
    const isMetadata = opts.isMetadata ?? (() => false);
    const s = new CompressedTarStore(path, compression);
    s.source = source ?? null;
    let keptBytes = 0;
    await s.pass(async (m, body) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let keep: boolean | undefined;
      const decide = () => {
        const first = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
        s.heads.set(m.name, Buffer.from(first.subarray(0, HEAD_BYTES)));
        keep = m.size <= limits().maxJsonBytes && looksLikeMetadata(m.name, first, isMetadata);
        chunks.length = 0;
        size = 0;
        if (keep) {
          chunks.push(first);
          size = first.length;
        }
      };
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (keep === false) continue;
        chunks.push(chunk);
        size += chunk.length;
        // decide from the first HEAD_BYTES, however the stream splits them
        if (keep === undefined && size >= HEAD_BYTES) decide();
      }
      if (keep === undefined) decide();
      if (keep) {
        keptBytes += size;
        if (keptBytes > 16 * limits().maxJsonBytes) {
          throw new LayerdigError('E_LIMIT', `${path}: more JSON members than layerdig will hold in memory (over ${16 * limits().maxJsonBytes} bytes; raise --max-json-bytes)`);
        }
        s.kept.set(m.name, Buffer.concat(chunks, size));
      }
    }, true);
    if (s.order.length === 0) {
      throw badArchive(path, undefined, s.inflated === 0 ? `is ${compression} data that decompresses to nothing: no tar archive inside` : 'is an empty tar archive');
    }
    return s;
  }

  /** One pass over the archive; `fn` sees each regular member (all of them, or only `wanted`). */
  private async pass(
    fn: (m: Member, body: Readable) => Promise<void>,
    record: boolean,
    wanted?: Set<string>,
  ): Promise<void> {
    const extract = tarExtract();
    let current = '(start of archive)';
    let ordinal = -1;
    /** a failure of ours (a limit, a bad layer) wins over the stream errors it causes */
    let own: unknown;
    /** decompressed offset where the last member's body (padded) ends */
    let tarEnd = 0;
    const done = new Promise<void>((resolve, reject) => {
      const stop = (e: unknown) => {
        own ??= e;
        reject(e);
      };
      extract.on('entry', (header, stream, next) => {
        ordinal++;
        // when the archive ends inside this body, tar-stream destroys the body stream with the same
        // error it reports on the extract (handled below): without a listener it would be uncaught
        stream.on('error', () => {});
        const name = normalizeMemberName(header.name);
        current = name;
        const at = (header as { byteOffset?: number }).byteOffset;
        // tar-stream (like GNU tar) reads no body for a directory, whatever its size field says
        const bodySize = header.type === 'directory' ? 0 : header.size ?? 0;
        if (typeof at === 'number') tarEnd = Math.max(tarEnd, at + Math.ceil(bodySize / 512) * 512);
        const m = toMember(name, header);
        const tooMany = record && name !== '' ? this.recordMember(name, header.name, m, ordinal) : null;
        if (tooMany) {
          stop(tooMany);
          return;
        }
        // a name that occurs twice is read from its last occurrence, as extraction would leave it
        const use = m.type === 'file' && (!wanted || (wanted.has(name) && this.winner.get(name) === ordinal));
        if (!use) {
          // a directory's body stream never ends when its header claims a size: do not wait for it
          if (header.type === 'directory') next();
          else stream.on('end', next).resume();
          return;
        }
        fn(m, stream as unknown as Readable).then(() => { stream.resume(); next(); }, (e) => { stop(e); stream.destroy(); });
      });
      extract.on('finish', resolve);
      extract.on('error', reject);
    });
    let streamed = 0;
    const file = this.source ? null : createReadStream(this.path, { highWaterMark: READ_CHUNK });
    const input = file ?? this.takeSource().pipe(new Transform({ transform: (c: Buffer, _e, cb) => { streamed += c.length; cb(null, c); } }));
    const inBytes = () => file?.bytesRead ?? streamed;
    const { maxRatio, maxTrailingBytes } = limits();
    let out = 0;
    /** the first decompressed block: whether there is a tar inside at all */
    let first = Buffer.alloc(0);
    const meter = new Transform({
      transform: (chunk: Buffer, _enc, cb) => {
        if (first.length < BLOCK) first = Buffer.concat([first, chunk.subarray(0, BLOCK - first.length)]);
        out += chunk.length;
        if (out - tarEnd > maxTrailingBytes) {
          cb((own ??= new LayerdigError('E_LIMIT', `${this.path}: more than ${maxTrailingBytes} bytes of data after the last member `
            + `(at byte ${tarEnd} of ${out} decompressed): stopped as a likely decompression bomb (raise --max-trailing-bytes if it is real)`)) as Error);
          return;
        }
        if (out > 1024 ** 3 && out > inBytes() * maxRatio) {
          cb((own ??= new LayerdigError('E_LIMIT', `${this.path}: decompressed ${out} bytes from ${inBytes()} `
            + `(more than ${maxRatio}:1): stopped as a likely decompression bomb (raise --max-ratio if it is real)`)) as Error);
          return;
        }
        cb(null, chunk);
      },
    });
    try {
      const inflate = this.outerCompression === 'none' ? new PassThrough({ highWaterMark: READ_CHUNK }) : decompressor(this.outerCompression);
      await Promise.all([pipeline(input, inflate, meter, extract), done]);
      this.inflated = out;
    } catch (e) {
      throw this.failure(own ?? e, current === '(start of archive)' ? undefined : current, { read: inBytes(), out, first });
    }
  }

  /** The loading pass notes every member; a name met again is read from its last occurrence, as extraction would leave it. */
  private recordMember(name: string, rawName: string, m: Member, ordinal: number): LayerdigError | null {
    if (this.byName.has(name)) this.duplicates.push(name);
    if (unsafeMemberName(rawName)) this.unsafeNames.push(rawName);
    this.byName.set(name, m);
    this.order.push(m);
    this.winner.set(name, ordinal);
    if (this.order.length <= limits().maxMembers) return null;
    return new LayerdigError('E_LIMIT', `${this.path}: more than ${limits().maxMembers} members (a safety limit; raise --max-members)`);
  }

  /** Why a pass failed, in one sentence naming the member it was in (none: before the first). */
  private failure(err: unknown, member: string | undefined, at: { read: number; out: number; first: Buffer }): unknown {
    if (err instanceof LayerdigError) return err;
    const c = this.outerCompression;
    const { read, out, first } = at;
    if ((err as NodeJS.ErrnoException).code === 'Z_BUF_ERROR') {
      return badArchive(this.path, member, `truncated at byte ${read}: the ${c} stream stops before its end (${out} bytes decompressed so far)`);
    }
    if (member === undefined && !(first.length === BLOCK && (checksumOk(first) || isZeroBlock(first)))) {
      return badArchive(this.path, undefined, out === 0 ? `is ${c} data that decompresses to nothing: no tar archive inside`
        : `is ${c} data that holds no tar archive (the ${out < BLOCK ? `${out} bytes` : 'data'} inside ${out < BLOCK ? 'are less than one tar header' : 'does not start with a tar header'})`);
    }
    return badArchive(this.path, member, `cannot read the compressed archive here (${(err as Error).message})`);
  }

  /** The stream, once: a second pass over standard input cannot be made. */
  private takeSource(): Readable {
    if (this.sourceRead || this.source === null) {
      throw new LayerdigError('E_USAGE', `${this.path}: standard input can be read only once, and this needs a second pass over the archive `
        + '(layer contents, after its JSON): save the archive to a file and name that instead');
    }
    this.sourceRead = true;
    return this.source;
  }

  members(): Member[] {
    return this.order;
  }

  member(name: string): Member | undefined {
    return this.byName.get(name);
  }

  async readBytes(name: string, limit: number): Promise<Buffer> {
    const m = this.byName.get(name);
    if (!m) throw badArchive(this.path, name, 'member is missing');
    if (m.size > limit) throw tooBig(this.path, name, m.size, limit);
    const kept = this.kept.get(name);
    if (kept) return kept;
    const chunks: Buffer[] = [];
    await this.each([name], async (_n, body) => {
      for await (const c of body as AsyncIterable<Buffer>) chunks.push(c);
    });
    return Buffer.concat(chunks);
  }

  async head(name: string, n: number): Promise<Buffer> {
    const h = this.heads.get(name);
    if (h && h.length >= Math.min(n, this.byName.get(name)?.size ?? 0)) return h.subarray(0, n);
    // more than the kept head: read only the first n bytes of the member
    const chunks: Buffer[] = [];
    let got = 0;
    await this.each([name], async (_n, body) => {
      for await (const c of body as AsyncIterable<Buffer>) {
        if (got < n) {
          chunks.push(c);
          got += c.length;
        }
      }
    });
    return Buffer.concat(chunks).subarray(0, n);
  }

  open(name: string): Readable {
    const kept = this.kept.get(name);
    if (kept) return Readable.from([kept]);
    const out = new PassThrough({ highWaterMark: READ_CHUNK });
    this.each([name], (_n, body) => pipeline(body, out)).catch((e) => out.destroy(e));
    return out;
  }

  async each(names: string[], fn: (name: string, body: Readable) => Promise<void>): Promise<void> {
    const wanted = new Set(names);
    const seen = new Set<string>();
    await this.pass(async (m, body) => {
      seen.add(m.name);
      await fn(m.name, body);
    }, false, wanted);
    for (const n of names) {
      if (!seen.has(n)) throw badArchive(this.path, n, 'member is missing');
    }
  }

  storage(name: string): string {
    return memberStorage(this.path, false, name);
  }

  close(): void {}
}
