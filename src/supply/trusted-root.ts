import { createHash, createPublicKey, X509Certificate, type KeyObject } from 'node:crypto';
import { isRecord, parseJsonBytes, str, SupplyProblem } from './problem.js';

/**
 * Sigstore's trusted root (protobuf-specs `dev.sigstore.trustroot.v1.TrustedRoot`,
 * its JSON form: `trusted_root.json`): the certificate authorities whose
 * certificates may sign (Fulcio's root and intermediates, base64 DER in
 * `certChain.certificates[].rawBytes`, each CA trusted for `validFor`), and the
 * transparency logs whose key signs a Rekor bundle's SignedEntryTimestamp
 * (`tlogs[].publicKey.rawBytes`, DER SubjectPublicKeyInfo, named by `logId.keyId`).
 * Only what offline verification needs; CT logs and TSAs are not read.
 */
export interface Window { start: number | null; end: number | null }

export interface TrustedCa {
  name: string;
  certs: X509Certificate[];
  validFor: Window;
}

export interface TrustedLog {
  /** hex sha256 of the DER public key, as a cosign bundle's `logID` names it */
  logId: string;
  key: KeyObject;
  validFor: Window;
}

export interface TrustedRoot {
  path: string;
  cas: TrustedCa[];
  logs: TrustedLog[];
}

const MEDIA_TYPE = 'application/vnd.dev.sigstore.trustedroot';

function window(v: unknown, what: string): Window {
  const o = isRecord(v) ? v : {};
  const t = (x: unknown, k: string) => {
    if (x === undefined || x === null) return null;
    const ms = typeof x === 'string' ? Date.parse(x) : NaN;
    if (Number.isNaN(ms)) throw new SupplyProblem(`${what}.validFor.${k} is not a time (${JSON.stringify(x)})`);
    return ms;
  };
  return { start: t(o.start, 'start'), end: t(o.end, 'end') };
}

function b64(v: unknown, what: string): Buffer {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v) || v === '') throw new SupplyProblem(`${what} is not base64`);
  return Buffer.from(v, 'base64');
}

export function parseTrustedRoot(bytes: Buffer, path: string): TrustedRoot {
  const v = parseJsonBytes(bytes, 'it');
  if (!isRecord(v)) throw new SupplyProblem('it is not a JSON object (a Sigstore trusted_root.json)');
  const mt = str(v.mediaType);
  if (mt !== null && !mt.startsWith(MEDIA_TYPE)) throw new SupplyProblem(`it has mediaType ${mt}, not ${MEDIA_TYPE}+json`);
  const cas = (Array.isArray(v.certificateAuthorities) ? v.certificateAuthorities : []).map((ca, i): TrustedCa => {
    const what = `certificateAuthorities[${i}]`;
    const c = isRecord(ca) ? ca : {};
    const chain = isRecord(c.certChain) && Array.isArray(c.certChain.certificates) ? c.certChain.certificates : [];
    if (chain.length === 0) throw new SupplyProblem(`${what} has no certChain.certificates`);
    const certs = chain.map((x, k) => {
      const w = `${what}.certChain.certificates[${k}]`;
      try {
        return new X509Certificate(b64(isRecord(x) ? x.rawBytes : undefined, `${w}.rawBytes`));
      } catch (e) {
        throw e instanceof SupplyProblem ? e : new SupplyProblem(`${w}.rawBytes is not a DER X.509 certificate`);
      }
    });
    const subj = isRecord(c.subject) ? c.subject : {};
    const name = [str(subj.organization), str(subj.commonName)].filter(Boolean).join('/') || (str(c.uri) ?? certs[certs.length - 1]!.subject.replace(/\n/g, ', '));
    return { name, certs, validFor: window(c.validFor, what) };
  });
  const logs = (Array.isArray(v.tlogs) ? v.tlogs : []).map((l, i): TrustedLog => {
    const what = `tlogs[${i}]`;
    const o = isRecord(l) ? l : {};
    const pk = isRecord(o.publicKey) ? o.publicKey : {};
    const der = b64(pk.rawBytes, `${what}.publicKey.rawBytes`);
    let key: KeyObject;
    try {
      key = createPublicKey({ key: der, format: 'der', type: 'spki' });
    } catch {
      throw new SupplyProblem(`${what}.publicKey.rawBytes is not a DER public key`);
    }
    return { logId: createHash('sha256').update(der).digest('hex'), key, validFor: window(pk.validFor, `${what}.publicKey`) };
  });
  if (cas.length === 0) throw new SupplyProblem('it names no certificateAuthorities: nothing to check a certificate against');
  return { path, cas, logs };
}

export function within(w: Window, ms: number): boolean {
  return (w.start === null || ms >= w.start) && (w.end === null || ms <= w.end);
}
