import { closeSync, createReadStream, fstatSync, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { badArchive, LayerdigError } from '../errors.js';
import { limits } from '../limits.js';
import { READ_CHUNK } from '../compression/index.js';
import {
  BLOCK, isZeroBlock, normalizeMemberName, paddedSize, parseHeader, parsePax, unsafeMemberName, type TarType,
} from './tar-header.js';
import { eachSequential, tooBig, memberStorage, type Member, type MemberMeta, type MemberType, type Store } from './store.js';

interface TarMember extends Member {
  offset: number;
}

const META_MAX = 1024 * 1024; // PAX / GNU long-name bodies
/** the members a container image archive is found by (see format/) */
const INDEX_MEMBERS = ['manifest.json', 'index.json', 'repositories'];

function memberType(t: TarType): MemberType {
  switch (t) {
    case 'file': case 'dir': case 'symlink': case 'hardlink': return t;
    default: return 'other';
  }
}

/** Owner, mode, time, device numbers and xattrs of a header (a data-root's layer directories need them). */
export function memberMeta(block: Buffer, h: { mode: number; uid: number; gid: number; mtime: number }, pax: Record<string, string>): MemberMeta {
  const meta: MemberMeta = { mode: h.mode & 0o7777, uid: h.uid, gid: h.gid, mtime: pax.mtime !== undefined ? Number(pax.mtime) : h.mtime };
  if (String.fromCharCode(block[156]!) === '3') {
    meta.char = { major: parseInt(block.toString('latin1', 329, 337), 8) || 0, minor: parseInt(block.toString('latin1', 337, 345), 8) || 0 };
  }
  for (const [k, v] of Object.entries(pax)) {
    if (k.startsWith('SCHILY.xattr.')) (meta.xattrs ??= {})[k.slice(13)] = Buffer.from(v, 'latin1').toString('base64');
  }
  return meta;
}

/**
 * An uncompressed tar on disk: index it by reading 512-byte headers and
 * seeking past bodies, then read any member as a byte range.
 */
export class TarFileStore implements Store {
  readonly kind = 'tar' as const;
  readonly outerCompression = 'none' as const;
  private readonly fd: number;
  private readonly byName = new Map<string, TarMember>();
  private readonly order: TarMember[] = [];
  /** member names that occur more than once (the last one wins, as in extraction) */
  readonly duplicates: string[] = [];
  readonly unsafeNames: string[] = [];

  constructor(readonly path: string) {
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      throw new LayerdigError('E_IO', `${path}: ${(e as Error).message}`);
    }
    this.index();
  }

  private read(pos: number, len: number): Buffer {
    const buf = Buffer.alloc(len);
    let got = 0;
    while (got < len) {
      const n = readSync(this.fd, buf, got, len - got, pos + got);
      if (n === 0) break;
      got += n;
    }
    return got === len ? buf : buf.subarray(0, got);
  }

  private index(): void {
    const fileSize = fstatSync(this.fd).size;
    let pos = 0;
    let longName: string | undefined;
    let longLink: string | undefined;
    let pax: Record<string, string> = {};
    let last = '(start of archive)';
    let ended = false;
    while (pos + BLOCK <= fileSize) {
      const block = this.read(pos, BLOCK);
      if (isZeroBlock(block)) {
        ended = true; // end of archive (one zero block is enough for us)
        break;
      }
      const h = parseHeader(block);
      if (!h) throw badArchive(this.path, undefined, `corrupt tar header at byte ${pos} (after ${last})`);
      const bodyAt = pos + BLOCK;
      if (bodyAt + h.size > fileSize) {
        throw badArchive(this.path, normalizeMemberName(longName ?? pax.path ?? h.name),
          `truncated: the header says ${h.size} bytes but the archive ends ${fileSize - bodyAt} bytes later`);
      }
      pos = bodyAt + paddedSize(h.size);
      if (h.type === 'pax' || h.type === 'gnu-longname' || h.type === 'gnu-longlink') {
        if (h.size > META_MAX) throw badArchive(this.path, h.name, `extended header of ${h.size} bytes is implausible`);
        const body = this.read(bodyAt, h.size);
        if (h.type === 'pax') pax = parsePax(body);
        else if (h.type === 'gnu-longname') longName = body.toString('utf8').replace(/\0+$/, '');
        else longLink = body.toString('utf8').replace(/\0+$/, '');
        continue;
      }
      if (h.type === 'pax-global') continue;
      const raw = pax.path ?? longName ?? h.name;
      const name = normalizeMemberName(raw);
      const size = pax.size !== undefined ? Number(pax.size) : h.size;
      const m: TarMember = {
        name,
        type: memberType(h.type),
        size: h.type === 'file' ? size : 0,
        linkname: pax.linkpath ?? longLink ?? (h.linkname || undefined),
        offset: bodyAt,
        meta: memberMeta(block, h, pax),
      };
      longName = longLink = undefined;
      pax = {};
      last = name;
      if (name === '') continue;
      if (unsafeMemberName(raw)) this.unsafeNames.push(raw);
      if (this.byName.has(name)) this.duplicates.push(name);
      this.byName.set(name, m);
      this.order.push(m);
      if (this.order.length > limits().maxMembers) {
        throw new LayerdigError('E_LIMIT', `${this.path}: more than ${limits().maxMembers} members (a safety limit; raise --max-members)`);
      }
    }
    if (!ended && pos < fileSize && !isZeroBlock(Buffer.concat([this.read(pos, fileSize - pos), Buffer.alloc(BLOCK)]))) {
      throw badArchive(this.path, undefined, `truncated at byte ${fileSize}: the archive ends inside the tar header after ${last}`);
    }
    if (this.order.length === 0) throw badArchive(this.path, undefined, 'is an empty tar archive');
    // no end-of-archive marker and none of the members an image index lives in: cut short, not a foreign tar
    if (!ended && !this.order.some((m) => INDEX_MEMBERS.includes(m.name))) {
      throw badArchive(this.path, undefined, `truncated at byte ${fileSize}: the archive ends after ${last} with no end-of-archive marker and no manifest.json, index.json or repositories`);
    }
  }

  members(): Member[] {
    return this.order;
  }

  member(name: string): Member | undefined {
    return this.byName.get(name);
  }

  private regular(name: string): TarMember {
    const m = this.byName.get(name);
    if (!m) throw badArchive(this.path, name, 'member is missing');
    if (m.type !== 'file') throw badArchive(this.path, name, `is a ${m.type}, not a regular file`);
    return m;
  }

  async readBytes(name: string, limit: number): Promise<Buffer> {
    const m = this.regular(name);
    if (m.size > limit) throw tooBig(this.path, name, m.size, limit);
    return this.read(m.offset, m.size);
  }

  async head(name: string, n: number): Promise<Buffer> {
    const m = this.regular(name);
    return this.read(m.offset, Math.min(n, m.size));
  }

  open(name: string): Readable {
    const m = this.regular(name);
    if (m.size === 0) return Readable.from([]);
    return createReadStream(this.path, { start: m.offset, end: m.offset + m.size - 1, highWaterMark: READ_CHUNK });
  }

  locate(name: string): { file: string; start: number; length: number } {
    const m = this.regular(name);
    return { file: this.path, start: m.offset, length: m.size };
  }

  each(names: string[], fn: (name: string, body: Readable) => Promise<void>): Promise<void> {
    return eachSequential(this, names, fn);
  }

  storage(name: string): string {
    return memberStorage(this.path, false, name);
  }

  close(): void {
    try { closeSync(this.fd); } catch { /* already closed */ }
  }
}
