/**
 * CRC-64/ISO as Go's hash/crc64 computes it (crc64.MakeTable(crc64.ISO)):
 * tar-split stores it per file, so a reassembly can name the file whose bytes
 * changed on disk. Kept in two 32-bit halves: BigInt per byte is far slower.
 */
const T_HI = new Uint32Array(256);
const T_LO = new Uint32Array(256);
for (let i = 0; i < 256; i++) {
  let hi = 0;
  let lo = i;
  for (let k = 0; k < 8; k++) {
    const lsb = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi >>>= 1;
    if (lsb) hi = (hi ^ 0xd8000000) >>> 0; // reflected ISO polynomial 0xD800000000000000
  }
  T_HI[i] = hi;
  T_LO[i] = lo;
}

export class Crc64 {
  // the register, complemented as Go's Update does on entry and exit
  private hi = 0xffffffff;
  private lo = 0xffffffff;

  update(buf: Uint8Array): void {
    let hi = this.hi;
    let lo = this.lo;
    for (let i = 0; i < buf.length; i++) {
      const idx = (lo ^ buf[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ T_LO[idx]!;
      hi = (hi >>> 8) ^ T_HI[idx]!;
    }
    this.hi = hi >>> 0;
    this.lo = lo >>> 0;
  }

  /** 8 bytes, big-endian, as Go's hash.Hash64 Sum appends them */
  digest(): Buffer {
    const b = Buffer.alloc(8);
    b.writeUInt32BE(~this.hi >>> 0, 0);
    b.writeUInt32BE(~this.lo >>> 0, 4);
    return b;
  }
}
