import { createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { children, extensions, readTlv } from './der.js';
import { trustedKeyOf, verifyBytes } from './cosign.js';
import { isRecord, parseJsonBytes, str, SupplyProblem } from './problem.js';
import { within, type TrustedCa, type TrustedRoot } from './trusted-root.js';

/**
 * cosign keyless signatures, checked offline (README "Signatures, SBOMs and
 * provenance"): a short-lived certificate (Fulcio's) in the signature layer's
 * `dev.sigstore.cosign/certificate` annotation, its chain in `…/chain`, and a
 * Rekor bundle in `…/bundle` whose SignedEntryTimestamp says when the
 * signature was logged. The certificate must chain to a CA of the user's
 * trusted root, its key must verify the signature, and it must have been valid
 * when the signature was logged — the bundle's integrated time, signed by a
 * log of the same trusted root. Without a trusted time the signature proves
 * nothing: the certificate lives ten minutes, and whoever holds its key after
 * that can still sign; such a signature is `unverified`, as cosign refuses it.
 */

export const CERTIFICATE_ANNOTATION = 'dev.sigstore.cosign/certificate';
export const CHAIN_ANNOTATION = 'dev.sigstore.cosign/chain';
export const BUNDLE_ANNOTATION = 'dev.sigstore.cosign/bundle';

/** Fulcio's extensions: the OIDC issuer, v1 (raw string, deprecated) and v2 (DER UTF8String) */
const ISSUER_V1 = '1.3.6.1.4.1.57264.1.1';
const ISSUER_V2 = '1.3.6.1.4.1.57264.1.8';
const SAN = '2.5.29.17';
const CODE_SIGNING = '1.3.6.1.5.5.7.3.3';

/** a certificate annotation is a few KiB; a chain a few certificates */
const MAX_CERT_TEXT = 64 * 1024;
const MAX_CHAIN_TEXT = 256 * 1024;
export const MAX_CHAIN_DEPTH = 10;

export interface CertIdentity {
  /** the SAN's email addresses and URIs (what cosign's --certificate-identity matches) */
  san: string[];
  /** Fulcio's OIDC issuer extension (v2, else v1) */
  issuer: string | null;
  notBefore: string;
  notAfter: string;
}

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/g;

export function parsePemCertificates(text: string, what: string, max: number): X509Certificate[] {
  if (text.length > max) throw new SupplyProblem(`the ${what} annotation is ${text.length} bytes, over the ${max}-byte limit: refused`);
  const blocks = [...text.matchAll(PEM_BLOCK)];
  if (blocks.length === 0) throw new SupplyProblem(`the ${what} annotation holds no PEM certificate`);
  if (blocks.length > MAX_CHAIN_DEPTH + 2) throw new SupplyProblem(`the ${what} annotation holds ${blocks.length} certificates, more than a chain of ${MAX_CHAIN_DEPTH}: refused`);
  return blocks.map((m, i) => {
    const body = m[1]!.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/]+={0,2}$/.test(body)) throw new SupplyProblem(`the ${what} annotation's certificate ${i + 1} is not base64`);
    try {
      return new X509Certificate(Buffer.from(body, 'base64'));
    } catch {
      throw new SupplyProblem(`the ${what} annotation's certificate ${i + 1} is not a DER X.509 certificate`);
    }
  });
}

const iso = (s: string) => {
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? s : new Date(ms).toISOString().replace('.000Z', 'Z');
};

/** Who the certificate says signed: SAN email/URI and Fulcio's OIDC issuer, read from the DER. */
export function certificateIdentity(c: X509Certificate): CertIdentity {
  let ext: Map<string, Buffer>;
  try {
    ext = extensions(c.raw);
  } catch (e) {
    throw new SupplyProblem(`the certificate's extensions do not decode: ${e instanceof Error ? e.message : String(e)}`);
  }
  const san: string[] = [];
  const s = ext.get(SAN);
  if (s) {
    const seq = readTlv(s, 0);
    // GeneralName [1] rfc822Name, [6] uniformResourceIdentifier (IA5String, implicit)
    for (const n of children(s, seq)) if (n.tag === 0x81 || n.tag === 0x86) san.push(s.subarray(n.start, n.end).toString('latin1'));
  }
  let issuer: string | null = null;
  const v2 = ext.get(ISSUER_V2);
  if (v2) {
    const t = readTlv(v2, 0);
    if (t.tag === 0x0c) issuer = v2.subarray(t.start, t.end).toString('utf8');
  }
  if (issuer === null && ext.has(ISSUER_V1)) issuer = ext.get(ISSUER_V1)!.toString('utf8');
  return { san, issuer, notBefore: iso(c.validFrom), notAfter: iso(c.validTo) };
}

const describe = (c: X509Certificate) => c.subject.replace(/\n/g, ', ') || '(empty subject)';

function signs(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return parent.ca && child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

type Path = { path: X509Certificate[]; ca: TrustedCa } | { why: string; hostile: boolean };

/** Walk from the leaf up through the given chain until a certificate the CA trusts; never loops. */
function pathTo(leaf: X509Certificate, untrusted: X509Certificate[], ca: TrustedCa): Path {
  const trusted = (c: X509Certificate) => ca.certs.some((t) => t.raw.equals(c.raw));
  const path = [leaf];
  const seen = new Set([leaf.fingerprint256]);
  let cur = leaf;
  for (let depth = 0; depth <= MAX_CHAIN_DEPTH; depth++) {
    if (depth > 0 && trusted(cur)) return { path, ca };
    const next = [...ca.certs, ...untrusted].find((c) => c !== cur && !c.raw.equals(cur.raw) && signs(cur, c));
    if (!next) {
      const self = cur.checkIssued(cur) && depth > 0;
      return { why: self ? `its chain ends at ${describe(cur)}, a self-signed certificate that is not in --trusted-root` : `no certificate of the chain or of --trusted-root issued ${describe(cur)}`, hostile: false };
    }
    if (seen.has(next.fingerprint256)) return { why: `its certificate chain loops (${[...path, next].map(describe).join(' → ')})`, hostile: true };
    seen.add(next.fingerprint256);
    path.push(next);
    cur = next;
  }
  return { why: `its certificate chain is longer than ${MAX_CHAIN_DEPTH} certificates: refused`, hostile: true };
}

export interface KeylessEvidence {
  certificate: string;
  chain: string | null;
  bundle: string | null;
}

export interface KeylessPolicy {
  root: TrustedRoot;
  /** cosign's --certificate-identity / --certificate-oidc-issuer: exact matches */
  identity?: string;
  oidcIssuer?: string;
}

export interface KeylessIdentity extends CertIdentity {
  /** the trusted CA the chain ends in */
  ca: string | null;
  /** when the log says the signature was made (the bundle's integrated time), if established */
  signedAt: string | null;
}

export interface KeylessResult {
  status: 'verified' | 'invalid' | 'unverified';
  why: string;
  identity: KeylessIdentity | null;
}

/** The bundle's integrated time, when its SET verifies with a log of the trusted root and it is about this signature. */
function loggedAt(bundle: string, signed: Buffer, sig: Buffer, leaf: X509Certificate, root: TrustedRoot): { ms: number } | { why: string; hostile: boolean } {
  let b: unknown;
  try {
    b = parseJsonBytes(Buffer.from(bundle, 'utf8'), 'the Rekor bundle');
  } catch (e) {
    return { why: (e as Error).message, hostile: true };
  }
  const p = isRecord(b) && isRecord(b.Payload) ? b.Payload : null;
  const set = isRecord(b) ? str(b.SignedEntryTimestamp) : null;
  if (!p || !set || typeof p.body !== 'string' || typeof p.integratedTime !== 'number' || typeof p.logIndex !== 'number' || typeof p.logID !== 'string') {
    return { why: 'the Rekor bundle lacks SignedEntryTimestamp or Payload.body/integratedTime/logIndex/logID', hostile: true };
  }
  // seconds since 1970, before year 10000: anything else is not a time (and would not print as one)
  if (!Number.isSafeInteger(p.integratedTime) || p.integratedTime < 0 || p.integratedTime > 253402300799) return { why: `the Rekor bundle's integratedTime ${p.integratedTime} is not a time`, hostile: true };
  const log = root.logs.find((l) => l.logId === p.logID);
  if (!log) return { why: `the Rekor bundle names log ${p.logID.slice(0, 16)}…, not a tlog of --trusted-root`, hostile: false };
  // RFC 8785 canonical JSON of {body, integratedTime, logID, logIndex}: keys sorted, no spaces
  const canonical = JSON.stringify({ body: p.body, integratedTime: p.integratedTime, logID: p.logID, logIndex: p.logIndex });
  let ok = false;
  try {
    ok = cryptoVerify('sha256', Buffer.from(canonical), log.key, Buffer.from(set, 'base64'));
  } catch { /* malformed: not verified */ }
  if (!ok) return { why: 'the Rekor bundle\'s SignedEntryTimestamp does not verify with the log key of --trusted-root', hostile: false };
  const ms = p.integratedTime * 1000;
  if (!within(log.validFor, ms)) return { why: 'the Rekor bundle was signed outside its log key\'s validFor', hostile: false };
  // the logged entry must be this signature by this certificate over these bytes (hashedrekord), else any bundle would do
  let body: unknown;
  try {
    body = parseJsonBytes(Buffer.from(p.body, 'base64'), 'the Rekor entry body');
  } catch (e) {
    return { why: (e as Error).message, hostile: true };
  }
  const spec = isRecord(body) && isRecord(body.spec) ? body.spec : {};
  if (!isRecord(body) || body.kind !== 'hashedrekord') return { why: `the Rekor entry is of kind ${JSON.stringify(isRecord(body) ? body.kind ?? null : null)}; only hashedrekord entries are tied to a signature here`, hostile: false };
  const hash = isRecord(spec.data) && isRecord(spec.data.hash) ? spec.data.hash : {};
  const sigSpec = isRecord(spec.signature) ? spec.signature : {};
  const pk = isRecord(sigSpec.publicKey) ? str(sigSpec.publicKey.content) : null;
  if (hash.algorithm !== 'sha256' || hash.value !== createHash('sha256').update(signed).digest('hex')) return { why: 'the Rekor entry logs another payload hash, not this payload', hostile: true };
  if (typeof sigSpec.content !== 'string' || !Buffer.from(sigSpec.content, 'base64').equals(sig)) return { why: 'the Rekor entry logs another signature, not this one', hostile: true };
  let logged: X509Certificate[] = [];
  try {
    logged = parsePemCertificates(Buffer.from(pk ?? '', 'base64').toString('utf8'), 'Rekor entry publicKey', MAX_CERT_TEXT);
  } catch { /* compared below */ }
  if (!logged[0]?.raw.equals(leaf.raw)) return { why: 'the Rekor entry logs another certificate, not this one', hostile: true };
  return { ms };
}

/** Check one keyless signature (the signed bytes and its signatures) against the trusted root and policy. */
export function checkKeyless(signed: Buffer, signatures: Buffer[], ev: KeylessEvidence, policy: KeylessPolicy): KeylessResult {
  let leaf: X509Certificate;
  let chain: X509Certificate[];
  try {
    leaf = parsePemCertificates(ev.certificate, 'certificate', MAX_CERT_TEXT)[0]!;
    chain = ev.chain ? parsePemCertificates(ev.chain, 'chain', MAX_CHAIN_TEXT) : [];
  } catch (e) {
    return { status: 'invalid', why: (e as Error).message, identity: null };
  }
  let id: CertIdentity;
  try {
    id = certificateIdentity(leaf);
  } catch (e) {
    return { status: 'invalid', why: (e as Error).message, identity: null };
  }
  const who = `${id.san.join(', ') || '(no email or URI in the SAN)'} (issuer ${id.issuer ?? 'unknown'})`;
  const identity: KeylessIdentity = { ...id, ca: null, signedAt: null };
  const paths = policy.root.cas.map((ca) => pathTo(leaf, chain, ca));
  const found = paths.find((p): p is { path: X509Certificate[]; ca: TrustedCa } => 'path' in p);
  if (!found) {
    const bad = paths.find((p) => 'why' in p && p.hostile) ?? paths[0]!;
    return { status: 'hostile' in bad && bad.hostile ? 'invalid' : 'unverified', why: `keyless signature by ${who}: ${'why' in bad ? bad.why : ''}`, identity };
  }
  identity.ca = found.ca.name;
  if (!(leaf.keyUsage ?? []).includes(CODE_SIGNING)) return { status: 'unverified', why: `keyless signature by ${who}: the certificate is not for code signing (no extended key usage codeSigning)`, identity };
  const key = trustedKeyOf(leaf.publicKey, 'the certificate');
  const sig = signatures.find((s) => verifyBytes(key, signed, s));
  if (!sig) return { status: 'unverified', why: `keyless signature by ${who}: the certificate's key does not verify it (changed after signing, or signed by another key)`, identity };
  if (policy.identity !== undefined && !id.san.includes(policy.identity)) return { status: 'unverified', why: `signed by ${who}, not by --certificate-identity ${policy.identity}`, identity };
  if (policy.oidcIssuer !== undefined && id.issuer !== policy.oidcIssuer) return { status: 'unverified', why: `signed by ${who}, whose issuer is not --certificate-oidc-issuer ${policy.oidcIssuer}`, identity };
  const window = `the certificate was valid only ${id.notBefore} to ${id.notAfter}`;
  if (!ev.bundle) return { status: 'unverified', why: `keyless signature by ${who}: the signing time cannot be established (no Rekor bundle): ${window}, and a short-lived certificate proves nothing without a trusted time`, identity };
  const t = loggedAt(ev.bundle, signed, sig, leaf, policy.root);
  if ('why' in t) return { status: t.hostile ? 'invalid' : 'unverified', why: `keyless signature by ${who}: the signing time cannot be established: ${t.why}`, identity };
  const at = new Date(t.ms).toISOString().replace('.000Z', 'Z');
  identity.signedAt = at;
  const expired = found.path.find((c) => t.ms < Date.parse(c.validFrom) || t.ms > Date.parse(c.validTo));
  if (expired) return { status: 'invalid', why: `keyless signature by ${who}: logged at ${at}, when ${expired === leaf ? 'its certificate' : `the chain's ${describe(expired)}`} was not valid (${iso(expired.validFrom)} to ${iso(expired.validTo)})`, identity };
  if (!within(found.ca.validFor, t.ms)) return { status: 'invalid', why: `keyless signature by ${who}: logged at ${at}, outside the trusted CA ${found.ca.name}'s validFor`, identity };
  return { status: 'verified', why: `keyless signature by ${who}, certificate from ${found.ca.name}, logged at ${at}`, identity };
}
