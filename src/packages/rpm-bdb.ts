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
  return new BdbHash(bytes).packages();
}

/** A BerkeleyDB hash database read in place: its metadata page, then pages by number. */
class BdbHash {
  private readonly le: boolean;
  private readonly pagesize: number;
  private readonly lastpage: number;
  private readonly maxbucket: number;
  private readonly spares: number[];

  constructor(private readonly bytes: Buffer) {
    if (bytes.length < 512) throw new Error(`a BerkeleyDB file of ${bytes.length} bytes is too short`);
    let le = true;
    if (bytes.readUInt32LE(12) !== HASH_MAGIC) {
      if (bytes.readUInt32BE(12) === HASH_MAGIC) le = false;
      else if (bytes.readUInt32LE(12) === BTREE_MAGIC || bytes.readUInt32BE(12) === BTREE_MAGIC) throw new Error('a BerkeleyDB btree, not the hash database rpm writes for Packages');
      else throw new Error('not a BerkeleyDB hash database (no 0x061561 magic)');
    }
    this.le = le;
    const version = this.u32(16);
    const pagesize = this.u32(20);
    const lastpage = this.u32(32);
    if (version < 8 || version > 10) throw new Error(`BerkeleyDB hash version ${version} (8 to 10 are read)`);
    if (pagesize < 512 || pagesize > 65536 || (pagesize & (pagesize - 1)) !== 0) throw new Error(`BerkeleyDB page size ${pagesize} is not a power of two between 512 and 65536`);
    if ((lastpage + 1) * pagesize > bytes.length) throw new Error(`the file ends before its last page ${lastpage} (${bytes.length} bytes, pages of ${pagesize})`);
    this.pagesize = pagesize;
    this.lastpage = lastpage;
    this.maxbucket = this.u32(72);
    this.spares = Array.from({ length: 32 }, (_, i) => this.u32(96 + i * 4));
    if (this.maxbucket > lastpage) throw new Error(`max bucket ${this.maxbucket} beyond the last page ${lastpage}`);
  }

  private u32(o: number): number { return this.le ? this.bytes.readUInt32LE(o) : this.bytes.readUInt32BE(o); }
  private u16(o: number): number { return this.le ? this.bytes.readUInt16LE(o) : this.bytes.readUInt16BE(o); }

  private page(n: number): number {
    if (n === 0 || n > this.lastpage) throw new Error(`a page number ${n} outside the file (last page ${this.lastpage})`);
    return n * this.pagesize;
  }

  private overflow(pgno: number, len: number): Buffer {
    const parts: Buffer[] = [];
    let left = len;
    const seen = new Set<number>();
    while (left > 0) {
      if (seen.has(pgno)) throw new Error(`overflow pages loop at page ${pgno}`);
      seen.add(pgno);
      const p = this.page(pgno);
      if (this.bytes[p + 25] !== 7) throw new Error(`page ${pgno} should be an overflow page, is type ${this.bytes[p + 25]}`);
      const n = this.u16(p + 22);
      if (n + 26 > this.pagesize || n > left) throw new Error(`overflow page ${pgno} holds ${n} bytes, more than it can`);
      parts.push(this.bytes.subarray(p + 26, p + 26 + n));
      left -= n;
      pgno = this.u32(p + 16);
    }
    return Buffer.concat(parts);
  }

  private item(p: number, off: number, len: number): Buffer {
    if (len <= 0 || off + len > this.pagesize) throw new Error(`an item at offset ${off} of length ${len} outside its page`);
    const t = this.bytes[p + off];
    if (t === H_KEYDATA) return this.bytes.subarray(p + off + 1, p + off + len);
    if (t === H_OFFPAGE) return this.overflow(this.u32(p + off + 4), this.u32(p + off + 8));
    throw new Error(`an item of type ${t} (only on-page and overflow items are read)`);
  }

  /** Every bucket's chain of pages, every key/value pair a package header. */
  packages(): Package[] {
    const out: Package[] = [];
    const visited = new Set<number>();
    for (let bucket = 0; bucket <= this.maxbucket; bucket++) {
      const bits = bucket === 0 ? 0 : 32 - Math.clz32(bucket);
      let pgno = bucket + this.spares[bits]!;
      while (pgno !== 0) {
        if (visited.has(pgno)) throw new Error(`bucket pages loop at page ${pgno}`);
        visited.add(pgno);
        const p = this.page(pgno);
        // a bucket page BerkeleyDB never wrote reads as zeros: an empty bucket
        if (this.bytes.subarray(p, p + 26).every((b) => b === 0)) break;
        this.hashPage(p, pgno, bucket, out);
        pgno = this.u32(p + 16);
      }
    }
    return out;
  }

  private hashPage(p: number, pgno: number, bucket: number, out: Package[]): void {
    if (this.u32(p + 8) !== pgno) throw new Error(`page ${pgno} says it is page ${this.u32(p + 8)}`);
    const type = this.bytes[p + 25];
    if (type !== 2 && type !== 13) throw new Error(`page ${pgno} of bucket ${bucket} is type ${type}, not a hash page`);
    const n = this.u16(p + 20);
    if (26 + n * 2 > this.pagesize) throw new Error(`page ${pgno} claims ${n} entries`);
    for (let i = 0; i + 1 < n; i += 2) {
      const koff = this.u16(p + 26 + 2 * i);
      const voff = this.u16(p + 28 + 2 * i);
      const klen = (i === 0 ? this.pagesize : this.u16(p + 24 + 2 * i)) - koff;
      const key = this.item(p, koff, klen);
      const val = this.item(p, voff, koff - voff);
      // key 0 (and anything not a 4-byte instance number) is rpm's bookkeeping, not a package
      const instance = key.length === 4 ? (this.le ? key.readUInt32LE(0) : key.readUInt32BE(0)) : 0;
      if (instance === 0) continue;
      try {
        out.push(parseRpmHeader(val));
      } catch (e) {
        throw new Error(`package ${instance}: ${(e as Error).message}`);
      }
    }
  }
}
