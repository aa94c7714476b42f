import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run } from './helpers/cli.js';
import { removeTempDirs, tempDir } from './helpers/tmp.js';

// Truth: fixtures/supply/truth.json (documents hand-written per spec, signatures judged by openssl in make.sh)
// and fixtures/keyless/truth.json. Never layerdig's output.
const SUPPLY = join(ROOT, 'fixtures', 'supply');
const truth = JSON.parse(readFileSync(join(SUPPLY, 'truth.json'), 'utf8'));
const SIGNED = join(SUPPLY, 'signed.oci');
const KEYLESS = join(ROOT, 'fixtures', 'keyless');
const kt = JSON.parse(readFileSync(join(KEYLESS, 'truth.json'), 'utf8'));
afterAll(removeTempDirs);

interface Supply {
  signatures: { found: number; verified: number; checked: boolean; items: { scheme: string; status: string; identity: string | null }[] };
  provenance: { builderId: string; sourceRepo: string; sourceCommit: string; subjectMatches: string; secretBuildArgs: string[]; buildArgs: Record<string, string> }[];
  sboms: { format: string; version: string; packages: number }[];
  problems: string[];
}
const supplyOf = (...args: string[]) => {
  const r = run(['report', ...args, '--json', '-q', '--no-verify']);
  expect(r.code).toBe(0);
  return JSON.parse(r.stdout).supply as Supply;
};

describe('report: the supply-chain section', () => {
  it('JSON: signatures as verify --key judges them, provenance and SBOM summaries', () => {
    const s = supplyOf(SIGNED, '--key', join(SUPPLY, 'keys', 'cosign.pub'));
    // openssl (make.sh): the .sig payload verifies with cosign.pub for the P-256 signer only
    const sig = truth.signatures.filter((x: { layout: string; tag: string }) => x.layout === 'signed.oci' && x.tag === 'sig');
    const simple = s.signatures.items.filter((i) => i.scheme === 'simple-signing');
    expect(simple.slice(0, 3).map((i) => i.status)).toEqual(sig.map((x: { openssl_with_cosign_pub: string }) => (x.openssl_with_cosign_pub === 'OK' ? 'verified' : 'unverified')));
    expect(s.signatures.checked).toBe(true);
    expect(s.provenance.map((p) => [p.builderId, p.sourceRepo, p.sourceCommit])).toEqual([
      [truth.provenance_v02.builder, truth.provenance_v02.source, truth.provenance_v02.commit],
      [truth.provenance_v1.builder, truth.provenance_v1.source, truth.provenance_v1.commit]]);
    expect(s.provenance[0]!.secretBuildArgs).toEqual(['GIT_TOKEN']);
    expect(JSON.stringify(s)).not.toContain(truth.provenance_v02.args['build-arg:GIT_TOKEN']);
    expect(s.sboms.map((b) => `${b.format} ${b.version} ${b.packages}`).sort()).toEqual([
      `CycloneDX ${truth.cyclonedx.version} ${truth.cyclonedx.components}`,
      `SPDX ${truth.spdx.version.slice(5)} ${truth.spdx.packages}`, `SPDX ${truth.spdx.version.slice(5)} ${truth.spdx.packages}`]);
    expect(s.problems).toEqual([]);
  });

  it('without keys every signature is listed unchecked, never verified', () => {
    const s = supplyOf(SIGNED);
    expect(s.signatures.checked).toBe(false);
    expect(s.signatures.verified).toBe(0);
    expect(new Set(s.signatures.items.map((i) => i.status))).toEqual(new Set(['unchecked']));
  });

  it('HTML: a Supply chain section with keyless identities; an image with nothing attached says so', () => {
    const dir = tempDir('layerdig-supply-report-');
    const out = join(dir, 'r.html');
    expect(run(['report', join(KEYLESS, 'keyless.oci'), '-o', out, '-q', '--no-verify', '--trusted-root', join(KEYLESS, 'trusted_root.json')]).code).toBe(0);
    const html = readFileSync(out, 'utf8');
    const section = /<section id="supply">([\s\S]*?)<\/section>/.exec(html)![1]!;
    expect(section).toContain('2 verified');
    expect(section).toContain(`${kt.identities.email.san} (issuer ${kt.identities.email.issuer})`);
    expect(section.match(/<td class="ok">verified<\/td>/g)).toHaveLength(2);
    const plain = join(dir, 'plain.html');
    expect(run(['report', join(ROOT, 'fixtures', 'buildargs', 'buildargs.docker-archive.tar.gz'), '-o', plain, '-q', '--no-verify']).code).toBe(0);
    expect(readFileSync(plain, 'utf8')).toMatch(/<section id="supply"><h2>Supply chain<\/h2><p class="muted">Nothing travels with this image/);
  });

  it('report rejects a bad --trusted-root before reading the image (exit 2)', () => {
    const r = run(['report', SIGNED, '--json', '--trusted-root', join(SUPPLY, 'truth.json')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^layerdig: --trusted-root /);
  });
});
