import { inflateRawSync, inflateSync } from 'node:zlib';
import { SupplyProblem } from './problem.js';

/**
 * Just enough OpenPGP (RFC 4880 packets) to read what a skopeo `signature-N`
 * says: the signed literal data (a simple-signing payload) and who signed it.
 * Verification against a keyring is gpg.ts.
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

export interface Packet { tag: number; body: Buffer }

export function packets(buf: Buffer): Packet[] {
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

/** One v4 signature packet, split into what verification needs (gpg.ts). */
export interface SignaturePacket {
  version: number;
  sigType: number;
  pubAlgo: number;
  hashAlgo: number;
  /** version through the hashed subpackets: the trailer the hash covers */
  hashedPart: Buffer;
  left16: Buffer;
  mpis: Buffer[];
  /** the bytes after left16 (RFC 9580 Ed25519 signatures are raw, not MPIs) */
  raw: Buffer;
  issuer: string | null;
  created: number | null;
}

function signaturePacket(b: Buffer): SignaturePacket {
  const s: SignaturePacket = { version: b[0] ?? 0, sigType: b[1] ?? 0, pubAlgo: b[2] ?? 0, hashAlgo: b[3] ?? 0, hashedPart: Buffer.alloc(0), left16: Buffer.alloc(0), mpis: [], raw: Buffer.alloc(0), issuer: null, created: null };
  if (s.version !== 4 || b.length < 8) return s;
  const hl = b.readUInt16BE(4);
  if (6 + hl + 2 > b.length) throw new SupplyProblem('an OpenPGP signature packet is truncated');
  s.hashedPart = b.subarray(0, 6 + hl);
  subpackets(b.subarray(6, 6 + hl), s);
  const ul = b.readUInt16BE(6 + hl);
  const uEnd = 8 + hl + ul;
  if (uEnd + 2 > b.length) throw new SupplyProblem('an OpenPGP signature packet is truncated');
  subpackets(b.subarray(8 + hl, uEnd), s);
  s.left16 = b.subarray(uEnd, uEnd + 2);
  s.raw = b.subarray(uEnd + 2);
  let at = uEnd + 2;
  while (at + 2 <= b.length) {
    const n = (b.readUInt16BE(at) + 7) >> 3;
    if (at + 2 + n > b.length) break;
    s.mpis.push(b.subarray(at + 2, at + 2 + n));
    at += 2 + n;
  }
  return s;
}

function walk(buf: Buffer, acc: { literal: Buffer | null; sigs: SignaturePacket[] }, depth: number): void {
  if (depth > MAX_DEPTH) throw new SupplyProblem('the OpenPGP message nests compressed packets too deep');
  for (const p of packets(buf)) {
    if (p.tag === 8) {
      const algo = p.body[0];
      if (algo !== undefined && algo > 2) throw new SupplyProblem(`the OpenPGP message uses compression algorithm ${algo} (only none, ZIP, ZLIB are read)`);
      const data = p.body.subarray(1);
      let inner: Buffer;
      try {
        inner = algo === 0 ? data : algo === 1 ? inflateRawSync(data, { maxOutputLength: 16 << 20 }) : inflateSync(data, { maxOutputLength: 16 << 20 });
      } catch {
        throw new SupplyProblem('the OpenPGP message\'s compressed data cannot be inflated');
      }
      walk(inner, acc, depth + 1);
    } else if (p.tag === 11) {
      if (acc.literal) throw new SupplyProblem('the OpenPGP message holds more than one literal data packet');
      const nameLen = p.body[1] ?? 0;
      acc.literal = p.body.subarray(2 + nameLen + 4);
    } else if (p.tag === 2) {
      acc.sigs.push(signaturePacket(p.body));
    }
  }
}

/** The signed data and the signatures of a signed message. */
export function signedMessageParts(bytes: Buffer): { literal: Buffer; sigs: SignaturePacket[] } {
  const acc: { literal: Buffer | null; sigs: SignaturePacket[] } = { literal: null, sigs: [] };
  walk(bytes, acc, 0);
  if (!acc.literal || acc.literal.length === 0) throw new SupplyProblem('the OpenPGP message holds no signed data');
  return { literal: acc.literal, sigs: acc.sigs };
}

export function decodeSignedMessage(bytes: Buffer): SignedMessage {
  const { literal, sigs } = signedMessageParts(bytes);
  const first = sigs[0];
  return { literal, signatures: sigs.length, issuer: first?.issuer ?? null, created: first?.created ?? null };
}
