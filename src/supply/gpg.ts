import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { packets, signedMessageParts } from './openpgp.js';
import { SupplyProblem } from './problem.js';

/**
 * OpenPGP v4 signature verification for skopeo's `signature-N` files
 * (`verify --gpg-keyring`): the packets are parsed here, the cryptography is
 * node:crypto's (RSA PKCS#1 v1.5, ECDSA, EdDSA). It checks that the signature
 * was made by a key of the keyring over the signed data — not the key's expiry,
 * revocation or certifications (use gpg for the web of trust).
 */
export interface GpgKey {
  fingerprint: string;
  algorithm: string;
  key: KeyObject;
  userIds: string[];
}

const HASHES: Record<number, string> = { 2: 'sha1', 8: 'sha256', 9: 'sha384', 10: 'sha512', 11: 'sha224' };
const CURVES: Record<string, string> = { '2a8648ce3d030107': 'P-256', '2b81040022': 'P-384', '2b81040023': 'P-521' };
const ED25519_OID = '2b06010401da470f01';
const b64u = (b: Buffer) => b.toString('base64url');

function mpi(b: Buffer, at: number): { v: Buffer; next: number } {
  if (at + 2 > b.length) throw new SupplyProblem('an OpenPGP number is truncated');
  const bytes = (b.readUInt16BE(at) + 7) >> 3;
  if (at + 2 + bytes > b.length) throw new SupplyProblem('an OpenPGP number is truncated');
  return { v: b.subarray(at + 2, at + 2 + bytes), next: at + 2 + bytes };
}

function pad(b: Buffer, n: number): Buffer {
  return b.length >= n ? b : Buffer.concat([Buffer.alloc(n - b.length), b]);
}

/** A v4 public key packet body → key object and fingerprint; null for kinds not read (v3/v5/v6, ElGamal, X25519…). */
function publicKey(body: Buffer): Omit<GpgKey, 'userIds'> | null {
  if (body[0] !== 4 || body.length < 7) return null;
  const algo = body[5]!;
  const fingerprint = createHash('sha1').update(Buffer.from([0x99, body.length >> 8, body.length & 0xff])).update(body).digest('hex').toUpperCase();
  let at = 6;
  if (algo === 1 || algo === 3) {
    const n = mpi(body, at);
    const e = mpi(body, n.next);
    return { fingerprint, algorithm: `RSA ${n.v.length * 8}`, key: createPublicKey({ key: { kty: 'RSA', n: b64u(n.v), e: b64u(e.v) }, format: 'jwk' }) };
  }
  if (algo === 19 || algo === 22) {
    const oidLen = body[at]!;
    const oid = body.subarray(at + 1, at + 1 + oidLen).toString('hex');
    at += 1 + oidLen;
    const point = mpi(body, at).v;
    if (algo === 22) {
      if (oid !== ED25519_OID || point[0] !== 0x40 || point.length !== 33) return null;
      return { fingerprint, algorithm: 'EdDSA Ed25519', key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(point.subarray(1)) }, format: 'jwk' }) };
    }
    const crv = CURVES[oid];
    if (!crv || point[0] !== 4) return null;
    const half = (point.length - 1) / 2;
    return { fingerprint, algorithm: `ECDSA ${crv}`, key: createPublicKey({ key: { kty: 'EC', crv, x: b64u(point.subarray(1, 1 + half)), y: b64u(point.subarray(1 + half)) }, format: 'jwk' }) };
  }
  if (algo === 27 && body.length >= 6 + 32) {
    return { fingerprint, algorithm: 'Ed25519', key: createPublicKey({ key: { kty: 'OKP', crv: 'Ed25519', x: b64u(body.subarray(6, 38)) }, format: 'jwk' }) };
  }
  return null;
}

/** Binary (`gpg --export`) or ASCII-armored (`--armor`) public keys. */
export function loadKeyring(bytes: Buffer, path: string): GpgKey[] {
  let bin = bytes;
  const text = bytes.toString('latin1');
  if (text.includes('-----BEGIN PGP PUBLIC KEY BLOCK-----')) {
    const body = text.split('-----BEGIN PGP PUBLIC KEY BLOCK-----')[1]!.split('-----END')[0]!;
    const lines = body.split(/\r?\n/);
    const blank = lines.findIndex((l) => l.trim() === '');
    bin = Buffer.from(lines.slice(blank + 1).filter((l) => !l.startsWith('=')).join(''), 'base64');
  }
  const keys: GpgKey[] = [];
  let primary: GpgKey | null = null;
  try {
    for (const p of packets(bin)) {
      if (p.tag === 6 || p.tag === 14) {
        const k = publicKey(p.body);
        if (!k) continue;
        const g: GpgKey = { ...k, userIds: p.tag === 14 && primary ? primary.userIds : [] };
        if (p.tag === 6) primary = g;
        keys.push(g);
      } else if (p.tag === 13 && primary) primary.userIds.push(p.body.toString('utf8'));
    }
  } catch (e) {
    throw new SupplyProblem(`${path} is not an OpenPGP keyring (${e instanceof Error ? e.message : String(e)})`);
  }
  if (keys.length === 0) throw new SupplyProblem(`${path} holds no OpenPGP public key layerdig can use (RSA, ECDSA, EdDSA v4)`);
  return keys;
}

export interface GpgVerdict {
  key: GpgKey | null;
  /** the fingerprint or key ID the signature names */
  issuer: string | null;
  why: string;
}

/** Verify a signed message (`gpg --sign` output, as skopeo writes) against keyring keys. */
export function verifySignedMessage(bytes: Buffer, keys: GpgKey[]): GpgVerdict {
  const { literal, sigs } = signedMessageParts(bytes);
  if (sigs.length === 0) return { key: null, issuer: null, why: 'the message carries no signature' };
  let issuer: string | null = null;
  for (const s of sigs) {
    issuer = s.issuer;
    if (s.version !== 4) return { key: null, issuer, why: `a version ${s.version} signature (only v4 is read)` };
    const hash = HASHES[s.hashAlgo];
    if (!hash) return { key: null, issuer, why: `hash algorithm ${s.hashAlgo} is not supported` };
    if (s.sigType !== 0x00) return { key: null, issuer, why: `signature type 0x${s.sigType.toString(16)} (skopeo signs binary documents, 0x00)` };
    const candidates = keys.filter((k) => !s.issuer || k.fingerprint === s.issuer || k.fingerprint.endsWith(s.issuer));
    if (candidates.length === 0) continue;
    const hashed = Buffer.concat([literal, s.hashedPart, Buffer.from([0x04, 0xff]), Buffer.from([0, 0, 0, 0])]);
    hashed.writeUInt32BE(s.hashedPart.length, hashed.length - 4);
    const digest = createHash(hash).update(hashed).digest();
    if (!digest.subarray(0, 2).equals(s.left16)) return { key: null, issuer, why: 'the signed data does not match the signature (changed after signing)' };
    for (const k of candidates) {
      let ok = false;
      try {
        const t = k.key.asymmetricKeyType;
        if (t === 'rsa') ok = cryptoVerify(hash, hashed, k.key, pad(s.mpis[0] ?? Buffer.alloc(0), (k.key.asymmetricKeyDetails?.modulusLength ?? 0) / 8));
        else if (t === 'ec') {
          const n = { 'ECDSA P-256': 32, 'ECDSA P-384': 48, 'ECDSA P-521': 66 }[k.algorithm] ?? 32;
          ok = cryptoVerify(hash, hashed, { key: k.key, dsaEncoding: 'ieee-p1363' }, Buffer.concat([pad(s.mpis[0]!, n), pad(s.mpis[1]!, n)]));
        } else if (t === 'ed25519') {
          const sig = s.pubAlgo === 27 ? s.raw : Buffer.concat([pad(s.mpis[0]!, 32), pad(s.mpis[1]!, 32)]);
          ok = cryptoVerify(null, digest, k.key, sig);
        }
      } catch {
        ok = false;
      }
      if (ok) return { key: k, issuer, why: `signed by ${k.fingerprint} (${k.algorithm}${k.userIds[0] ? `, ${k.userIds[0]}` : ''})` };
    }
    return { key: null, issuer, why: `the signature by ${s.issuer ?? 'an unnamed key'} does not verify (changed after signing)` };
  }
  return { key: null, issuer, why: `signed by ${issuer ?? 'an unnamed key'}, which is not in the keyring` };
}
