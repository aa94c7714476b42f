/**
 * Pure parsing of tar headers (ustar, GNU long names, PAX). Used to index an
 * uncompressed archive by walking 512-byte headers and seeking past bodies.
 */
export const BLOCK = 512;

export type TarType = 'file' | 'hardlink' | 'symlink' | 'char' | 'block' | 'dir' | 'fifo'
  | 'pax' | 'pax-global' | 'gnu-longname' | 'gnu-longlink' | 'other';

export interface RawHeader {
  name: string;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  mtime: number;
  type: TarType;
  linkname: string;
}

const TYPES: Record<string, TarType> = {
  '0': 'file', '\0': 'file', '7': 'file', '1': 'hardlink', '2': 'symlink', '3': 'char', '4': 'block',
  '5': 'dir', '6': 'fifo', x: 'pax', g: 'pax-global', L: 'gnu-longname', K: 'gnu-longlink',
};

function cstr(buf: Buffer, start: number, len: number): string {
  const end = buf.indexOf(0, start);
  return buf.toString('utf8', start, end === -1 || end > start + len ? start + len : end);
}

/** Octal, or GNU base-256 when the high bit is set. Returns NaN on garbage. */
export function parseNumber(buf: Buffer, start: number, len: number): number {
  if (buf[start]! & 0x80) {
    let n = 0;
    for (let i = start + 1; i < start + len; i++) n = n * 256 + buf[i]!;
    return buf[start]! & 0x40 ? NaN : n; // negative base-256 makes no sense here
  }
  const s = cstr(buf, start, len).trim();
  if (s === '') return 0;
  return /^[0-7]+$/.test(s) ? parseInt(s, 8) : NaN;
}

export function isZeroBlock(buf: Buffer): boolean {
  for (let i = 0; i < BLOCK; i++) if (buf[i] !== 0) return false;
  return true;
}

export function checksumOk(buf: Buffer): boolean {
  const stored = parseNumber(buf, 148, 8);
  if (Number.isNaN(stored)) return false;
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 32 : buf[i]!;
  return sum === stored;
}

/** Parse one header block; null when the checksum or a number field is invalid. */
export function parseHeader(buf: Buffer): RawHeader | null {
  if (!checksumOk(buf)) return null;
  const size = parseNumber(buf, 124, 12);
  const mode = parseNumber(buf, 100, 8);
  if (Number.isNaN(size) || Number.isNaN(mode)) return null;
  const flag = String.fromCharCode(buf[156]!);
  const magic = buf.toString('latin1', 257, 263);
  let name = cstr(buf, 0, 100);
  if (magic === 'ustar\0') {
    const prefix = cstr(buf, 345, 155);
    if (prefix) name = `${prefix}/${name}`;
  }
  return {
    name,
    mode,
    uid: parseNumber(buf, 108, 8) || 0,
    gid: parseNumber(buf, 116, 8) || 0,
    size,
    mtime: parseNumber(buf, 136, 12) || 0,
    type: TYPES[flag] ?? 'other',
    linkname: cstr(buf, 157, 100),
  };
}

/** PAX extended header records: `<len> <key>=<value>\n`. */
export function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let pos = 0;
  while (pos < body.length) {
    const sp = body.indexOf(0x20, pos);
    if (sp === -1) break;
    const len = parseInt(body.toString('latin1', pos, sp), 10);
    if (!Number.isFinite(len) || len <= 0 || pos + len > body.length) break;
    const rec = body.toString('utf8', sp + 1, pos + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    pos += len;
  }
  return out;
}

export function paddedSize(size: number): number {
  return Math.ceil(size / BLOCK) * BLOCK;
}

/** Archive member names: drop `./` and leading `/`, collapse `//`; keep `..` so callers can refuse it. */
export function normalizeMemberName(name: string): string {
  let n = name.replace(/\/{2,}/g, '/');
  while (n.startsWith('./')) n = n.slice(2);
  n = n.replace(/^\/+/, '');
  if (n.endsWith('/')) n = n.slice(0, -1);
  return n === '.' ? '' : n;
}

/**
 * Why a raw outer member name is hostile, or null: an absolute name or one
 * with a `..` component points outside wherever the archive is unpacked
 * (Docker's loader refuses `..` and roots `/abs` under its temp dir).
 */
export function unsafeMemberName(raw: string): string | null {
  if (raw.startsWith('/')) return 'an absolute name';
  if (raw.split('/').includes('..')) return 'a name that climbs out with ..';
  return null;
}
