import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { X509Certificate } from 'node:crypto';
import { join } from 'node:path';
import { ROOT, run } from './helpers/cli.js';
import { certificateIdentity, checkKeyless, parsePemCertificates } from '../src/supply/keyless.js';
import { parseTrustedRoot } from '../src/supply/trusted-root.js';

// Truth: fixtures/keyless/truth.json, recorded by make.sh from `openssl verify -attime`, `openssl dgst -verify`
// (signature and SET) and `openssl x509 -ext subjectAltName` — and the identities the script wrote. Never layerdig.
const DIR = join(ROOT, 'fixtures', 'keyless');
const truth = JSON.parse(readFileSync(join(DIR, 'truth.json'), 'utf8'));
const ROOTFILE = join(DIR, 'trusted_root.json');
const OTHER = join(DIR, 'trusted_root-other.json');
const GOOD = join(DIR, 'keyless.oci');
const NOBUNDLE = join(DIR, 'keyless-nobundle.oci');
const BAD = join(DIR, 'keyless-bad.oci');
const row = (name: string) => truth.signatures.find((s: { name: string }) => s.name === name);
const at = new Date(truth.integratedTime * 1000).toISOString().replace('.000Z', 'Z');

interface Check { status: string; key: unknown; identity: { san: string[]; issuer: string | null; ca: string | null; signedAt: string | null; notBefore: string; notAfter: string } | null; why: string }
function verify(layout: string, ...extra: string[]) {
  const r = run(['verify', layout, '--json', '-q', ...extra]);
  const doc = r.stdout ? JSON.parse(r.stdout) : null;
  return { ...r, checks: (doc?.[0]?.signatures?.checks ?? []) as Check[], require: doc?.[0]?.signatures?.requireSignature };
}
const opensslDate = (s: string) => new Date(s).toISOString().replace('.000Z', 'Z');

describe('verify --trusted-root: cosign keyless signatures, offline', () => {
  it('the fixture is what its truth says: openssl verifies both good chains at the logged time, both signatures and both SETs', () => {
    for (const n of ['email', 'uri']) expect([row(n).openssl_dgst_verify, row(n).openssl_verify_at_integrated_time, row(n).openssl_set_verify]).toEqual(['OK', `${row(n).leaf}.pem: OK`, 'OK']);
  });

  it('verifies both signatures, naming the identity (SAN, Fulcio issuer), the CA and the logged time; --require-signature met', () => {
    const r = verify(GOOD, '--trusted-root', ROOTFILE, '--require-signature');
    expect(r.code).toBe(0);
    expect(r.checks.map((c) => c.status)).toEqual(['verified', 'verified']);
    const ids = r.checks.map((c) => c.identity!);
    expect(ids.map((i) => i.san)).toEqual([[truth.identities.email.san], [truth.identities.uri.san]]);
    expect(ids.map((i) => i.issuer)).toEqual([truth.identities.email.issuer, truth.identities.uri.issuer]);
    // openssl's own reading of the SAN
    expect(row('email').openssl_san).toBe(`email:${truth.identities.email.san}`);
    expect(row('uri').openssl_san).toBe(`URI:${truth.identities.uri.san}`);
    expect(ids.every((i) => i.signedAt === at)).toBe(true);
    expect(ids.map((i) => [i.notBefore, i.notAfter])).toEqual(['email', 'uri'].map((n) => [opensslDate(row(n).notBefore), opensslDate(row(n).notAfter)]));
    expect(r.require).toEqual({ met: true, unsigned: [] });
    expect(r.checks.every((c) => c.key === null)).toBe(true);
  });

  it('--certificate-identity / --certificate-oidc-issuer: only the matching signature counts', () => {
    const r = verify(GOOD, '--trusted-root', ROOTFILE, '--certificate-identity', truth.identities.uri.san, '--certificate-oidc-issuer', truth.identities.uri.issuer, '--require-signature');
    expect(r.code).toBe(0);
    expect(r.checks.map((c) => c.status)).toEqual(['unverified', 'verified']);
    expect(r.checks[0]!.why).toContain(`not by --certificate-identity ${truth.identities.uri.san}`);
    const wrong = verify(GOOD, '--trusted-root', ROOTFILE, '--certificate-identity', 'someone@else.example', '--require-signature');
    expect(wrong.code).toBe(1);
    expect(wrong.checks.map((c) => c.status)).toEqual(['unverified', 'unverified']);
    const iss = verify(GOOD, '--trusted-root', ROOTFILE, '--certificate-oidc-issuer', 'https://issuer.example', '--require-signature');
    expect(iss.code).toBe(1);
    expect(iss.checks.every((c) => /whose issuer is not --certificate-oidc-issuer/.test(c.why))).toBe(true);
  });

  it('a trusted root of another CA (same names, other keys): unverified, policy not met', () => {
    const r = verify(GOOD, '--trusted-root', OTHER, '--require-signature');
    expect(r.code).toBe(1);
    expect(r.checks.map((c) => c.status)).toEqual(['unverified', 'unverified']);
    expect(r.checks[0]!.why).toMatch(/self-signed certificate that is not in --trusted-root/);
  });

  it('no Rekor bundle: the signing time cannot be established — unverified, and --require-signature fails', () => {
    expect(row('no-bundle').openssl_set_verify).toBeNull();
    const r = verify(NOBUNDLE, '--trusted-root', ROOTFILE, '--require-signature');
    expect(r.code).toBe(1);
    expect(r.checks).toHaveLength(1);
    expect(r.checks[0]!.status).toBe('unverified');
    expect(r.checks[0]!.why).toMatch(/signing time cannot be established \(no Rekor bundle\)/);
    expect(r.checks[0]!.identity!.signedAt).toBeNull();
    const text = run(['verify', NOBUNDLE, '--trusted-root', ROOTFILE, '-q']);
    expect(text.code).toBe(0); // not a lie about the image: only the policy fails on it
  });

  it('each bad signature is one line with why, as openssl judges it; exit 1', () => {
    const r = verify(BAD, '--trusted-root', ROOTFILE);
    expect(r.code).toBe(1);
    const [expired, tampered, wrongRoot, loop, tooLong, garbage, huge] = r.checks;
    expect(r.checks).toHaveLength(7);
    // openssl: "certificate has expired" at the logged time → a signature made outside the certificate's life
    expect(row('expired-at-signing').openssl_verify_at_integrated_time).toMatch(/certificate has expired/);
    expect(expired!.status).toBe('invalid');
    expect(expired!.why).toMatch(/logged at .* when its certificate was not valid/);
    // openssl dgst: the stored payload does not verify
    expect(row('tampered').openssl_dgst_verify).toBe('FAIL');
    expect(tampered!.status).toBe('unverified');
    expect(tampered!.why).toMatch(/key does not verify it/);
    expect(row('wrong-root').openssl_verify_at_integrated_time).toMatch(/self-signed certificate in certificate chain/);
    expect(wrongRoot!.status).toBe('unverified');
    expect(row('loop').openssl_verify_at_integrated_time).toMatch(/verification failed/);
    expect(loop!.status).toBe('invalid');
    expect(loop!.why).toMatch(/chain loops \(.*loop-X → .*loop-Y → .*loop-X\)/);
    // openssl accepts 14 certificates (its depth limit is 100); layerdig refuses chains past 10, as documented
    expect(row('too-long').openssl_verify_at_integrated_time).toBe('leaf-deep.pem: OK');
    expect(tooLong!.status).toBe('invalid');
    expect(tooLong!.why).toMatch(/more than a chain of 10: refused/);
    expect(garbage!.status).toBe('invalid');
    expect(garbage!.why).toMatch(/not a DER X.509 certificate/);
    expect(huge!.status).toBe('invalid');
    expect(huge!.why).toMatch(/over the 65536-byte limit: refused/);
    const text = run(['verify', BAD, '--trusted-root', ROOTFILE, '-q']);
    expect(text.stderr).not.toMatch(/at .*\.js:\d+|internal error/);
    expect(text.stdout.split('\n').filter((l) => /(INVALID|UNVERIFIED) simple-signing/.test(l))).toHaveLength(7);
  });

  it('without --trusted-root a keyless signature is unchecked, never verified by --key', () => {
    const r = verify(GOOD, '--key', join(ROOT, 'fixtures', 'supply', 'keys', 'cosign.pub'));
    expect(r.checks.map((c) => c.status)).toEqual(['unchecked', 'unchecked']);
    expect(r.checks[0]!.why).toMatch(/give --trusted-root FILE/);
  });

  it('usage: identity options without --trusted-root, a bad trusted root, a missing file — exit 2, one line', () => {
    for (const args of [
      ['--certificate-identity', 'dev@example.com'],
      ['--certificate-oidc-issuer', 'https://x'],
      ['--trusted-root', join(ROOT, 'README.md')],
      ['--trusted-root', join(DIR, 'no-such.json')],
      ['--trusted-root', join(DIR, 'truth.json')],
      ['--trusted-root', join(ROOT, 'fixtures', 'buildargs', 'buildargs.docker-archive.tar.gz'), '--max-json-bytes', '4096'],
      ['--trusted-root', DIR],
    ]) {
      const r = run(['verify', GOOD, ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^layerdig: --(trusted-root|certificate-)/);
    }
  });

  it('attached shows the certificate identity, unchecked', () => {
    const r = run(['attached', GOOD, '-q']);
    expect(r.stdout).toContain(`keyless certificate for ${truth.identities.email.san} (issuer ${truth.identities.email.issuer})`);
    expect(r.stdout).toContain('not checked here: verify --trusted-root');
  });
});

describe('keyless units', () => {
  it('the Fulcio issuer v2 extension (DER UTF8String) is what openssl prints for it', () => {
    const layout = JSON.parse(readFileSync(join(GOOD, 'index.json'), 'utf8'));
    const sig = JSON.parse(readFileSync(join(GOOD, 'blobs', 'sha256', layout.manifests[1].digest.slice(7)), 'utf8'));
    const leaf = parsePemCertificates(sig.layers[0].annotations['dev.sigstore.cosign/certificate'], 'certificate', 65536)[0]!;
    // openssl shows the UTF8String's tag and length as two dots before the text
    expect(truth.openssl_text_issuer_v2_of_email_leaf).toBe(`..${certificateIdentity(leaf).issuer}`);
  });
  it('the trusted root: its CA certificates are the ones the file carries', () => {
    const t = parseTrustedRoot(readFileSync(ROOTFILE), 'trusted_root.json');
    const raw = JSON.parse(readFileSync(ROOTFILE, 'utf8'));
    expect(t.cas[0]!.certs.map((c) => c.raw.toString('base64'))).toEqual(raw.certificateAuthorities[0].certChain.certificates.map((c: { rawBytes: string }) => c.rawBytes));
    expect(t.cas[0]!.certs.map((c: X509Certificate) => c.ca)).toEqual([true, true]);
    expect(() => parsePemCertificates('-----BEGIN CERTIFICATE-----\n!!\n-----END CERTIFICATE-----', 'certificate', 65536)).toThrow(/not base64/);
    expect(() => parsePemCertificates('no pem here', 'certificate', 65536)).toThrow(/no PEM certificate/);
  });
  it('a forged bundle: a changed integrated time fails the SET; another signature\'s bundle is refused', () => {
    const layout = JSON.parse(readFileSync(join(GOOD, 'index.json'), 'utf8'));
    const sig = JSON.parse(readFileSync(join(GOOD, 'blobs', 'sha256', layout.manifests[1].digest.slice(7)), 'utf8'));
    const payload = readFileSync(join(GOOD, 'blobs', 'sha256', sig.layers[0].digest.slice(7)));
    const a = (n: number, k: string) => sig.layers[n].annotations[`dev.${k}`] as string;
    const root = parseTrustedRoot(readFileSync(ROOTFILE), 'trusted_root.json');
    const ev = (bundle: string) => ({ certificate: a(0, 'sigstore.cosign/certificate'), chain: a(0, 'sigstore.cosign/chain'), bundle });
    const sigBytes = [Buffer.from(a(0, 'cosignproject.cosign/signature'), 'base64')];
    expect(checkKeyless(payload, sigBytes, ev(a(0, 'sigstore.cosign/bundle')), { root }).status).toBe('verified');
    const b = JSON.parse(a(0, 'sigstore.cosign/bundle'));
    b.Payload.integratedTime -= 3600;
    const forged = checkKeyless(payload, sigBytes, ev(JSON.stringify(b)), { root });
    expect([forged.status, forged.why]).toEqual(['unverified', expect.stringMatching(/SignedEntryTimestamp does not verify/)]);
    const other = checkKeyless(payload, sigBytes, ev(a(1, 'sigstore.cosign/bundle')), { root });
    expect([other.status, other.why]).toEqual(['invalid', expect.stringMatching(/logs another signature/)]);
    expect(checkKeyless(payload, sigBytes, ev('{"truncated'), { root }).status).toBe('invalid');
    b.Payload.integratedTime = 1e300;
    expect(checkKeyless(payload, sigBytes, ev(JSON.stringify(b)), { root })).toMatchObject({ status: 'invalid', why: expect.stringMatching(/is not a time/) });
  });
});
