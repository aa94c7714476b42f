import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeEnvelope, pae } from '../src/supply/dsse.js';
import { decodeStatement, subjectMatch } from '../src/supply/intoto.js';
import { summarizeProvenance } from '../src/supply/slsa.js';
import { recognizeSbom } from '../src/supply/sbom.js';
import { decodeSignatureAnnotation, decodeSimpleSigning, loadPublicKey, verifyBytes } from '../src/supply/cosign.js';
import { parseJsonBytes, SupplyProblem } from '../src/supply/problem.js';
import { decodeSignedMessage } from '../src/supply/openpgp.js';

// Truth: fixtures/supply/make.sh (openssl dgst/pkeyutl -verify, jq, sha256sum) — never layerdig.
const DIR = join(__dirname, '..', 'fixtures', 'supply');
const truth = JSON.parse(readFileSync(join(DIR, 'truth.json'), 'utf8'));
const blob = (layout: string, d: string) => readFileSync(join(DIR, layout, 'blobs', 'sha256', d.replace('sha256:', '')));
const json = (layout: string, d: string) => JSON.parse(blob(layout, d).toString('utf8'));
const key = (n: string) => loadPublicKey(readFileSync(join(DIR, 'keys', `${n}.pub`)), `${n}.pub`);
const image = { manifest: truth.image.manifest as string, config: truth.image.config as string };

describe('DSSE', () => {
  it('PAE is the spec example byte for byte', () => {
    // DSSE protocol.md: PAE("http://example.com/HelloWorld", "hello world")
    expect(pae('http://example.com/HelloWorld', Buffer.from('hello world')).toString())
      .toBe('DSSEv1 29 http://example.com/HelloWorld 11 hello world');
  });
  it('the .att envelope verifies over its PAE exactly when openssl said so', () => {
    const m = json('signed.oci', truth.signed.att_manifest);
    const env = decodeEnvelope(json('signed.oci', m.layers[0].digest));
    const t = truth.signatures.find((s: { tag: string }) => s.tag === 'att');
    expect(env.payloadType).toBe('application/vnd.in-toto+json');
    expect(verifyBytes(key('cosign'), pae(env.payloadType, env.payload), env.signatures[0]!.sig)).toBe(t.openssl_over_pae === 'OK');
    expect(verifyBytes(key('other'), pae(env.payloadType, env.payload), env.signatures[0]!.sig)).toBe(false);
    const st = decodeStatement(parseJsonBytes(env.payload, 'payload'));
    expect(subjectMatch(st, image)).toBe('manifest');
    const p = summarizeProvenance(st.predicateType, st.predicate);
    const v1 = truth.provenance_v1;
    expect(p).toMatchObject({ slsaVersion: '1', builderId: v1.builder, buildType: v1.buildType, sourceRepo: v1.source, sourceCommit: v1.commit, startedOn: v1.started, finishedOn: v1.finished });
    expect(p.buildArgs).toEqual(Object.fromEntries(Object.entries(v1.args as Record<string, string>).map(([k, v]) => [k.replace(/^build-arg:/, ''), v])));
  });
  it('hostile envelopes: another subject, a truncated document', () => {
    const m = json('hostile.oci', truth.hostile.att_manifest);
    const [typ, subj, trunc] = m.layers.map((l: { digest: string }) => blob('hostile.oci', l.digest));
    expect(decodeEnvelope(JSON.parse(typ.toString())).payloadType).toBe('application/json');
    const st = decodeStatement(JSON.parse(decodeEnvelope(JSON.parse(subj.toString())).payload.toString()));
    expect(subjectMatch(st, image)).toBeNull();
    expect(st.subjects[0]!.digest.sha256).toBe(truth.hostile.other_subject.slice(7));
    expect(subjectMatch(st, { manifest: image.manifest, config: truth.hostile.other_subject })).toBe('config');
    expect(() => parseJsonBytes(trunc, 'the envelope')).toThrow(/truncated/);
    expect(() => decodeEnvelope({ payloadType: 'x', payload: '!!', signatures: [] })).toThrow(SupplyProblem);
    expect(() => parseJsonBytes(Buffer.from(`${'['.repeat(5000)}${']'.repeat(5000)}`), 'the statement')).toThrow(/nested more than 256 levels/);
  });
});

describe('in-toto statements in the buildx attestation manifest', () => {
  const att = json('signed.oci', truth.signed.attestation_manifest);
  const layer = (pt: string) => att.layers.find((l: { annotations: Record<string, string> }) => l.annotations['in-toto.io/predicate-type'] === pt);
  it('SLSA v0.2 provenance summary equals the fields jq read', () => {
    const st = decodeStatement(json('signed.oci', layer('https://slsa.dev/provenance/v0.2').digest));
    const t = truth.provenance_v02;
    expect(subjectMatch(st, image)).toBe('manifest');
    expect(st.subjects[0]!.digest.sha256).toBe(t.subject);
    const p = summarizeProvenance(st.predicateType, st.predicate);
    expect(p).toMatchObject({ slsaVersion: '0.2', builderId: t.builder, buildType: t.buildType, sourceRepo: t.source, sourceCommit: t.commit, startedOn: t.started, finishedOn: t.finished });
    const args = Object.entries(t.args as Record<string, string>).filter(([k]) => k.startsWith('build-arg:'));
    expect(p.buildArgs).toEqual(Object.fromEntries(args.map(([k, v]) => [k.slice('build-arg:'.length), v])));
  });
  it('the SPDX statement predicate is an SPDX 2.3 SBOM', () => {
    const st = decodeStatement(json('signed.oci', layer('https://spdx.dev/Document').digest));
    const s = recognizeSbom(st.predicate)!;
    expect(s.format).toBe('SPDX');
    expect(`SPDX-${s.version}`).toBe(truth.spdx.version);
    expect(s.packages).toBe(truth.spdx.packages);
    expect(s.generators).toEqual((truth.spdx.creators as string[]).filter((c) => c.startsWith('Tool: ')).map((c) => c.slice(6)));
  });
  it('a statement of another type is refused with a sentence', () => {
    expect(() => decodeStatement({ _type: 'x', subject: [] })).toThrow(/not an in-toto statement/);
  });
});

describe('SBOM referrers', () => {
  it('CycloneDX 1.5: tools and component count as jq read them', () => {
    const m = json('signed.oci', truth.signed.cdx_referrer);
    const s = recognizeSbom(json('signed.oci', m.layers[0].digest))!;
    expect(s).toMatchObject({ format: 'CycloneDX', version: truth.cyclonedx.version, packages: truth.cyclonedx.components, generators: truth.cyclonedx.tools });
  });
  it('CycloneDX 1.4 tools list, nested components; 1.3 and junk are not SBOMs', () => {
    const bom = { bomFormat: 'CycloneDX', specVersion: '1.4', metadata: { tools: [{ vendor: 'v', name: 't', version: '2' }] }, components: [{ name: 'a', components: [{ name: 'b' }] }] };
    expect(recognizeSbom(bom)).toMatchObject({ generators: ['t@2'], packages: 2 });
    expect(recognizeSbom({ ...bom, specVersion: '1.3' })).toBeNull();
    expect(recognizeSbom([1, 2])).toBeNull();
  });
});

describe('cosign simple signing', () => {
  const sig = json('signed.oci', truth.signed.sig_manifest);
  it('each .sig layer verifies with its signer key exactly as openssl said, and only with it', () => {
    const signers = truth.signatures.filter((s: { layout: string; tag: string }) => s.layout === 'signed.oci' && s.tag === 'sig');
    expect(sig.layers).toHaveLength(signers.length);
    sig.layers.forEach((l: { digest: string; annotations: Record<string, string> }, i: number) => {
      const payload = blob('signed.oci', l.digest);
      const s = decodeSignatureAnnotation(l.annotations['dev.cosignproject.cosign/signature'])!;
      const t = signers[i];
      expect(verifyBytes(key(t.signer), payload, s)).toBe(t.openssl_with_signer_key === 'OK');
      expect(verifyBytes(key('cosign'), payload, s)).toBe(t.openssl_with_cosign_pub === 'OK');
      expect(decodeSimpleSigning(payload).manifestDigest).toBe(truth.image.manifest);
    });
  });
  it('keys are named by algorithm', () => {
    expect(key('cosign').algorithm).toBe('ECDSA P-256');
    expect(key('rsa').algorithm).toBe('RSA 2048');
    expect(key('ed25519').algorithm).toBe('Ed25519');
    expect(() => loadPublicKey(Buffer.from('nope'), 'x.pub')).toThrow(/not a PEM public key/);
  });
  it('hostile: other digest (valid signature), tampered payload, other key — as openssl said', () => {
    const h = json('hostile.oci', truth.hostile.sig_manifest);
    const cases = ['wrong-digest', 'tampered-payload', 'wrong-key'].map((c) => truth.signatures.find((s: { case?: string }) => s.case === c));
    h.layers.forEach((l: { digest: string; annotations: Record<string, string> }, i: number) => {
      const payload = blob('hostile.oci', l.digest);
      const s = decodeSignatureAnnotation(l.annotations['dev.cosignproject.cosign/signature'])!;
      expect(verifyBytes(key('cosign'), payload, s)).toBe(cases[i].openssl_with_cosign_pub === 'OK');
    });
    expect(decodeSimpleSigning(blob('hostile.oci', h.layers[0].digest)).manifestDigest).toBe(truth.image.config);
    expect(verifyBytes(key('other'), blob('hostile.oci', h.layers[2].digest), decodeSignatureAnnotation(h.layers[2].annotations['dev.cosignproject.cosign/signature'])!))
      .toBe(cases[2].openssl_with_other_pub === 'OK');
  });
  it('the skopeo GPG payload inside signature-1 is a simple-signing payload (gpg --decrypt truth)', () => {
    const p = decodeSimpleSigning(Buffer.from(JSON.stringify(truth.skopeo_dir.payload)));
    expect(p.manifestDigest).toBe(truth.skopeo_dir.manifest);
    expect(p.type).toBe('atomic container signature');
  });
});

describe('OpenPGP signed message (skopeo dir: signature-1)', () => {
  it('the literal data is what gpg --decrypt printed; the issuer is the key gpg made', () => {
    const m = decodeSignedMessage(readFileSync(join(DIR, 'signed.dir', 'signature-1')));
    expect(JSON.parse(m.literal.toString())).toEqual(truth.skopeo_dir.payload);
    expect(m.issuer).toBe(truth.skopeo_dir.fingerprint);
    expect(m.signatures).toBe(1);
    expect(truth.skopeo_dir.gpg_verify).toBe('OK');
  });
  it('truncated or not OpenPGP: a sentence, not a crash', () => {
    const b = readFileSync(join(DIR, 'signed.dir', 'signature-1'));
    expect(() => decodeSignedMessage(Buffer.from('{"a":1}'))).toThrow(/not an OpenPGP message/);
    expect(() => decodeSignedMessage(b.subarray(0, 3))).toThrow(SupplyProblem);
  });
});

describe('GPG verification (verify --gpg-keyring), node:crypto over parsed OpenPGP packets', () => {
  it('signature-1 verifies with the exported key, as gpg --verify said', async () => {
    const { loadKeyring, verifySignedMessage } = await import('../src/supply/gpg.js');
    const keys = loadKeyring(readFileSync(join(DIR, 'keys', 'skopeo-pubring.gpg')), 'skopeo-pubring.gpg');
    expect(keys.map((k) => k.fingerprint)).toContain(truth.skopeo_dir.fingerprint);
    const v = verifySignedMessage(readFileSync(join(DIR, 'signed.dir', 'signature-1')), keys);
    expect(v.key?.fingerprint ?? 'FAIL').toBe(truth.skopeo_dir.gpg_verify === 'OK' ? truth.skopeo_dir.fingerprint : 'FAIL');
  });
});
