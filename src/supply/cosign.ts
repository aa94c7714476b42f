import { createHash, createPublicKey, verify as cryptoVerify, type KeyObject } from 'node:crypto';
import { isRecord, parseJsonBytes, str, SupplyProblem } from './problem.js';

/** cosign's storage: one layer per signature, the payload as the blob, the signature in an annotation. */
export const SIMPLESIGNING_MEDIA_TYPE = 'application/vnd.dev.cosign.simplesigning.v1+json';
export const SIGNATURE_ANNOTATION = 'dev.cosignproject.cosign/signature';
export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';

/** The "simple signing" payload (containers/image and cosign): what the signature says it is about. */
export interface SimpleSigning {
  type: string;
  dockerReference: string | null;
  manifestDigest: string;
  optional: unknown;
}

const SIGNING_TYPES = ['cosign container image signature', 'atomic container signature'];

export function decodeSimpleSigning(bytes: Buffer): SimpleSigning {
  const v = parseJsonBytes(bytes, 'the signature payload');
  if (!isRecord(v) || !isRecord(v.critical)) throw new SupplyProblem('the signature payload has no "critical" section');
  const type = str(v.critical.type);
  if (!type || !SIGNING_TYPES.includes(type)) throw new SupplyProblem(`the signature payload's type is ${JSON.stringify(v.critical.type ?? null)}, not a container image signature`);
  const image = isRecord(v.critical.image) ? v.critical.image : {};
  const manifestDigest = str(image['docker-manifest-digest']);
  if (!manifestDigest) throw new SupplyProblem('the signature payload names no critical.image.docker-manifest-digest');
  const identity = isRecord(v.critical.identity) ? v.critical.identity : {};
  return { type, dockerReference: str(identity['docker-reference']), manifestDigest, optional: v.optional ?? null };
}

/** A public key a user trusts: `cosign.pub` (PEM SPKI) — ECDSA, RSA or Ed25519. */
export interface TrustedKey {
  path: string;
  key: KeyObject;
  /** `ECDSA P-256`, `RSA 2048`, `Ed25519` */
  algorithm: string;
  /** sha256 of the DER SubjectPublicKeyInfo, to name the key */
  fingerprint: string;
}

const CURVES: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };

export function loadPublicKey(pem: Buffer, path: string): TrustedKey {
  let key: KeyObject;
  try {
    key = createPublicKey({ key: pem, format: 'pem' });
  } catch {
    throw new SupplyProblem(`${path} is not a PEM public key (cosign.pub)`);
  }
  return trustedKeyOf(key, path);
}

/** Name a public key (from a file or a certificate) as verify reports it. */
export function trustedKeyOf(key: KeyObject, path: string): TrustedKey {
  const t = key.asymmetricKeyType;
  const d = key.asymmetricKeyDetails ?? {};
  const algorithm = t === 'ec' ? `ECDSA ${CURVES[d.namedCurve ?? ''] ?? d.namedCurve}`
    : t === 'rsa' || t === 'rsa-pss' ? `RSA ${d.modulusLength}`
      : t === 'ed25519' ? 'Ed25519' : null;
  if (!algorithm) throw new SupplyProblem(`${path} is a ${t} key; cosign keys are ECDSA, RSA or Ed25519`);
  const der = key.export({ type: 'spki', format: 'der' });
  return { path, key, algorithm, fingerprint: `sha256:${createHash('sha256').update(der).digest('hex')}` };
}

/**
 * Does `sig` sign `data` under `key`, as cosign signs: ECDSA (ASN.1 DER) and
 * RSA PKCS#1 v1.5 over SHA-256 (cosign's `--key` default; the curve's own hash is
 * also accepted for P-384/P-521, as newer sigstore defaults use); Ed25519 over the bytes.
 */
export function verifyBytes(k: TrustedKey, data: Buffer, sig: Buffer): boolean {
  const hashes = k.key.asymmetricKeyType === 'ed25519' ? [null]
    : k.algorithm === 'ECDSA P-384' ? ['sha256', 'sha384'] : k.algorithm === 'ECDSA P-521' ? ['sha256', 'sha512'] : ['sha256'];
  return hashes.some((h) => {
    try {
      return cryptoVerify(h, data, k.key, sig);
    } catch {
      return false; // a malformed signature is a signature that does not verify
    }
  });
}

export function decodeSignatureAnnotation(v: string | undefined): Buffer | null {
  if (v === undefined || v === '' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v)) return null;
  return Buffer.from(v, 'base64');
}
