import { workerData } from 'node:worker_threads';
import { createHash, type Hash } from 'node:crypto';
import { Ctl, HEADER, Kind, SLOT, SLOTS } from './hash-ring.js';

/** The hash thread of a HashRing (hash-ring.ts): hashes published slots in order until told to quit. */
const sab = workerData as SharedArrayBuffer;
const ctl = new Int32Array(sab, 0, Ctl.WORDS);
const meta = new Int32Array(sab, Ctl.WORDS * 4, 2 * SLOTS);
const digests = new Uint8Array(sab, (Ctl.WORDS + 2 * SLOTS) * 4, 128);
const slots = Array.from({ length: SLOTS }, (_, i) => new Uint8Array(sab, HEADER + i * SLOT, SLOT));

// touch every slot now, on this otherwise idle thread: memory is costliest the first time it is used
for (const slot of slots) slot.fill(0);
Atomics.store(ctl, Ctl.READY, 1);
Atomics.notify(ctl, Ctl.READY);

let raw: Hash = createHash('sha256');
let diff: Hash = createHash('sha256');
for (let tail = 0; ;) {
  if (Atomics.load(ctl, Ctl.HEAD) === tail) {
    // say so before the last look, so that a slot published from now on wakes this thread
    Atomics.store(ctl, Ctl.HASHER_WAITS, 1);
    while (Atomics.load(ctl, Ctl.HEAD) === tail) Atomics.wait(ctl, Ctl.HEAD, tail);
    Atomics.store(ctl, Ctl.HASHER_WAITS, 0);
  }
  const i = tail % SLOTS;
  const length = meta[2 * i]!;
  const kind = meta[2 * i + 1]!;
  if (kind === Kind.QUIT) break;
  if (kind === Kind.RAW) raw.update(slots[i]!.subarray(0, length));
  else if (kind === Kind.DIFF) diff.update(slots[i]!.subarray(0, length));
  else {
    digests.set(Buffer.from(raw.digest('hex') + diff.digest('hex'), 'latin1'));
    raw = createHash('sha256');
    diff = createHash('sha256');
  }
  Atomics.store(ctl, Ctl.TAIL, ++tail);
  if (Atomics.load(ctl, Ctl.PRODUCER_WAITS) === 1) Atomics.notify(ctl, Ctl.TAIL);
}
