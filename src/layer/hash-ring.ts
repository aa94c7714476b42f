import type { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Digest } from '../digest.js';

/**
 * sha256 of a layer's two streams on another thread, fed through shared memory.
 *
 * Why (measured, docs/performance.md): with one layer per core the largest
 * layer alone decides how long a content pass takes; on the real image's 121 MB
 * gzip base layer this thread spends ~235 ms inflating and ~100 ms hashing the
 * stored and the inflated bytes. Here the inflater writes straight into slots of
 * a SharedArrayBuffer, the tar walk reads them in place, and a hash thread
 * (hash-thread.ts) hashes them behind it: no copy, no message per chunk.
 *
 * Layout: control words, then SLOTS slots of SLOT bytes each with their length
 * and kind. HEAD counts slots published, TAIL slots hashed (both only grow); a
 * layer ends with an END slot, after which the thread writes both digests.
 */
export const SLOT = 256 * 1024;
export const SLOTS = 32;
/** HASHER_WAITS / PRODUCER_WAITS: set by a side about to sleep, so the other wakes it only then (a futex call costs). */
export const Ctl = { HEAD: 0, TAIL: 1, READY: 2, HASHER_WAITS: 3, PRODUCER_WAITS: 4, WORDS: 6 } as const;
export const Kind = { RAW: 0, DIFF: 1, END: 2, QUIT: 3 } as const;
export type Kind = (typeof Kind)[keyof typeof Kind];
/** bytes before the slots: control words, slot lengths and kinds, two hex digests */
export const HEADER = (Ctl.WORDS + 2 * SLOTS) * 4 + 128;

const THREAD_URL = new URL('./hash-thread.js', import.meta.url);
/** Long enough for a loaded machine, short enough that a dead thread is reported instead of waited on forever. */
const STALL_MS = 60_000;

let shared: HashRing | null | undefined;

export class HashRing {
  private readonly ctl: Int32Array;
  private readonly meta: Int32Array;
  private readonly slots: Buffer[];
  private readonly digests: Uint8Array;
  private head = 0;
  /** handed out to a pass (or dead) */
  private busy = false;

  private constructor(private readonly worker: Worker, sab: SharedArrayBuffer) {
    this.ctl = new Int32Array(sab, 0, Ctl.WORDS);
    this.meta = new Int32Array(sab, Ctl.WORDS * 4, 2 * SLOTS);
    this.slots = Array.from({ length: SLOTS }, (_, i) => Buffer.from(sab, HEADER + i * SLOT, SLOT));
    this.digests = new Uint8Array(sab, (Ctl.WORDS + 2 * SLOTS) * 4, 128);
  }

  /** A ring with its thread started, or null where worker threads cannot run (e.g. under a TS test runner). */
  static start(thread: URL = THREAD_URL): HashRing | null {
    if (thread.protocol !== 'file:' || !existsSync(fileURLToPath(thread))) return null;
    const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
    const sab = new SharedArrayBuffer(HEADER + SLOTS * SLOT);
    const w = new Worker(thread, { workerData: sab });
    // an idle ring never keeps the process alive; its thread ends with it
    w.unref();
    const ring = new HashRing(w, sab);
    // a thread that died is never handed out again (a pass already waiting on it stops after STALL_MS)
    const dead = () => {
      ring.busy = true;
      if (shared === ring) shared = null;
    };
    w.on('error', dead);
    w.on('exit', dead);
    return ring;
  }

  /**
   * Start the process's ring now, while this thread is still busy starting the command,
   * so that the thread's own start (~50 ms of CPU on Node 20) costs the other core's idle time.
   */
  static prestart(): void {
    // one core: the hash thread would only take turns with this one
    if (shared === undefined) shared = availableParallelism() >= 2 ? HashRing.start() : null;
  }

  /** The process's ring for one layer pass at a time, or null (none here, or another pass has it). */
  static acquire(): HashRing | null {
    HashRing.prestart();
    if (!shared || shared.busy) return null;
    shared.busy = true;
    return shared;
  }

  release(): void {
    this.busy = false;
  }

  /** The slot the next piece goes into (the same one until it is published); waits while all are being hashed. */
  slot(): Buffer {
    // the thread touches every slot when it starts: nothing may be written before it is done
    for (let waited = 0; Atomics.load(this.ctl, Ctl.READY) === 0;) {
      if (Atomics.wait(this.ctl, Ctl.READY, 0, 1000) === 'timed-out' && (waited += 1000) >= STALL_MS) this.stalled();
    }
    if (this.head - Atomics.load(this.ctl, Ctl.TAIL) >= SLOTS) this.waitFor(() => this.head - Atomics.load(this.ctl, Ctl.TAIL) < SLOTS);
    return this.slots[this.head % SLOTS]!;
  }

  /** The first `length` bytes of the current slot are the next piece of the stored (`RAW`) or inflated (`DIFF`) stream. */
  publish(kind: Kind, length: number): void {
    if (kind !== Kind.END && kind !== Kind.QUIT) this.slot();
    const i = this.head % SLOTS;
    this.meta[2 * i] = length;
    this.meta[2 * i + 1] = kind;
    Atomics.store(this.ctl, Ctl.HEAD, ++this.head);
    if (Atomics.load(this.ctl, Ctl.HASHER_WAITS) === 1) Atomics.notify(this.ctl, Ctl.HEAD);
  }

  /** The layer has ended: both digests, once every slot is hashed (`diff` is the empty stream's when nothing was inflated). */
  finish(): { raw: Digest; diff: Digest } {
    this.slot(); // room for the END marker
    this.publish(Kind.END, 0);
    this.waitFor(() => Atomics.load(this.ctl, Ctl.TAIL) >= this.head);
    const hex = Buffer.from(this.digests).toString('latin1');
    return { raw: `sha256:${hex.slice(0, 64)}`, diff: `sha256:${hex.slice(64, 128)}` };
  }

  /** Forget a layer that failed half-way: its END resets the thread's hashes. */
  abandon(): void {
    this.finish();
  }

  async close(): Promise<void> {
    this.slot();
    this.publish(Kind.QUIT, 0);
    await this.worker.terminate();
  }

  /** Sleep until the hash thread has hashed enough for `done` (it wakes this thread after each slot while it waits). */
  private waitFor(done: () => boolean): void {
    for (let waited = 0; ;) {
      Atomics.store(this.ctl, Ctl.PRODUCER_WAITS, 1);
      const tail = Atomics.load(this.ctl, Ctl.TAIL);
      if (done()) break;
      if (Atomics.wait(this.ctl, Ctl.TAIL, tail, 1000) === 'timed-out' && (waited += 1000) >= STALL_MS) this.stalled();
    }
    Atomics.store(this.ctl, Ctl.PRODUCER_WAITS, 0);
  }

  private stalled(): never {
    // an internal error (exit 70), never a hang
    throw new Error(`the hash thread stopped answering for ${STALL_MS / 1000} s`);
  }
}
