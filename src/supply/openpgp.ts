import { inflateRawSync, inflateSync } from 'node:zlib';
import { SupplyProblem } from './problem.js';

/**
 * Just enough OpenPGP (RFC 4880 packets) to read what a skopeo `signature-N`
 * says: the signed literal data (a simple-signing payload) and who signed it.
 * It does NOT verify the signature: that needs the signer's public key and an
 * OpenPGP implementation (README: `--gpg-keyring` is not done).
 */
export interface SignedMessage {
  literal: Buffer;
  signatures: number;
  /** issuer fingerprint (hex) or key ID from the signature's subpackets */
  issuer: string | null;
  /** signature creation time, seconds since the epoch */
  created: number | null;
}

const MAX_DEPTH = 4;

interface Packet { tag: number; body: Buffer }

function packets(buf: Buffer): Packet[] {
  const out: Packet[] = [];
  let i = 0;
  const need = (n: number) => {
    if (i + n > buf.length) throw new SupplyProblem(`the OpenPGP message is truncated at byte ${buf.length}`);
  };
  while (i < buf.length) {
    const b = buf[i++]!;
    if ((b & 0x80) === 0) throw new SupplyProblem(`not an OpenPGP message (byte ${i - 1} is not a packet header)`);
    let tag: number;
    let body: Buffer;
    if (b & 0x40) {
      tag = b & 0x3f;
      const parts: Buffer[] = [];
      for (;;) {
        need(1);
        const o1 = buf[i++]!;
        let len: number;
        let partial = false;
        if (o1 < 192) len = o1;
        else if (o1 < 224) { need(1); len = ((o1 - 192) << 8) + buf[i++]! + 192; }
        else if (o1 === 255) { need(4); len = buf.readUInt32BE(i); i += 4; }
        else { len = 1 << (o1 & 0x1f); partial = true; }
        need(len);
        parts.push(buf.subarray(i, i + len));
        i += len;
        if (!partial) break;
      }
      body = Buffer.concat(parts);
    } else {
      tag = (b >> 2) & 0x0f;
      const lt = b & 3;
      let len: number;
      if (lt === 3) len = buf.length - i;
      else { const n = [1, 2, 4][lt]!; need(n); len = buf.readUIntBE(i, n); i += n; }
      need(len);
      body = buf.subarray(i, i + len);
      i += len;
    }
    out.push({ tag, body });
  }
  return out;
}

function subpackets(b: Buffer, into: { issuer: string | null; created: number | null }): void {
  let i = 0;
  while (i < b.length) {
    const o = b[i++]!;
    let len: number;
    if (o < 192) len = o;
    else if (o < 255) len = ((o - 192) << 8) + (b[i++] ?? 0) + 192;
    else { len = b.readUInt32BE(i); i += 4; }
    if (len < 1 || i + len > b.length) return;
    const type = b[i]! & 0x7f;
    const data = b.subarray(i + 1, i + len);
    if (type === 2 && data.length === 4) into.created = data.readUInt32BE(0);
    if (type === 33 && data.length > 1) into.issuer = data.subarray(1).toString('hex').toUpperCase();
    if (type === 16 && data.length === 8 && !into.issuer) into.issuer = data.toString('hex').toUpperCase();
    i += len;
  }
}

function walk(buf: Buffer, acc: SignedMessage, depth: number): void {
  if (depth > MAX_DEPTH) throw new SupplyProblem('the OpenPGP message nests compressed packets too deep');
  for (const p of packets(buf)) {
    if (p.tag === 8) {
      const algo = p.body[0];
      const data = p.body.subarray(1);
      let inner: Buffer;
      try {
        inner = algo === 0 ? data : algo === 1 ? inflateRawSync(data, { maxOutputLength: 16 << 20 }) : algo === 2 ? inflateSync(data, { maxOutputLength: 16 << 20 }) : Buffer.alloc(0);
      } catch {
        throw new SupplyProblem('the OpenPGP message\'s compressed data cannot be inflated');
      }
      if (algo !== undefined && algo > 2) throw new SupplyProblem(`the OpenPGP message uses compression algorithm ${algo} (only none, ZIP, ZLIB are read)`);
      walk(inner, acc, depth + 1);
    } else if (p.tag === 11) {
      const nameLen = p.body[1] ?? 0;
      acc.literal = p.body.subarray(2 + nameLen + 4);
    } else if (p.tag === 2) {
      acc.signatures++;
      if (p.body[0] === 4 && p.body.length > 6) {
        const hl = p.body.readUInt16BE(4);
        subpackets(p.body.subarray(6, 6 + hl), acc);
        const ul = p.body.length >= 8 + hl ? p.body.readUInt16BE(6 + hl) : 0;
        subpackets(p.body.subarray(8 + hl, 8 + hl + ul), acc);
      }
    }
  }
}

export function decodeSignedMessage(bytes: Buffer): SignedMessage {
  const acc: SignedMessage = { literal: Buffer.alloc(0), signatures: 0, issuer: null, created: null };
  walk(bytes, acc, 0);
  if (acc.literal.length === 0) throw new SupplyProblem('the OpenPGP message holds no signed data');
  return acc;
}
