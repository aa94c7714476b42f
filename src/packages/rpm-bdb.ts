import type { Package } from './model.js';
import { parseRpmHeader } from './rpm-header.js';

/**
 * rpm's BerkeleyDB `Packages` (rpm < 4.16: RHEL/CentOS 7-8, Amazon Linux 2),
 * read-only, from memory. Only the hash access method rpm uses: a metadata
 * page (magic 0x061561, page size, last page, max bucket, the spares table
 * mapping buckets to pages), bucket pages (type 2 or 13) whose index holds
 * key/value offsets, values on the page (H_KEYDATA) or in a chain of
 * overflow pages (H_OFFPAGE, type 7). Byte order follows the magic. Keys are
 * 4-byte instance numbers; values are header blobs.
 */
const HASH_MAGIC = 0x061561;
const BTREE_MAGIC = 0x053162;
const H_KEYDATA = 1;
const H_OFFPAGE = 3;

export function readRpmBdb(bytes: Buffer): Package[] {
  if (bytes.length < 512) throw new Error(`a BerkeleyDB file of ${bytes.length} bytes is too short`);
  let le = true;
  if (bytes.readUInt32LE(12) !== HASH_MAGIC) {
    if (bytes.readUInt32BE(12) === HASH_MAGIC) le = false;
    else if (bytes.readUInt32LE(12) === BTREE_MAGIC || bytes.readUInt32BE(12) === BTREE_MAGIC) throw new Error('a BerkeleyDB btree, not the hash database rpm writes for Packages');
    else throw new Error('not a BerkeleyDB hash database (no 0x061561 magic)');
  }
  const u32 = (o: number) => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
  const u16 = (o: number) => (le ? bytes.readUInt16LE(o) : bytes.readUInt16BE(o));
  const version = u32(16);
  const pagesize = u32(20);
  const lastpage = u32(32);
  if (version < 8 || version > 10) throw new Error(`BerkeleyDB hash version ${version} (8 to 10 are read)`);
  if (pagesize < 512 || pagesize > 65536 || (pagesize & (pagesize - 1)) !== 0) throw new Error(`BerkeleyDB page size ${pagesize} is not a power of two between 512 and 65536`);
  if ((lastpage + 1) * pagesize > bytes.length) throw new Error(`the file ends before its last page ${lastpage} (${bytes.length} bytes, pages of ${pagesize})`);
  const maxbucket = u32(72);
  const spares = Array.from({ length: 32 }, (_, i) => u32(96 + i * 4));
  if (maxbucket > lastpage) throw new Error(`max bucket ${maxbucket} beyond the last page ${lastpage}`);

  const page = (n: number): number => {
    if (n === 0 || n > lastpage) throw new Error(`a page number ${n} outside the file (last page ${lastpage})`);
    return n * pagesize;
  };
  const overflow = (pgno: number, len: number): Buffer => {
    const parts: Buffer[] = [];
    let left = len;
    const seen = new Set<number>();
    while (left > 0) {
      if (seen.has(pgno)) throw new Error(`overflow pages loop at page ${pgno}`);
      seen.add(pgno);
      const p = page(pgno);
      if (bytes[p + 25] !== 7) throw new Error(`page ${pgno} should be an overflow page, is type ${bytes[p + 25]}`);
      const n = u16(p + 22);
      if (n + 26 > pagesize || n > left) throw new Error(`overflow page ${pgno} holds ${n} bytes, more than it can`);
      parts.push(bytes.subarray(p + 26, p + 26 + n));
      left -= n;
      pgno = u32(p + 16);
    }
    return Buffer.concat(parts);
  };
  const item = (p: number, off: number, len: number): Buffer => {
    if (len <= 0 || off + len > pagesize) throw new Error(`an item at offset ${off} of length ${len} outside its page`);
    const t = bytes[p + off];
    if (t === H_KEYDATA) return bytes.subarray(p + off + 1, p + off + len);
    if (t === H_OFFPAGE) return overflow(u32(p + off + 4), u32(p + off + 8));
    throw new Error(`an item of type ${t} (only on-page and overflow items are read)`);
  };

  const out: Package[] = [];
  const visited = new Set<number>();
  for (let bucket = 0; bucket <= maxbucket; bucket++) {
    const bits = bucket === 0 ? 0 : 32 - Math.clz32(bucket);
    let pgno = bucket + spares[bits]!;
    while (pgno !== 0) {
      if (visited.has(pgno)) throw new Error(`bucket pages loop at page ${pgno}`);
      visited.add(pgno);
      const p = page(pgno);
      // a bucket page BerkeleyDB never wrote reads as zeros: an empty bucket
      if (bytes.subarray(p, p + 26).every((b) => b === 0)) break;
      if (u32(p + 8) !== pgno) throw new Error(`page ${pgno} says it is page ${u32(p + 8)}`);
      const type = bytes[p + 25];
      if (type !== 2 && type !== 13) throw new Error(`page ${pgno} of bucket ${bucket} is type ${type}, not a hash page`);
      const n = u16(p + 20);
      if (26 + n * 2 > pagesize) throw new Error(`page ${pgno} claims ${n} entries`);
      for (let i = 0; i + 1 < n; i += 2) {
        const koff = u16(p + 26 + 2 * i);
        const voff = u16(p + 28 + 2 * i);
        const klen = (i === 0 ? pagesize : u16(p + 24 + 2 * i)) - koff;
        const key = item(p, koff, klen);
        const val = item(p, voff, koff - voff);
        // key 0 (and anything not a 4-byte instance number) is rpm's bookkeeping, not a package
        if (key.length !== 4 || (le ? key.readUInt32LE(0) : key.readUInt32BE(0)) === 0) continue;
        try {
          out.push(parseRpmHeader(val));
        } catch (e) {
          throw new Error(`package ${le ? key.readUInt32LE(0) : key.readUInt32BE(0)}: ${(e as Error).message}`);
        }
      }
      pgno = u32(p + 16);
    }
  }
  return out;
}
