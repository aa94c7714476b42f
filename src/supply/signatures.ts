import { readFileSync, statSync } from 'node:fs';
import { limits } from '../limits.js';
import { shortId, type Digest } from '../digest.js';
import { LayerdigError } from '../errors.js';
import { imageNames } from '../image/select.js';
import type { AttachedItem, AttachedReport } from './attached.js';
import { loadPublicKey, SIMPLESIGNING_MEDIA_TYPE, verifyBytes, type TrustedKey } from './cosign.js';
import { DSSE_MEDIA_TYPE, INTOTO_PAYLOAD_TYPE } from './dsse.js';
import { SupplyProblem } from './problem.js';
import { loadKeyring, verifySignedMessage, type GpgKey } from './gpg.js';
import { checkKeyless, type KeylessIdentity } from './keyless.js';
import { parseTrustedRoot, type TrustedRoot } from './trusted-root.js';

/**
 * `verify --key`: every signature that travels with an image, checked offline
 * against the keys the user trusts (README "Signatures, SBOMs and provenance").
 *   verified  — a key verifies it and it is about this image
 *   invalid   — it is a lie about this image: a valid signature over another
 *               digest, a signed statement about another subject, a document
 *               that does not decode (always a finding)
 *   unverified — no given key verifies it (signed by someone else, or changed
 *               after signing: cryptography cannot tell which)
 *   unchecked — GPG signature files when no --gpg-keyring was given
 */
export type SignatureStatus = 'verified' | 'invalid' | 'unverified' | 'unchecked';

export interface SignatureCheck {
  image: Digest;
  /** artifacts between the signature and the image: non-empty for a signature of an SBOM, which does not sign the image */
  via: Digest[];
  names: string[];
  manifestDigest: Digest | null;
  scheme: 'simple-signing' | 'dsse' | 'gpg';
  kind: string;
  how: string;
  document: Digest | null;
  member: string;
  status: SignatureStatus;
  /** the key that verified it (also for `invalid` when the signature itself is good) */
  key: { path: string; algorithm: string; fingerprint: string } | null;
  /** a keyless signature's certificate identity (SAN, OIDC issuer), the CA it chains to and when it was logged */
  identity: KeylessIdentity | null;
  why: string;
}

/**
 * What a user trusts: cosign public keys (`--key`), OpenPGP keyrings (`--gpg-keyring`),
 * a Sigstore trusted root for keyless signatures (`--trusted-root`) and the identity
 * a keyless signature must carry (`--certificate-identity`, `--certificate-oidc-issuer`).
 */
export interface Trusted {
  keys: TrustedKey[];
  gpg: GpgKey[];
  root?: TrustedRoot | null;
  identity?: string;
  oidcIssuer?: string;
}

function readOption(option: string, p: string): Buffer {
  try {
    // keys, keyrings and trusted roots are small: a huge file is a mistake, not something to load whole
    const size = statSync(p).size;
    if (size > limits().maxJsonBytes) throw new LayerdigError('E_USAGE', `${option} ${p}: ${size} bytes, over the ${limits().maxJsonBytes}-byte limit (--max-json-bytes): not read`);
    return readFileSync(p);
  } catch (e) {
    if (e instanceof LayerdigError) throw e;
    throw new LayerdigError('E_USAGE', `${option} ${p}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String((e as Error).message)}`);
  }
}

function asUsage<T>(option: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof SupplyProblem) throw new LayerdigError('E_USAGE', `${option} ${e.message}`);
    throw e;
  }
}

export function loadTrusted(keys: readonly string[], keyrings: readonly string[], keyless: { trustedRoot?: string; identity?: string; oidcIssuer?: string } = {}): Trusted {
  const r = keyless.trustedRoot;
  return {
    keys: keys.map((p) => asUsage('--key', () => loadPublicKey(readOption('--key', p), p))),
    gpg: keyrings.flatMap((p) => asUsage('--gpg-keyring', () => loadKeyring(readOption('--gpg-keyring', p), p))),
    root: r === undefined ? null : asUsage(`--trusted-root ${r}:`, () => parseTrustedRoot(readOption('--trusted-root', r), r)),
    identity: keyless.identity,
    oidcIssuer: keyless.oidcIssuer,
  };
}

const keyOf = (k: TrustedKey) => ({ path: k.path, algorithm: k.algorithm, fingerprint: k.fingerprint });
const keyNames = (keys: TrustedKey[]) => keys.map((k) => `${k.path} (${k.algorithm})`).join(', ');

function schemeOf(i: AttachedItem): SignatureCheck['scheme'] | null {
  if (i.evidence) return i.evidence.scheme;
  if (i.how === 'signature file') return 'gpg';
  if (i.mediaType === SIMPLESIGNING_MEDIA_TYPE) return 'simple-signing';
  if (i.mediaType === DSSE_MEDIA_TYPE) return 'dsse';
  return null;
}

function checkGpg(ev: NonNullable<AttachedItem['evidence']>, manifest: Digest | null, keys: GpgKey[]): Pick<SignatureCheck, 'status' | 'key' | 'why'> {
  if (keys.length === 0) return { status: 'unchecked', key: null, why: 'a GPG signature: give --gpg-keyring FILE to check it' };
  let v;
  try {
    v = verifySignedMessage(ev.signed, keys);
  } catch (e) {
    return { status: 'invalid', key: null, why: e instanceof Error ? e.message : String(e) };
  }
  if (!v.key) return { status: 'unverified', key: null, why: v.why };
  const key = { path: 'gpg-keyring', algorithm: v.key.algorithm, fingerprint: v.key.fingerprint };
  if (ev.claimedDigest !== manifest) return { status: 'invalid', key, why: `the signature is valid but its payload names ${ev.claimedDigest}, not this image's manifest ${manifest}` };
  return { status: 'verified', key, why: v.why };
}

type Verdict = Pick<SignatureCheck, 'status' | 'key' | 'identity' | 'why'>;

function check(i: AttachedItem, manifest: Digest | null, trusted: Trusted): Verdict {
  const ev = i.evidence;
  const keys = trusted.keys;
  const none = { key: null, identity: null };
  if (!ev) return { status: 'invalid', ...none, why: i.problems[0] ?? 'it cannot be decoded' };
  if (ev.scheme === 'gpg') return { ...checkGpg(ev, manifest, trusted.gpg), identity: null };
  if (ev.signatures.length === 0) return { status: 'invalid', ...none, why: 'it carries no signature' };
  if (ev.keyless) {
    if (!trusted.root) return { status: 'unchecked', ...none, why: 'a keyless (certificate) signature: give --trusted-root FILE to check it' };
    const r = checkKeyless(ev.signed, ev.signatures, ev.keyless, { root: trusted.root, identity: trusted.identity, oidcIssuer: trusted.oidcIssuer });
    if (r.status !== 'verified') return { status: r.status, key: null, identity: r.identity, why: r.why };
    return about(i, ev, manifest, { key: null, identity: r.identity }, r.why);
  }
  if (keys.length === 0) return { status: 'unchecked', ...none, why: 'a cosign signature: give --key FILE to check it' };
  const k = keys.find((key) => ev.signatures.some((s) => verifyBytes(key, ev.signed, s)));
  if (!k) return { status: 'unverified', ...none, why: `no given key verifies it (${keyNames(keys)}): signed by another key, or changed after signing` };
  return about(i, ev, manifest, { key: keyOf(k), identity: null }, `signed by ${k.path} (${k.algorithm})`);
}

/** A good signature: is what it signs about this image? */
function about(i: AttachedItem, ev: NonNullable<AttachedItem['evidence']>, manifest: Digest | null, by: Pick<SignatureCheck, 'key' | 'identity'>, signedBy: string): Verdict {
  if (ev.scheme === 'simple-signing') {
    // about what it is attached to: the image's manifest, an index listing it, or (via) an artifact of the image
    const subject = i.subject ?? manifest;
    if (ev.claimedDigest !== subject) return { status: 'invalid', ...by, why: `the signature is valid (${signedBy}) but its payload names ${ev.claimedDigest}, not ${subject === manifest ? "this image's manifest" : 'what it is attached to'} ${subject}` };
    const of = i.via.length ? ` (a signature of artifact ${shortId(subject)}, not of the image)` : '';
    return { status: 'verified', ...by, why: `${signedBy}${of}` };
  }
  if (ev.payloadType !== INTOTO_PAYLOAD_TYPE) return { status: 'invalid', ...by, why: `the envelope is validly signed (${signedBy}) but its payloadType is ${ev.payloadType}, not ${INTOTO_PAYLOAD_TYPE}` };
  if (!ev.statementSubject) return { status: 'invalid', ...by, why: `the signed statement (${signedBy}) is about ${(ev.statementDigests ?? []).join(', ') || 'nothing'}, not this image` };
  return { status: 'verified', ...by, why: `attestation (${i.predicateType ?? 'unknown predicate'}) ${signedBy}, about this image's ${ev.statementSubject}` };
}

export function checkSignatures(r: AttachedReport, keys: Trusted): SignatureCheck[] {
  const out: SignatureCheck[] = [];
  for (const { image, items } of r.images) {
    for (const i of items) {
      const scheme = schemeOf(i);
      if (!scheme) continue;
      out.push({
        image: image.id, via: i.via, names: imageNames(image), manifestDigest: image.manifestDigest, scheme, kind: i.kind, how: i.how,
        document: i.digest, member: i.member, ...check(i, image.manifestDigest, keys),
      });
    }
  }
  return out;
}

/** `--require-signature`: every image has a verified image signature (simple signing; attestations do not count). */
export function unsignedImages(r: AttachedReport, checks: SignatureCheck[]): string[] {
  return r.images.filter(({ image }) => !checks.some((c) => c.image === image.id && c.manifestDigest === image.manifestDigest && c.scheme !== 'dsse' && c.via.length === 0 && c.status === 'verified'))
    .map(({ image }) => `${imageNames(image).join(', ') || '<none>'} ${shortId(image.id)}`);
}

export function renderSignatures(archive: string, checks: SignatureCheck[], unsigned: string[] | null): string {
  const out: string[] = [];
  for (const c of checks) {
    out.push(`${archive}: ${c.names.join(', ') || '<none>'} ${shortId(c.image)}: ${c.status === 'invalid' ? 'INVALID' : c.status.toUpperCase()} ${c.scheme} ${c.kind} ${shortId(c.document)} (${c.how}): ${c.why}`);
  }
  if (checks.length === 0) out.push(`${archive}: no signatures or attestations travel with the selected images`);
  if (unsigned) {
    out.push(unsigned.length ? `${archive}: --require-signature NOT met: no verified signature for ${unsigned.join('; ')}` : `${archive}: --require-signature met: every image has a verified signature`);
  }
  return out.join('\n');
}
