import { closeSync, openSync, readSync } from 'node:fs';
import { Readable } from 'node:stream';
import { READ_CHUNK } from '../compression/index.js';

/**
 * Bytes [start, start+length) of a file as a Readable that reads with readSync
 * on this thread. fs.createReadStream hands every chunk through libuv's thread
 * pool and back: one thread switch per MiB, which is cheap on an idle machine
 * but, measured on a loaded one, waits for a time slice each time (the bench's
 * plain-layer pass ran ~2x slower than `tar -xOf | sha256sum` that way). Like
 * createReadStream with `end`, a file shorter than the range just ends early;
 * the pass then reports the blob as truncated.
 */
export function fileRange(file: string, start: number, length: number, chunk = READ_CHUNK): Readable {
  let fd: number | null = null;
  let pos = start;
  const end = start + length;
  return new Readable({
    highWaterMark: chunk,
    construct(cb) {
      try {
        fd = openSync(file, 'r');
        cb();
      } catch (e) {
        cb(e as Error);
      }
    },
    read() {
      const want = Math.min(chunk, end - pos);
      if (want <= 0) {
        this.push(null);
        return;
      }
      const buf = Buffer.allocUnsafeSlow(want);
      let got: number;
      try {
        got = readSync(fd!, buf, 0, want, pos);
      } catch (e) {
        this.destroy(e as Error);
        return;
      }
      if (got === 0) {
        this.push(null);
        return;
      }
      pos += got;
      this.push(got < want ? buf.subarray(0, got) : buf);
    },
    destroy(err, cb) {
      if (fd !== null) {
        try { closeSync(fd); } catch { /* already closed */ }
        fd = null;
      }
      cb(err);
    },
  });
}
