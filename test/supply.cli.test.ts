import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, run } from './helpers/cli.js';

// Truth: fixtures/supply/truth.json, recorded by make.sh from openssl/gpg/jq/sha256sum — never layerdig.
const DIR = join(ROOT, 'fixtures', 'supply');
const truth = JSON.parse(readFileSync(join(DIR, 'truth.json'), 'utf8'));
const SIGNED = join(DIR, 'signed.oci');
const HOSTILE = join(DIR, 'hostile.oci');
const key = (n: string) => join(DIR, 'keys', `${n}.pub`);
const blob = (layout: string, d: string) => readFileSync(join(layout, 'blobs', 'sha256', d.replace('sha256:', '')));
const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

interface Item { kind: string; how: string; manifest: string; subject: string; via: string[]; digest: string; mediaType: string; provenance: Record<string, unknown> | null; sbom: Record<string, unknown> | null; problems: string[] }
interface Check { scheme: string; kind: string; how: string; via: string[]; document: string; status: string; key: { path: string } | null; why: string }

let tmp: string;
beforeAll(() => { tmp = mkdtempSync(join(tmpdir(), 'layerdig-supply-')); });
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('attached', () => {
  it('lists every document that travels with the image, tied to it by how it is attached', () => {
    const r = run(['attached', SIGNED, '--json', '-q']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout);
    expect(doc.images).toHaveLength(1);
    expect(doc.images[0].manifestDigest).toBe(truth.image.manifest);
    const items: Item[] = doc.images[0].attached;
    const by = (how: string) => items.filter((i) => i.how === how);
    expect(by('buildx attestation manifest').map((i) => i.manifest)).toEqual([truth.signed.attestation_manifest, truth.signed.attestation_manifest]);
    expect(by('buildx attestation manifest').map((i) => i.subject)).toEqual([truth.image.manifest, truth.image.manifest]);
    expect(by('cosign tag').filter((i) => i.manifest === truth.signed.sig_manifest).map((i) => i.kind)).toEqual(['signature', 'signature', 'signature']);
    expect(by('cosign tag').find((i) => i.manifest === truth.signed.att_manifest)!.kind).toBe('provenance');
    const refs = by('referrer subject').filter((i) => i.kind === 'sbom');
    // the signature of the SPDX referrer hangs off the image through it
    const sbomSig = by('referrer subject').find((i) => i.kind === 'signature')!;
    expect([sbomSig.manifest, sbomSig.subject, sbomSig.via]).toEqual([truth.signed.spdx_signature_referrer, truth.signed.spdx_referrer, [truth.signed.spdx_referrer]]);
    expect(refs.map((i) => [i.manifest, i.digest]).sort()).toEqual([
      [truth.signed.cdx_referrer, `sha256:${truth.signed.cdx_blob_sha256}`], [truth.signed.spdx_referrer, `sha256:${truth.signed.spdx_blob_sha256}`]].sort());
    const p02 = items.find((i) => i.provenance?.slsaVersion === '0.2')!.provenance!;
    expect(p02).toMatchObject({ builderId: truth.provenance_v02.builder, sourceRepo: truth.provenance_v02.source, sourceCommit: truth.provenance_v02.commit, subjectMatches: 'manifest' });
    // GIT_TOKEN is a build argument make.sh wrote: named, masked, never printed
    expect(p02.secretBuildArgs).toEqual(['GIT_TOKEN']);
    expect(r.stdout).not.toContain(truth.provenance_v02.args['build-arg:GIT_TOKEN']);
    expect((p02.buildArgs as Record<string, string>).VERSION).toBe(truth.provenance_v02.args['build-arg:VERSION']);
    const cdx = refs.find((i) => i.sbom?.format === 'CycloneDX')!.sbom!;
    expect(cdx.packages).toBe(truth.cyclonedx.components);
    expect(items.every((i) => i.problems.length === 0)).toBe(true);
  });
  it('the text view names provenance and SBOM facts', () => {
    const r = run(['attached', SIGNED, '-q']);
    expect(r.stdout).toContain(`builder      ${truth.provenance_v02.builder}`);
    expect(r.stdout).toContain(`${truth.provenance_v02.source} @ ${truth.provenance_v02.commit}`);
    expect(r.stdout).toContain(`CycloneDX ${truth.cyclonedx.version}, ${truth.cyclonedx.components} packages`);
  });
  it('--extract writes the SBOM: a referrer blob byte for byte, a statement\'s predicate as the same document', () => {
    const out = join(tmp, 'sbom.json');
    const r = run(['attached', SIGNED, '--extract', truth.signed.spdx_blob_sha256.slice(0, 12), '-o', out, '-q']);
    expect(r.code).toBe(0);
    expect(sha(readFileSync(out))).toBe(`sha256:${truth.signed.spdx_blob_sha256}`);
    const all: Item[] = JSON.parse(run(['attached', SIGNED, '--json', '-q']).stdout).images[0].attached;
    const intoto = all.find((i) => i.kind === 'sbom' && i.how === 'buildx attestation manifest')!;
    const r2 = run(['attached', SIGNED, '--extract', intoto.digest, '-q']);
    expect(r2.code).toBe(0);
    expect(JSON.parse(r2.stdout)).toEqual(JSON.parse(readFileSync(out, 'utf8')));
  });
  it('--extract sbom with three SBOMs asks which (exit 2, candidates listed); -o without --extract is usage', () => {
    const r = run(['attached', SIGNED, '--extract', 'sbom', '-q']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/3 attached documents match --extract sbom/);
    expect(r.stderr).toContain(truth.signed.spdx_blob_sha256);
    expect(run(['attached', SIGNED, '-o', join(tmp, 'x')]).code).toBe(2);
  });
  it('hostile: each bad document is one line, the cycle is named, exit 1, no crash', () => {
    const r = run(['attached', HOSTILE]);
    expect(r.code).toBe(1);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(r.stderr).toContain(`the payload names ${truth.image.config}, not this image's manifest ${truth.image.manifest}`);
    expect(r.stderr).toMatch(/payloadType is application\/json, not application\/vnd\.in-toto\+json/);
    expect(r.stderr).toContain(`the statement is about ${truth.hostile.other_subject}`);
    expect(r.stderr).toMatch(/not valid JSON \(100 bytes; truncated\)/);
    expect(r.stderr).toContain(`its subjects form a cycle (${truth.hostile.cycle_a_listed_as.slice(7, 19)}`);
  });
  it('an artifact whose subject is the multi-platform index reaches the image listed in it', () => {
    const L = join(tmp, 'index-subject.oci');
    cpSync(SIGNED, L, { recursive: true });
    const idx = blob(SIGNED, truth.signed.buildx_index);
    const m = {
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/vnd.example.note+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2, data: 'e30=' },
      layers: [], subject: { mediaType: 'application/vnd.oci.image.index.v1+json', digest: truth.signed.buildx_index, size: idx.length },
    };
    const bytes = Buffer.from(JSON.stringify(m));
    writeFileSync(join(L, 'blobs', 'sha256', sha(bytes).slice(7)), bytes);
    const index = JSON.parse(readFileSync(join(L, 'index.json'), 'utf8'));
    index.manifests.push({ mediaType: m.mediaType, digest: sha(bytes), size: bytes.length, artifactType: m.artifactType });
    writeFileSync(join(L, 'index.json'), JSON.stringify(index));
    const r = run(['attached', L, '--json', '-q']);
    expect(r.code).toBe(0);
    const it: Item = JSON.parse(r.stdout).images[0].attached.find((i: Item) => i.manifest === sha(bytes));
    expect([it.kind, it.how, it.subject]).toEqual(['artifact', 'referrer subject', truth.signed.buildx_index]);
  });
  it('an attestation larger than the JSON limit is named, never read', () => {
    const L = join(tmp, 'huge.oci');
    cpSync(SIGNED, L, { recursive: true });
    const m = {
      schemaVersion: 2, mediaType: 'application/vnd.oci.image.manifest.v1+json', artifactType: 'application/spdx+json',
      config: { mediaType: 'application/vnd.oci.empty.v1+json', digest: 'sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a', size: 2 },
      layers: [{ mediaType: 'application/spdx+json', digest: `sha256:${truth.signed.spdx_blob_sha256}`, size: 40_000_000 }],
      subject: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: truth.image.manifest, size: 555 },
    };
    const bytes = Buffer.from(JSON.stringify(m));
    writeFileSync(join(L, 'blobs', 'sha256', sha(bytes).slice(7)), bytes);
    const index = JSON.parse(readFileSync(join(L, 'index.json'), 'utf8'));
    index.manifests.push({ mediaType: m.mediaType, digest: sha(bytes), size: bytes.length, artifactType: m.artifactType });
    writeFileSync(join(L, 'index.json'), JSON.stringify(index));
    const r = run(['attached', L]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/declared 40000000 bytes, over the 16777216-byte JSON limit/);
  });
});

describe('verify --key', () => {
  const checks = (args: string[]) => {
    const r = run(['verify', ...args, '--json', '-q']);
    return { code: r.code, doc: JSON.parse(r.stdout)[0], stderr: r.stderr };
  };
  it('each cosign signature verifies with exactly the key openssl verified it with', () => {
    const signers = truth.signatures.filter((s: { layout: string; tag: string }) => s.layout === 'signed.oci' && s.tag === 'sig');
    for (const s of signers) {
      const { code, doc } = checks([SIGNED, '--key', key(s.signer), '--require-signature']);
      const sigs: Check[] = doc.signatures.checks.filter((c: Check) => c.scheme === 'simple-signing' && c.how === 'cosign tag');
      expect(sigs).toHaveLength(3);
      // one payload, three signatures (P-256, RSA, Ed25519): with each signer's key exactly its own verifies
      expect(sigs.filter((c) => c.status === 'verified')).toHaveLength(s.openssl_with_signer_key === 'OK' ? 1 : 0);
      expect(code).toBe(s.openssl_with_signer_key === 'OK' ? 0 : 1);
    }
    const { doc } = checks([SIGNED, '--key', key('cosign')]);
    const sigs: Check[] = doc.signatures.checks.filter((c: Check) => c.scheme === 'simple-signing' && c.how === 'cosign tag');
    expect(sigs.map((c) => c.status === 'verified')).toEqual(signers.map((s: { openssl_with_cosign_pub: string }) => s.openssl_with_cosign_pub === 'OK'));
    // the SBOM's signature names the SBOM referrer's digest: verified as a signature of that artifact, not of the image
    const sbomSig = doc.signatures.checks.find((c: Check) => c.via.length > 0);
    expect(sbomSig.via).toEqual([truth.signed.spdx_referrer]);
    expect(sbomSig.status === 'verified').toBe(truth.signatures.find((s: { tag: string }) => s.tag === 'sbom-signature').openssl_with_cosign_pub === 'OK');
    const att = doc.signatures.checks.find((c: Check) => c.scheme === 'dsse');
    expect(att.status === 'verified').toBe(truth.signatures.find((s: { tag: string }) => s.tag === 'att').openssl_over_pae === 'OK');
  });
  it('the wrong key: nothing verifies, --require-signature fails (exit 1)', () => {
    const { code, doc } = checks([SIGNED, '--key', key('other'), '--require-signature']);
    expect(code).toBe(1);
    expect(doc.signatures.checks.every((c: Check) => c.status === 'unverified')).toBe(true);
    expect(doc.signatures.requireSignature.met).toBe(false);
  });
  it('hostile: a valid signature over another digest and lying envelopes are INVALID; tampered/other-key unverified', () => {
    const { code, doc } = checks([HOSTILE, '--key', key('cosign')]);
    expect(code).toBe(1);
    const sigs: Check[] = doc.signatures.checks.filter((c: Check) => c.scheme === 'simple-signing');
    const want = ['wrong-digest', 'tampered-payload', 'wrong-key'].map((k) => truth.signatures.find((s: { case?: string }) => s.case === k).openssl_with_cosign_pub);
    expect(want).toEqual(['OK', 'FAIL', 'FAIL']);
    expect(sigs.map((c) => c.status)).toEqual(['invalid', 'unverified', 'unverified']);
    expect(sigs[0]!.why).toContain(`names ${truth.image.config}`);
    const dsse: Check[] = doc.signatures.checks.filter((c: Check) => c.scheme === 'dsse');
    expect(dsse.map((c) => c.status)).toEqual(['invalid', 'invalid', 'invalid']);
    expect(dsse[1]!.why).toContain(truth.hostile.other_subject);
  });
  it('skopeo GPG signature-1 files: verified exactly when gpg --verify said so, with that keyring only', () => {
    const g = truth.gpg_verify;
    for (const [pair, want] of Object.entries(g as Record<string, string>)) {
      if (!pair.includes('+')) continue;
      const [dir, ring] = pair.split('+') as [string, string];
      const { code, doc } = checks([join(DIR, dir), '--gpg-keyring', join(DIR, 'keys', ring), '--require-signature']);
      const c: Check[] = doc.signatures.checks;
      expect(c.map((x) => [x.scheme, x.status === 'verified' ? 'OK' : 'FAIL'])).toEqual([['gpg', want]]);
      expect(code).toBe(want === 'OK' ? 0 : 1);
    }
    const tampered = checks([join(DIR, 'tampered.dir'), '--gpg-keyring', join(DIR, 'keys', 'skopeo-pubring.gpg')]);
    expect(tampered.doc.signatures.checks[0].why).toMatch(/changed after signing/);
  });
  it('GPG signature files without a keyring are unchecked; usage errors exit 2 before anything runs', () => {
    const { code, doc } = checks([join(DIR, 'signed.dir'), '--key', key('cosign'), '--require-signature']);
    expect(code).toBe(1);
    expect(doc.signatures.checks.map((c: Check) => [c.scheme, c.status])).toEqual([['gpg', 'unchecked']]);
    expect(run(['verify', SIGNED, '--gpg-keyring', key('cosign')]).code).toBe(2);
    expect(run(['verify', SIGNED, '--require-signature']).code).toBe(2);
    const missing = run(['verify', SIGNED, '--key', join(tmp, 'nope.pub')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--key .*nope\.pub: no such file/);
  });
});
