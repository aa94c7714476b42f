import { afterAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run } from './helpers/cli.js';
import { removeTempDirs, tempDir } from './helpers/tmp.js';
import { parseGateConfig } from '../src/analysis/gate-config.js';
import { normalizeRepo } from '../src/analysis/gate.js';

// Truth: fixtures/supply/truth.json (builders and sources from the hand-written provenance, signatures
// checked by openssl in make.sh) and fixtures/keyless/truth.json. Never layerdig's output.
const SUPPLY = join(ROOT, 'fixtures', 'supply');
const truth = JSON.parse(readFileSync(join(SUPPLY, 'truth.json'), 'utf8'));
const SIGNED = join(SUPPLY, 'signed.oci');
const KEYLESS = join(ROOT, 'fixtures', 'keyless');
afterAll(removeTempDirs);

interface Rule { name: string; status: string; message: string; source: string }
/** A rules directory with its own key files: the rules file names them relatively. */
function rulesDir(layerdig: string, keys: string[] = ['cosign']): string {
  const dir = tempDir('layerdig-supply-ci-');
  mkdirSync(join(dir, 'keys'));
  for (const k of keys) copyFileSync(join(SUPPLY, 'keys', `${k}.pub`), join(dir, 'keys', `${k}.pub`));
  writeFileSync(join(dir, 'gate.yml'), `rules:\n  lowestEfficiency: 0\n  highestUserWastedPercent: off\nlayerdig:\n${layerdig}`);
  return dir;
}
function ci(dir: string, input = SIGNED, ...extra: string[]) {
  // run from elsewhere: the key paths resolve against the rules file, not the working directory
  const r = run(['ci', input, '--config', join(dir, 'gate.yml'), '--json', '-q', ...extra], { cwd: ROOT });
  const doc = r.stdout ? JSON.parse(r.stdout) : null;
  const rules = (Array.isArray(doc) ? doc[0]?.rules : doc?.rules) as Rule[] ?? [];
  return { ...r, rule: (n: string) => rules.find((x) => x.name === n)! };
}
const both = [truth.provenance_v02.builder, truth.provenance_v1.builder];

describe('ci supply-chain rules', () => {
  it('signed by the key, provenance present, builders and source repositories allowed: exit 0', () => {
    const dir = rulesDir([
      '  requireSignature: true', '  requireProvenance: true',
      `  allowedBuilders: [${both.map((b: string) => JSON.stringify(b)).join(', ')}]`,
      // the provenance names `…/base.git#refs/…`: .git and the ref are not part of the repository
      '  allowedSourceRepos:', '    - https://github.com/example/base',
      '  keys: keys/cosign.pub', ''].join('\n'));
    const r = ci(dir);
    expect(r.code).toBe(0);
    for (const n of ['requireSignature', 'requireProvenance', 'allowedBuilders', 'allowedSourceRepos']) expect(r.rule(n).status, n).toBe('PASS');
    expect(truth.signatures.find((s: { layout: string; signer: string; tag: string }) => s.layout === 'signed.oci' && s.tag === 'sig' && s.signer === 'cosign').openssl_with_cosign_pub).toBe('OK');
    expect(r.rule('requireSignature').message).toContain('cosign.pub');
  });

  it('a builder not on the list fails that rule alone, naming it; one table row per failed rule; exit 1', () => {
    const dir = rulesDir(`  allowedBuilders: ${JSON.stringify(truth.provenance_v02.builder.replace(/@.*/, '@*'))}\n  requireProvenance: true\n`);
    const r = ci(dir);
    expect(r.code).toBe(1);
    expect(r.rule('allowedBuilders').status).toBe('FAIL');
    expect(r.rule('allowedBuilders').message).toBe(`builder not allowed: ${truth.provenance_v1.builder}`);
    expect(r.rule('requireProvenance').status).toBe('PASS');
    const text = run(['ci', SIGNED, '--config', join(dir, 'gate.yml'), '-q']);
    expect(text.stdout.split('\n').filter((l) => /\bFAIL\b/.test(l) && !l.startsWith('Result'))).toEqual([expect.stringMatching(/^allowedBuilders\s+FAIL/)]);
  });

  it('requireSignature with a key that signed nothing here fails; flags override the file', () => {
    const dir = rulesDir('  requireSignature: true\n  keys: [keys/other.pub]\n', ['other']);
    const r = ci(dir);
    expect(r.code).toBe(1);
    expect(r.rule('requireSignature').status).toBe('FAIL');
    expect(r.rule('requireSignature').message).toMatch(/^no verified signature of the image/);
    const flag = ci(dir, SIGNED, '--key', join(SUPPLY, 'keys', 'cosign.pub'));
    expect(flag.rule('requireSignature').status).toBe('PASS');
  });

  it('keyless: --trusted-root and --certificate-identity; no provenance fails requireProvenance and allowedSourceRepos', () => {
    const dir = rulesDir('  requireSignature: true\n  requireProvenance: true\n  allowedSourceRepos: [https://github.com/example/app]\n', []);
    const kt = JSON.parse(readFileSync(join(KEYLESS, 'truth.json'), 'utf8'));
    const r = ci(dir, join(KEYLESS, 'keyless.oci'), '--trusted-root', join(KEYLESS, 'trusted_root.json'), '--certificate-identity', kt.identities.email.san);
    expect(r.code).toBe(1);
    expect(r.rule('requireSignature').status).toBe('PASS');
    expect(r.rule('requireSignature').message).toContain(kt.identities.email.san);
    expect([r.rule('requireProvenance').status, r.rule('allowedSourceRepos').status]).toEqual(['FAIL', 'FAIL']);
    expect(r.rule('allowedSourceRepos').message).toMatch(/no SLSA provenance about this image/);
  });

  it('validated before anything is read: a misspelt rule is exit 2, a signature rule with nothing to check with exit 3, a missing key exit 2', () => {
    const nowhere = join(ROOT, 'no-such-archive.tar');
    const typo = ci(rulesDir('  requireSignatur: true\n'), nowhere);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toMatch(/layerdig\.requireSignatur is not a layerdig rule or setting/);
    const none = ci(rulesDir('  requireSignature: true\n', []), nowhere);
    expect(none.code).toBe(3);
    expect(none.stderr).toMatch(/requireSignature needs what the signature must verify with/);
    const missing = ci(rulesDir('  requireSignature: true\n  keys: [keys/absent.pub]\n', []), nowhere);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/layerdig\.keys: .*absent\.pub: no such file/);
    const badList = ci(rulesDir('  allowedBuilders: {a: 1}\n'), nowhere);
    expect(badList.code).toBe(3);
    expect(badList.stderr).toMatch(/layerdig\.allowedBuilders must be a list of strings/);
    for (const r of [typo, none, missing, badList]) expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('--junit names the failed supply rule', () => {
    const dir = rulesDir('  requireProvenance: true\n');
    const out = join(dir, 'junit.xml');
    const r = run(['ci', join(KEYLESS, 'keyless.oci'), '--config', join(dir, 'gate.yml'), '--junit', out, '-q']);
    expect(r.code).toBe(1);
    expect(readFileSync(out, 'utf8')).toMatch(/<testcase [^>]*name="requireProvenance"[^>]*>\s*<failure type="gate" message="no SLSA provenance about this image"/);
  });

  it('units: list forms in the rules file; repositories compared without git+, .git and #ref', () => {
    expect(parseGateConfig('layerdig:\n  allowedBuilders: [a, b]\n  keys: k.pub\n  trustedRoot: r.json\n'))
      .toEqual({ rules: { allowedBuilders: 'a\nb' }, trust: { keys: ['k.pub'], trustedRoot: 'r.json' } });
    expect(parseGateConfig('layerdig:\n  trustedRoot: [a, b]\n')).toHaveProperty('error', 'layerdig.trustedRoot must be a single value');
    expect(normalizeRepo('git+https://GitHub.com/example/base.git#refs/heads/main')).toBe(normalizeRepo('https://github.com/example/base/'));
  });
});
