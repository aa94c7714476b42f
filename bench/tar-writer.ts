import { closeSync, openSync, readSync, writeSync } from 'node:fs';

/**
 * A minimal, synchronous ustar writer for the benchmark's generated archives:
 * deterministic bytes (fixed mtime, owners), names ≤ 255 bytes via the prefix
 * field, bodies from buffers or copied from files. GNU tar lists what it writes.
 */
export type TarKind = 'file' | 'dir' | 'symlink' | 'hardlink';

const FLAG: Record<TarKind, string> = { file: '0', dir: '5', symlink: '2', hardlink: '1' };
const ZERO = Buffer.alloc(1024);

function octal(buf: Buffer, off: number, len: number, n: number): void {
  buf.write(n.toString(8).padStart(len - 1, '0'), off, len - 1, 'ascii');
  buf[off + len - 1] = 0;
}

export function header(name: string, kind: TarKind, size: number, opts: { mode?: number; link?: string; mtime?: number; uid?: number; gid?: number } = {}): Buffer {
  const h = Buffer.alloc(512);
  let base = name;
  let prefix = '';
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', 155);
    if (cut <= 0 || Buffer.byteLength(name.slice(cut + 1)) > 100) throw new Error(`name too long for ustar: ${name}`);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
  }
  h.write(base, 0, 100, 'utf8');
  octal(h, 100, 8, opts.mode ?? (kind === 'dir' ? 0o755 : 0o644));
  octal(h, 108, 8, opts.uid ?? 0);
  octal(h, 116, 8, opts.gid ?? 0);
  octal(h, 124, 12, kind === 'file' ? size : 0);
  octal(h, 136, 12, opts.mtime ?? 1_700_000_000);
  h.fill(0x20, 148, 156);
  h.write(FLAG[kind], 156, 1, 'ascii');
  if (opts.link) h.write(opts.link, 157, 100, 'utf8');
  h.write('ustar\0', 257, 6, 'ascii');
  h.write('00', 263, 2, 'ascii');
  h.write('root', 265, 32, 'ascii');
  h.write('root', 297, 32, 'ascii');
  if (prefix) h.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i]!;
  h.write(sum.toString(8).padStart(6, '0'), 148, 6, 'ascii');
  h[154] = 0;
  h[155] = 0x20;
  return h;
}

export class TarWriter {
  private readonly fd: number;
  bytes = 0;

  constructor(readonly path: string) {
    this.fd = openSync(path, 'w');
  }

  private write(b: Buffer): void {
    let off = 0;
    while (off < b.length) off += writeSync(this.fd, b, off, b.length - off);
    this.bytes += b.length;
  }

  private pad(size: number): void {
    const r = size % 512;
    if (r) this.write(ZERO.subarray(0, 512 - r));
  }

  dir(name: string, mode = 0o755): void {
    this.write(header(name.endsWith('/') ? name : `${name}/`, 'dir', 0, { mode }));
  }

  symlink(name: string, target: string): void {
    this.write(header(name, 'symlink', 0, { link: target, mode: 0o777 }));
  }

  hardlink(name: string, target: string): void {
    this.write(header(name, 'hardlink', 0, { link: target }));
  }

  file(name: string, body: Buffer, mode = 0o644): void {
    this.write(header(name, 'file', body.length, { mode }));
    this.write(body);
    this.pad(body.length);
  }

  /** A file whose body is produced in chunks by `produce(n)` until `size` bytes. */
  fileStream(name: string, size: number, produce: (max: number) => Buffer, mode = 0o644): void {
    this.write(header(name, 'file', size, { mode }));
    let left = size;
    while (left > 0) {
      const chunk = produce(Math.min(left, 1 << 20));
      this.write(chunk.length > left ? chunk.subarray(0, left) : chunk);
      left -= Math.min(chunk.length, left);
    }
    this.pad(size);
  }

  /** Copy a file on disk in as a member. */
  fileFrom(name: string, src: string, size: number): void {
    const fd = openSync(src, 'r');
    const buf = Buffer.allocUnsafe(4 << 20);
    try {
      this.write(header(name, 'file', size));
      let pos = 0;
      while (pos < size) {
        const n = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
        if (n === 0) throw new Error(`${src}: shorter than ${size} bytes`);
        this.write(buf.subarray(0, n));
        pos += n;
      }
      this.pad(size);
    } finally {
      closeSync(fd);
    }
  }

  close(): void {
    this.write(ZERO);
    closeSync(this.fd);
  }
}
