import type { Readable, Writable } from 'node:stream';
import { once } from 'node:events';
import { LayerdigError } from '../errors.js';
import type { EntryType } from '../layer/entry.js';

/**
 * A streaming POSIX (pax) tar writer. tar-stream's packer writes PAX values as
 * UTF-8 text, which corrupts binary extended attributes (a security.capability
 * with cap_setuid holds byte 0x80), so `export` writes headers itself: ustar
 * blocks, plus a PAX record (byte-exact) for long or non-ASCII names and link
 * targets, numbers too big for the octal fields, and xattrs. Bodies are piped
 * with backpressure; nothing is held in memory.
 */

export interface TarHeader {
  name: string;
  type: Exclude<EntryType, 'other'>;
  mode: number;
  uid: number;
  gid: number;
  /** seconds since the epoch */
  mtime: number;
  /** regular files only */
  size: number;
  /** symlink target, or the earlier member a hard link names */
  linkname?: string | null;
  devmajor?: number;
  devminor?: number;
  /** name → base64 value (LayerEntry.xattrs) */
  xattrs?: Record<string, string>;
}

const TYPEFLAG: Record<TarHeader['type'], string> = {
  file: '0', hardlink: '1', symlink: '2', char: '3', block: '4', dir: '5', fifo: '6',
};

const isAscii = (s: string) => /^[\x20-\x7e]*$/.test(s);

function octal(buf: Buffer, off: number, len: number, v: number): boolean {
  const s = Math.max(0, Math.floor(v)).toString(8);
  if (s.length > len - 1) return false;
  buf.write(s.padStart(len - 1, '0'), off, 'ascii');
  return true;
}

/** One `"%d key=value\n"` record; the length counts itself. */
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`, 'utf8'), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len), 'ascii'), body]);
}

function block(fields: { name: string; mode: number; uid: number; gid: number; size: number; mtime: number; typeflag: string; linkname: string; devmajor: number; devminor: number }): { buf: Buffer; overflow: string[] } {
  const buf = Buffer.alloc(512);
  const overflow: string[] = [];
  buf.write(fields.name, 0, 100, 'utf8');
  octal(buf, 100, 8, fields.mode & 0o7777);
  if (!octal(buf, 108, 8, fields.uid)) overflow.push('uid');
  if (!octal(buf, 116, 8, fields.gid)) overflow.push('gid');
  if (!octal(buf, 124, 12, fields.size)) overflow.push('size');
  if (!octal(buf, 136, 12, fields.mtime)) overflow.push('mtime');
  buf.write('        ', 148, 8, 'ascii');
  buf.write(fields.typeflag, 156, 1, 'ascii');
  buf.write(fields.linkname, 157, 100, 'utf8');
  buf.write('ustar\u000000', 257, 8, 'ascii');
  octal(buf, 329, 8, fields.devmajor);
  octal(buf, 337, 8, fields.devminor);
  let sum = 0;
  for (const b of buf) sum += b;
  buf.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'ascii');
  return { buf, overflow };
}

export class TarWriter {
  private bytes = 0;
  entries = 0;

  constructor(private readonly out: Writable) {}

  get written(): number {
    return this.bytes;
  }

  private async push(chunk: Buffer): Promise<void> {
    this.bytes += chunk.length;
    if (!this.out.write(chunk)) await once(this.out, 'drain');
  }

  private async pad(size: number): Promise<void> {
    const r = size % 512;
    if (r) await this.push(Buffer.alloc(512 - r));
  }

  /** Write one entry's header (and PAX record when needed). */
  async header(h: TarHeader): Promise<void> {
    const name = h.type === 'dir' ? `${h.name}/` : h.name;
    const linkname = h.linkname ?? '';
    const size = h.type === 'file' ? h.size : 0;
    const fields = {
      name, mode: h.mode, uid: h.uid, gid: h.gid, size, mtime: h.mtime, typeflag: TYPEFLAG[h.type],
      linkname, devmajor: h.devmajor ?? 0, devminor: h.devminor ?? 0,
    };
    const records: Buffer[] = [];
    const longName = Buffer.byteLength(name) > 100 || !isAscii(name);
    const longLink = Buffer.byteLength(linkname) > 100 || !isAscii(linkname);
    if (longName) records.push(paxRecord('path', Buffer.from(name, 'utf8')));
    if (longLink) records.push(paxRecord('linkpath', Buffer.from(linkname, 'utf8')));
    const { buf, overflow } = block({
      ...fields,
      name: longName ? asciiStub(name) : name,
      linkname: longLink ? asciiStub(linkname) : linkname,
    });
    for (const k of overflow) records.push(paxRecord(k, Buffer.from(String(Math.floor(fields[k as 'uid'])), 'ascii')));
    for (const [k, v] of Object.entries(h.xattrs ?? {})) records.push(paxRecord(`SCHILY.xattr.${k}`, Buffer.from(v, 'base64')));
    if (records.length) {
      const pax = Buffer.concat(records);
      const base = name.replace(/\/$/, '').split('/').pop() ?? '';
      const ph = block({
        name: asciiStub(`PaxHeaders/${base}`), mode: 0o644, uid: 0, gid: 0, size: pax.length, mtime: Math.min(fields.mtime, 0o77777777777),
        typeflag: 'x', linkname: '', devmajor: 0, devminor: 0,
      });
      await this.push(ph.buf);
      await this.push(pax);
      await this.pad(pax.length);
    }
    await this.push(buf);
    this.entries++;
  }

  /** A regular file: header, then exactly `h.size` bytes from `body`. */
  async file(h: TarHeader, body: Readable): Promise<void> {
    await this.header(h);
    let n = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      n += chunk.length;
      if (n > h.size) throw new LayerdigError('E_BAD_ARCHIVE', `${h.name}: body is longer than its header says (${h.size} bytes)`);
      await this.push(chunk);
    }
    if (n !== h.size) throw new LayerdigError('E_BAD_ARCHIVE', `${h.name}: body ended after ${n} of ${h.size} bytes`);
    await this.pad(n);
  }

  /** The two zero blocks that end an archive. */
  async finish(): Promise<void> {
    await this.push(Buffer.alloc(1024));
  }
}

/** A name that fits the 100-byte ustar field, for readers that ignore PAX. */
function asciiStub(s: string): string {
  const a = s.replace(/[^\x20-\x7e]/g, '_');
  return a.length <= 100 ? a : a.slice(a.length - 100);
}
