import { LayerdigError } from '../errors.js';
import type { Archive } from '../app/archive.js';
import { selectImages } from '../image/select.js';
import { attachedFor } from '../supply/attached.js';
import { checkSignatures, loadTrusted, renderSignatures, unsignedImages, type SignatureCheck, type Trusted } from '../supply/signatures.js';
import { artifactsOf } from './commands/attached.js';

/** `verify --key … [--require-signature]`: the glue between verify and src/supply (kept out of verify.ts). */
export interface SignatureArgs {
  key?: string[]; gpgKeyring?: string[]; trustedRoot?: string; certificateIdentity?: string; certificateOidcIssuer?: string;
  requireSignature?: boolean; platform?: string;
}

export interface SignatureResult {
  checks: SignatureCheck[];
  /** images without a verified signature, when --require-signature was given */
  unsigned: string[] | null;
  text: string;
  /** a signature that lies about the image, or the policy not met: verify's exit 1 */
  failed: boolean;
}

/** Check usage and load the keys before any archive is read; null when no signature check was asked for. */
export function signatureKeys(a: SignatureArgs): Trusted | null {
  const asked = !!(a.key?.length || a.gpgKeyring?.length || a.trustedRoot !== undefined);
  if (a.requireSignature && !asked) throw new LayerdigError('E_USAGE', '--require-signature needs --key FILE, --gpg-keyring FILE or --trusted-root FILE (what the signatures must verify with)');
  for (const [o, v] of [['--certificate-identity', a.certificateIdentity], ['--certificate-oidc-issuer', a.certificateOidcIssuer]] as const) {
    if (v !== undefined && a.trustedRoot === undefined) throw new LayerdigError('E_USAGE', `${o} needs --trusted-root FILE (the CAs a keyless certificate must chain to)`);
    if (v === '') throw new LayerdigError('E_USAGE', `${o} needs a value (an email or URI; an issuer URL)`);
  }
  return asked ? loadTrusted(a.key ?? [], a.gpgKeyring ?? [], { trustedRoot: a.trustedRoot, identity: a.certificateIdentity, oidcIssuer: a.certificateOidcIssuer }) : null;
}

export async function signatureCheck(a: SignatureArgs, ar: Archive, keys: Trusted): Promise<SignatureResult> {
  const r = await attachedFor(ar, artifactsOf(ar), selectImages(ar.images, undefined, a.platform));
  const checks = checkSignatures(r, keys);
  const unsigned = a.requireSignature ? unsignedImages(r, checks) : null;
  return {
    checks, unsigned, text: renderSignatures(ar.path, checks, unsigned),
    failed: checks.some((c) => c.status === 'invalid') || (unsigned !== null && unsigned.length > 0),
  };
}

/** `verify --json`'s `signatures`: the checks and the policy outcome (null: the archive could not be read). */
export function signatureDocument(s: SignatureResult | undefined) {
  return s ? { checks: s.checks, requireSignature: s.unsigned === null ? null : { met: s.unsigned.length === 0, unsigned: s.unsigned }, ok: !s.failed } : null;
}
