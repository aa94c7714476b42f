import type { ChildProcess } from 'node:child_process';
import { accessSync, constants as fsc } from 'node:fs';
import { delimiter, join } from 'node:path';
import { Duplex } from 'node:stream';
import { childProcess } from './builtins.js';

/** The executable `bin` on PATH, or null. */
export function onPath(bin: string): string | null {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const p = join(dir, bin);
    try {
      accessSync(p, fsc.X_OK);
      return p;
    } catch { /* next */ }
  }
  return null;
}

/**
 * A decompressing command (`zstd -dc`, `igzip -dc`) as a Duplex: compressed
 * bytes in, decompressed out, on another core than this thread. A non-zero
 * exit destroys the stream with the command's last stderr line, passed
 * through `message` (so callers can word it as the in-process decoder would).
 */
export class ChildInflater extends Duplex {
  private readonly child: ChildProcess;
  private stderr = '';
  private finished = false;

  constructor(bin: string, args: string[], message: (stderrLine: string, code: number | null, signal: string | null) => string) {
    super({ readableHighWaterMark: 1024 * 1024 });
    this.child = childProcess().spawn(bin, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const { stdin, stdout, stderr } = this.child;
    stdin!.on('error', () => { /* EPIPE when the command stops early: its exit status tells why */ });
    stderr!.on('data', (d: Buffer) => { if (this.stderr.length < 4096) this.stderr += d.toString(); });
    stdout!.on('data', (c: Buffer) => { if (!this.push(c)) stdout!.pause(); });
    this.child.on('error', (e) => this.destroy(e));
    this.child.on('close', (code, signal) => {
      this.finished = true;
      if (code === 0) this.push(null);
      else if (!this.destroyed) this.destroy(new Error(message(this.stderr.trim().split('\n').pop() ?? '', code, signal)));
    });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    if (this.child.stdin!.write(chunk)) cb();
    else this.child.stdin!.once('drain', () => cb());
  }

  override _final(cb: (e?: Error | null) => void): void {
    this.child.stdin!.end();
    cb();
  }

  override _read(): void {
    this.child.stdout!.resume();
  }

  override _destroy(err: Error | null, cb: (e?: Error | null) => void): void {
    if (!this.finished) this.child.kill();
    cb(err);
  }
}
