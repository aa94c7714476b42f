import type { Package } from './model.js';

/**
 * An rpm header blob as rpmdb backends store it (rpm lib/header.c,
 * doc "Package File Format"): big-endian int32 index count and data size,
 * then 16-byte index entries (tag, type, offset, count), then the data store.
 * Only what `packages` shows is decoded.
 */
const TAG = { name: 1000, version: 1001, release: 1002, epoch: 1003, arch: 1022, sourcerpm: 1044, dirindexes: 1116, basenames: 1117, dirnames: 1118 } as const;
const TYPE = { int32: 4, string: 6, stringArray: 8, i18n: 9 } as const;
/** rpm's own sanity limits (header.c hdrchkTags / hdrchkData) */
const MAX_TAGS = 0x10000;
const MAX_DATA = 256 * 1024 * 1024;

interface Entry { type: number; offset: number; count: number }

export function parseRpmHeader(blob: Buffer): Package {
  if (blob.length < 8) throw new Error(`a header blob of ${blob.length} bytes is too short`);
  const il = blob.readUInt32BE(0);
  const dl = blob.readUInt32BE(4);
  if (il === 0 || il > MAX_TAGS || dl > MAX_DATA || 8 + il * 16 + dl > blob.length) {
    throw new Error(`not an rpm header (index count ${il}, data size ${dl}, blob ${blob.length} bytes)`);
  }
  const dataStart = 8 + il * 16;
  const entries = new Map<number, Entry>();
  for (let k = 0; k < il; k++) {
    const o = 8 + k * 16;
    const tag = blob.readUInt32BE(o);
    const e = { type: blob.readUInt32BE(o + 4), offset: blob.readInt32BE(o + 8), count: blob.readUInt32BE(o + 12) };
    if (e.offset < 0 || e.offset > dl) throw new Error(`tag ${tag} points outside the header data (offset ${e.offset})`);
    if (!entries.has(tag)) entries.set(tag, e);
  }
  const strings = (tag: number): string[] | null => {
    const e = entries.get(tag);
    if (!e) return null;
    if (e.type !== TYPE.string && e.type !== TYPE.stringArray && e.type !== TYPE.i18n) throw new Error(`tag ${tag} has type ${e.type}, not a string`);
    const out: string[] = [];
    let p = dataStart + e.offset;
    const end = dataStart + dl;
    for (let n = 0; n < e.count; n++) {
      const z = blob.indexOf(0, p);
      if (z < 0 || z >= end) throw new Error(`tag ${tag}: a string runs past the header data`);
      out.push(blob.toString('utf8', p, z));
      p = z + 1;
    }
    return out;
  };
  const int32s = (tag: number): number[] | null => {
    const e = entries.get(tag);
    if (!e) return null;
    if (e.type !== TYPE.int32) throw new Error(`tag ${tag} has type ${e.type}, not int32`);
    const p = dataStart + e.offset;
    if (e.offset + e.count * 4 > dl) throw new Error(`tag ${tag}: its ${e.count} integers run past the header data`);
    return Array.from({ length: e.count }, (_, n) => blob.readInt32BE(p + n * 4));
  };
  const one = (tag: number) => strings(tag)?.[0] ?? null;
  const name = one(TAG.name);
  if (!name) throw new Error('a header without a NAME tag');
  const epoch = int32s(TAG.epoch)?.[0];
  const version = one(TAG.version) ?? '';
  const release = one(TAG.release);
  const basenames = strings(TAG.basenames) ?? [];
  const dirnames = strings(TAG.dirnames) ?? [];
  const dirindexes = int32s(TAG.dirindexes) ?? [];
  const files = basenames.map((b, n) => `${dirnames[dirindexes[n] ?? -1] ?? ''}${b}`.replace(/^\/+/, ''));
  return {
    ecosystem: 'rpm', name,
    version: `${epoch !== undefined ? `${epoch}:` : ''}${version}${release !== null ? `-${release}` : ''}`,
    // rpm's gpg-pubkey pseudo-packages have no ARCH
    arch: one(TAG.arch) ?? '',
    source: one(TAG.sourcerpm),
    files,
  };
}
