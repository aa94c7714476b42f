import type { Package } from './model.js';
import { parseRpmHeader } from './rpm-header.js';

/**
 * rpm's ndb `Packages.db` (SUSE; rpm lib/backend/ndb/rpmpkg.c), little-endian:
 * a 32-byte header (`RpmP`, version 0, generation, slot page count), 4096-byte
 * slot pages of 16-byte slots (`Slot`, package index, block offset, block
 * count; offset 0 = free), and 16-byte blocks holding each blob framed by
 * `BlbS` (index, timestamp, length) and `BlbE` (adler32 of everything before,
 * length). Blobs are header blobs.
 */
const PAGE = 4096;
const BLK = 16;
const magic = (s: string) => Buffer.from(s, 'latin1').readUInt32LE(0);
const DB_MAGIC = magic('RpmP');
const SLOT_MAGIC = magic('Slot');
const HEAD_MAGIC = magic('BlbS');
const TAIL_MAGIC = magic('BlbE');

/** RFC 1950 adler-32 */
function adler32(b: Buffer): number {
  let a = 1;
  let s = 0;
  for (let i = 0; i < b.length;) {
    const end = Math.min(b.length, i + 5552);
    for (; i < end; i++) {
      a += b[i]!;
      s += a;
    }
    a %= 65521;
    s %= 65521;
  }
  return ((s << 16) | a) >>> 0;
}

export function readRpmNdb(bytes: Buffer): Package[] {
  if (bytes.length < 32 || bytes.readUInt32LE(0) !== DB_MAGIC) throw new Error('not an ndb rpm database (no "RpmP" magic)');
  const version = bytes.readUInt32LE(4);
  if (version !== 0) throw new Error(`ndb version ${version} (only 0 is known)`);
  const slotPages = bytes.readUInt32LE(12);
  if (slotPages === 0 || slotPages * PAGE > bytes.length) throw new Error(`${slotPages} slot pages do not fit in ${bytes.length} bytes`);
  if (bytes.length % BLK !== 0) throw new Error(`its size ${bytes.length} is not a whole number of ${BLK}-byte blocks`);
  const fileBlocks = bytes.length / BLK;
  const slots: { idx: number; off: number; cnt: number }[] = [];
  for (let o = 32; o < slotPages * PAGE; o += 16) {
    if (bytes.readUInt32LE(o) !== SLOT_MAGIC) throw new Error(`slot at byte ${o} has no "Slot" magic`);
    const off = bytes.readUInt32LE(o + 8);
    if (off === 0) continue;
    const idx = bytes.readUInt32LE(o + 4);
    const cnt = bytes.readUInt32LE(o + 12);
    if (off + cnt > fileBlocks) throw new Error(`package ${idx}'s blob (blocks ${off}+${cnt}) runs past the end of the file: truncated`);
    if (idx === 0 || cnt === 0 || off < slotPages * (PAGE / BLK)) throw new Error(`slot at byte ${o} is not valid (package ${idx}, blocks ${off}+${cnt})`);
    slots.push({ idx, off, cnt });
  }
  slots.sort((a, b) => a.off - b.off); // rpm lists packages in blob order
  return slots.map(({ idx, off, cnt }) => {
    const start = off * BLK;
    if (bytes.readUInt32LE(start) !== HEAD_MAGIC || bytes.readUInt32LE(start + 4) !== idx) throw new Error(`package ${idx}: its blob has no "BlbS" head for it`);
    const len = bytes.readUInt32LE(start + 12);
    if (cnt !== Math.ceil((16 + len + 12) / BLK)) throw new Error(`package ${idx}: blob length ${len} does not match its ${cnt} blocks`);
    const tail = start + cnt * BLK - 12;
    if (bytes.readUInt32LE(tail + 8) !== TAIL_MAGIC || bytes.readUInt32LE(tail + 4) !== len) throw new Error(`package ${idx}: its blob has no "BlbE" tail`);
    if (bytes.readUInt32LE(tail) !== adler32(bytes.subarray(start, tail))) throw new Error(`package ${idx}: adler32 of its blob does not match`);
    try {
      return parseRpmHeader(bytes.subarray(start + 16, start + 16 + len));
    } catch (e) {
      throw new Error(`package ${idx}: ${(e as Error).message}`);
    }
  });
}
