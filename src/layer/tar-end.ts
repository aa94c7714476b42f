import { BLOCK, checksumOk, isZeroBlock, paddedSize, parseNumber, parsePax } from '../store/tar-header.js';

/**
 * Follows tar framing (headers and padded bodies) over a byte stream to find
 * the end-of-archive marker. What follows it (eStargz's TOC and footer) is
 * part of the diffID but not of the layer's filesystem, as GNU tar and the
 * OCI extractors see it; tar-stream would read on, so we stop feeding it.
 * If the framing ever looks wrong, the tracker gives up and lets all bytes
 * through rather than cut a layer short.
 */
export class TarEndTracker {
  private skip = 0;
  private header = Buffer.alloc(0);
  private paxBody: Buffer[] | null = null;
  private paxLeft = 0;
  private nextSize: number | undefined;
  private done = false;
  private lost = false;

  /** the part of `chunk` that belongs to the tar up to its end marker (the whole chunk while unsure) */
  take(chunk: Buffer): Buffer {
    if (this.lost) return chunk;
    if (this.done) return chunk.subarray(0, 0);
    let pos = 0;
    while (pos < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - pos);
        if (this.paxBody && this.paxLeft > 0) {
          const m = Math.min(n, this.paxLeft);
          this.paxBody.push(chunk.subarray(pos, pos + m));
          this.paxLeft -= m;
          if (this.paxLeft === 0) {
            const pax = parsePax(Buffer.concat(this.paxBody));
            if (pax.size !== undefined) this.nextSize = Number(pax.size);
            this.paxBody = null;
          }
        }
        this.skip -= n;
        pos += n;
        continue;
      }
      const need = BLOCK - this.header.length;
      const part = chunk.subarray(pos, pos + need);
      this.header = this.header.length ? Buffer.concat([this.header, part]) : Buffer.from(part);
      pos += part.length;
      if (this.header.length < BLOCK) break;
      const h = this.header;
      this.header = Buffer.alloc(0);
      if (isZeroBlock(h)) {
        this.done = true;
        return chunk.subarray(0, pos);
      }
      if (!checksumOk(h)) {
        this.lost = true;
        return chunk;
      }
      const flag = String.fromCharCode(h[156]!);
      let size = parseNumber(h, 124, 12);
      if (Number.isNaN(size)) {
        this.lost = true;
        return chunk;
      }
      if (flag === 'x') {
        this.paxBody = size <= 1024 * 1024 ? [] : null;
        this.paxLeft = this.paxBody ? size : 0;
      } else if (flag !== 'g' && flag !== 'L' && flag !== 'K') {
        if (this.nextSize !== undefined) size = this.nextSize;
        this.nextSize = undefined;
        if (flag === '1' || flag === '2' || flag === '5' || flag === '3' || flag === '4' || flag === '6') size = 0;
      }
      this.skip = paddedSize(size);
    }
    return chunk;
  }
}
