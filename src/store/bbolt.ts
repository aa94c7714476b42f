import { LayerdigError } from '../errors.js';

/**
 * A read-only reader of bbolt (etcd-io/bbolt) database files, the B+tree
 * files containerd keeps its metadata in (`meta.db`, a snapshotter's
 * `metadata.db`). It reads the file's bytes as they are, never writes, never
 * takes bbolt's lock, and trusts nothing: every page number is bounds-checked,
 * a page reached twice on one path is a loop, and every failure is one
 * sentence naming the file.
 *
 * The format (bbolt page.go / bucket.go / db.go): the file is pages of
 * `pageSize` bytes. Each page starts with a 16-byte header {id u64, flags u16,
 * count u16, overflow u32}; a page with `overflow` n spans n+1 pages. Pages 0
 * and 1 are meta pages; the valid one (magic, version 2, FNV-1a checksum) with
 * the higher txid is current. A bucket is {root pgid u64, sequence u64}; root 0
 * means an inline bucket: its one leaf page follows the header in the value.
 * Branch elements are {pos u32, ksize u32, pgid u64}; leaf elements {flags u32,
 * pos u32, ksize u32, vsize u32}, flag 1 = the value is a nested bucket. `pos`
 * counts from the element's own start. All integers are little-endian.
 */

const MAGIC = 0xed0cdaed;
const VERSION = 2;
const HEADER = 16;
const ELEMENT = 16;
const BRANCH = 0x01;
const LEAF = 0x02;
const META = 0x04;
const BUCKET_LEAF = 0x01;
/** B+tree depth past which a file is hostile (bbolt trees of millions of keys stay under 10) */
const MAX_DEPTH = 64;

function fnv1a64(b: Buffer): bigint {
  let h = 0xcbf29ce484222325n;
  for (const c of b) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
  return h;
}

interface Meta {
  pageSize: number;
  root: bigint;
  txid: bigint;
  pgidHigh: bigint;
}

/** One key of a bucket: a value, or a nested bucket. */
export interface BoltEntry {
  key: Buffer;
  value: Buffer | null;
  bucket: BoltBucket | null;
}

export class BoltDb {
  private readonly meta: Meta;

  /** `where` names the file in every error: `root.tgz!io.containerd.metadata.v1.bolt/meta.db` */
  constructor(private readonly buf: Buffer, readonly where: string) {
    this.meta = this.pickMeta();
  }

  private fail(what: string): LayerdigError {
    return new LayerdigError('E_BAD_ARCHIVE', `${this.where}: not a readable bbolt database: ${what}`);
  }

  private readMeta(offset: number): Meta | string {
    if (this.buf.length < offset + HEADER + 64) return 'the file is shorter than its meta pages';
    const m = offset + HEADER;
    if ((this.buf.readUInt16LE(offset + 8) & META) === 0) return 'the page is not a meta page';
    if (this.buf.readUInt32LE(m) !== MAGIC) return 'bad magic';
    if (this.buf.readUInt32LE(m + 4) !== VERSION) return `version ${this.buf.readUInt32LE(m + 4)}, not ${VERSION}`;
    if (this.buf.readBigUInt64LE(m + 56) !== fnv1a64(this.buf.subarray(m, m + 56))) return 'checksum mismatch';
    const pageSize = this.buf.readUInt32LE(m + 8);
    if (pageSize < 512 || pageSize > 1 << 20 || (pageSize & (pageSize - 1)) !== 0) return `page size ${pageSize} is not a plausible power of two`;
    return { pageSize, root: this.buf.readBigUInt64LE(m + 16), pgidHigh: this.buf.readBigUInt64LE(m + 40), txid: this.buf.readBigUInt64LE(m + 48) };
  }

  /** bbolt writes the two meta pages in turn: the valid one with the higher txid is the last committed state. */
  private pickMeta(): Meta {
    const first = this.readMeta(0);
    if (typeof first === 'string') {
      // page 0 unreadable: page 1 sits one page further, at the size the file's own format allows (4 KiB is bbolt's default)
      for (const ps of [4096, 8192, 16384, 65536]) {
        const second = this.readMeta(ps);
        if (typeof second !== 'string' && second.pageSize === ps) return second;
      }
      throw this.fail(`meta page 0: ${first}, and no valid meta page 1`);
    }
    if (this.buf.length < first.pageSize * 2) throw this.fail(`the file is ${this.buf.length} bytes, shorter than its two meta pages (truncated?)`);
    const second = this.readMeta(first.pageSize);
    if (typeof second === 'string' || second.pageSize !== first.pageSize) return first;
    return second.txid > first.txid ? second : first;
  }

  get txid(): bigint {
    return this.meta.txid;
  }

  /** The root bucket: the top-level buckets are its keys. */
  root(): BoltBucket {
    return new BoltBucket(this, { page: this.meta.root, inline: null }, []);
  }

  /** A page's bytes, overflow pages included, checked to lie inside the file and below the high-water mark. */
  page(id: bigint): Buffer {
    const ps = this.meta.pageSize;
    if (id < 2n || id >= this.meta.pgidHigh) throw this.fail(`page ${id} is outside the database (it has ${this.meta.pgidHigh} pages)`);
    const start = Number(id) * ps;
    if (start + HEADER > this.buf.length) throw this.fail(`page ${id} lies past the end of the file (truncated?)`);
    if (this.buf.readBigUInt64LE(start) !== id) throw this.fail(`page ${id} says it is page ${this.buf.readBigUInt64LE(start)}`);
    const end = start + (this.buf.readUInt32LE(start + 12) + 1) * ps;
    if (end > this.buf.length) throw this.fail(`page ${id} and its overflow pages run past the end of the file (truncated?)`);
    return this.buf.subarray(start, end);
  }

  /** bytes of an element inside a page, or one sentence why they are not there */
  slice(page: Buffer, at: number, len: number, what: string): Buffer {
    if (at < 0 || len < 0 || at + len > page.length) throw this.fail(`${what} points past its page`);
    return page.subarray(at, at + len);
  }

  error(what: string): LayerdigError {
    return this.fail(what);
  }
}

export class BoltBucket {
  constructor(private readonly db: BoltDb, private readonly at: { page: bigint; inline: Buffer | null }, private readonly path: string[]) {}

  /** Every key in order, walking branch pages down to the leaves. */
  *entries(): Generator<BoltEntry> {
    const start = new Set(this.at.inline ? [] : [this.at.page]);
    // every page of a B+tree is reached once: a second visit is a loop or a shared subtree (whose walk could explode)
    yield* this.walk(this.at.inline ?? this.db.page(this.at.page), start, new Set(start));
  }

  private *walk(page: Buffer, onPath: Set<bigint>, seen: Set<bigint>): Generator<BoltEntry> {
    if (page.length < HEADER) throw this.db.error(`${this.name()}: an inline bucket shorter than its page header`);
    const flags = page.readUInt16LE(8);
    const count = page.readUInt16LE(10);
    if (HEADER + count * ELEMENT > page.length) throw this.db.error(`${this.name()}: a page lists ${count} elements, more than it holds`);
    if (flags & BRANCH) {
      if (onPath.size > MAX_DEPTH) throw this.db.error(`${this.name()}: the tree is more than ${MAX_DEPTH} levels deep`);
      for (let i = 0; i < count; i++) {
        const e = HEADER + i * ELEMENT;
        const child = page.readBigUInt64LE(e + 8);
        if (onPath.has(child)) throw this.db.error(`${this.name()}: page ${child} is its own ancestor (a page loop)`);
        if (seen.has(child)) throw this.db.error(`${this.name()}: page ${child} is reached twice in one tree`);
        seen.add(child);
        yield* this.walk(this.db.page(child), new Set([...onPath, child]), seen);
      }
      return;
    }
    if (!(flags & LEAF)) throw this.db.error(`${this.name()}: a page with flags 0x${flags.toString(16)} where a branch or leaf page belongs`);
    for (let i = 0; i < count; i++) {
      const e = HEADER + i * ELEMENT;
      const kflags = page.readUInt32LE(e);
      const pos = page.readUInt32LE(e + 4);
      const ksize = page.readUInt32LE(e + 8);
      const vsize = page.readUInt32LE(e + 12);
      const key = this.db.slice(page, e + pos, ksize, `${this.name()}: a key`);
      const value = this.db.slice(page, e + pos + ksize, vsize, `${this.name()}: the value of ${printable(key)}`);
      if (kflags & BUCKET_LEAF) {
        if (value.length < 16) throw this.db.error(`${this.name()}: bucket ${printable(key)} has a header of ${value.length} bytes`);
        const root = value.readBigUInt64LE(0);
        const at = root === 0n ? { page: 0n, inline: value.subarray(16) } : { page: root, inline: null };
        if (!at.inline && onPath.has(root)) throw this.db.error(`${this.name()}: bucket ${printable(key)} is its own ancestor (a page loop)`);
        yield { key, value: null, bucket: new BoltBucket(this.db, at, [...this.path, printable(key)]) };
      } else {
        yield { key, value, bucket: null };
      }
    }
  }

  /** the value under `key`, or undefined (also when `key` is a bucket) */
  get(key: string): Buffer | undefined {
    const k = Buffer.from(key);
    for (const e of this.entries()) if (e.value && e.key.equals(k)) return e.value;
    return undefined;
  }

  /** the nested bucket under `key`, or undefined; `a/b` is not split: pass one key */
  bucket(key: string): BoltBucket | undefined {
    const k = Buffer.from(key);
    for (const e of this.entries()) if (e.bucket && e.key.equals(k)) return e.bucket;
    return undefined;
  }

  /** a nested bucket by a path of keys */
  dig(...keys: string[]): BoltBucket | undefined {
    let b: BoltBucket | undefined = this;
    for (const k of keys) b = b?.bucket(k);
    return b;
  }

  /** the bucket's path from the root, for messages: `v1/demo/images` */
  name(): string {
    return this.path.length ? this.path.join('/') : '(root bucket)';
  }
}

/** a key as text for a message: UTF-8 when it is, else hex */
function printable(b: Buffer): string {
  const s = b.toString('utf8');
  return /^[\x20-\x7e\u00a0-\uffff]*$/.test(s) && !s.includes('\ufffd') ? s : `0x${b.toString('hex')}`;
}
