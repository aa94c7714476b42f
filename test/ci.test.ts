import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULTS, gateSettings, goParseFloat, parseBytes, parseGateConfig, type RuleName } from '../src/analysis/gate-config.js';
import { evaluateGate, settingsProblems, type GateFacts } from '../src/analysis/gate.js';
import { FIXTURES, run } from './helpers/cli.js';
import { expectedExternal, finalFs, realArchives } from './helpers/truth.js';
import { config as imageConfig, sha, tarBuffer, tempDir } from './helpers/synth.js';

const DIVE_IMAGE = join(FIXTURES, 'external', 'dive', 'test-docker-image.tar');
const DIVE_CI = join(FIXTURES, 'external', 'dive', '.dive-ci');
const FIXTURE = join(FIXTURES, 'real', 'fixture', 'fixture.docker-archive.tar');

describe('.dive-ci, read as dive reads it', () => {
  it("dive's own .dive-ci: three rules, the plugin keys ignored", () => {
    const parsed = parseGateConfig(readFileSync(DIVE_CI, 'utf8'));
    expect(parsed).toEqual({ rules: { lowestEfficiency: '0.95', highestWastedBytes: '20Mb', highestUserWastedPercent: '0.5' } });
  });

  it('values are their source text; empty or ~ keeps the default; layerdig keys live under layerdig:', () => {
    const parsed = parseGateConfig([
      'rules:', '  lowestEfficiency: 1.0', '  highestWastedBytes:', '  highestUserWastedPercent: off',
      'layerdig:', '  maxDeadBytes: "10 MB"', '  forbidSetuid: true', '  maxLayerCount: ~',
    ].join('\n'));
    expect(parsed).toEqual({ rules: { lowestEfficiency: '1.0', highestUserWastedPercent: 'off', maxDeadBytes: '10 MB', forbidSetuid: 'true' } });
    expect(parseGateConfig('')).toEqual({ rules: {} });
    // a key under layerdig: that names no rule is an error (a misspelt requireSignature must not pass unchecked); dive's rules: keeps ignoring them
    expect(parseGateConfig('layerdig:\n  unknownRule: 3\n')).toEqual({ error: expect.stringContaining('layerdig.unknownRule is not a layerdig rule'), unknown: true });
    expect(parseGateConfig('rules:\n  plugin1/rule1: 3\n')).toEqual({ rules: {} });
  });

  it('bad YAML and bad shapes are errors with a place', () => {
    expect(parseGateConfig('rules:\n  a: 1\n b: 2\n  c: [')).toHaveProperty('error', expect.stringMatching(/line \d+, column \d+/));
    expect(parseGateConfig('rules: 0.9')).toHaveProperty('error', expect.stringContaining('"rules" must be a mapping'));
    expect(parseGateConfig('rules:\n  lowestEfficiency: [1]')).toHaveProperty('error', expect.stringContaining('rules.lowestEfficiency'));
  });

  it("dive's defaults, and precedence flag > file > default", () => {
    expect([DEFAULTS.lowestEfficiency, DEFAULTS.highestWastedBytes, DEFAULTS.highestUserWastedPercent]).toEqual(['0.9', 'disabled', '0.1']);
    const s = gateSettings({ lowestEfficiency: '0.95', highestWastedBytes: '20MB' }, { lowestEfficiency: '0.5' });
    expect(s.lowestEfficiency).toEqual({ value: '0.5', source: 'flag' });
    expect(s.highestWastedBytes).toEqual({ value: '20MB', source: 'file' });
    expect(s.highestUserWastedPercent).toEqual({ value: '0.1', source: 'default' });
  });

  it("sizes parse as go-humanize's ParseBytes: SI for kB/MB, IEC for KiB/MiB, any case", () => {
    const cases: [string, number | null][] = [
      ['20MB', 20_000_000], ['20Mb', 20_000_000], ['20mb', 20_000_000], ['20M', 20_000_000], ['20MiB', 20 * 2 ** 20],
      ['20 MB', 20_000_000], ['1.5GB', 1_500_000_000], ['1,000', 1000], ['1000', 1000], ['2k', 2000], ['2Ki', 2048],
      ['0.5 B', 0], ['MB', null], [' 20MB', null], ['20 XB', null], ['-1MB', null], ['1e3', null],
    ];
    for (const [s, v] of cases) expect([s, parseBytes(s)]).toEqual([s, v]);
  });

  it("floats parse as Go's strconv.ParseFloat", () => {
    expect(goParseFloat('0.95')).toBe(0.95);
    expect(goParseFloat('.5')).toBe(0.5);
    expect(goParseFloat('1e-1')).toBe(0.1);
    expect(goParseFloat('0x1p-2')).toBe(0.25);
    expect(goParseFloat('Inf')).toBe(Infinity);
    expect(goParseFloat('NaN')).toBeNaN();
    expect(goParseFloat('0.9x')).toBeNull();
    expect(goParseFloat('1_0')).toBeNull();
    expect(goParseFloat('')).toBeNull();
  });

  it('out-of-range and unparsable thresholds are configuration errors', () => {
    const bad = (rules: Partial<Record<RuleName, string>>) => settingsProblems(gateSettings(rules, {}));
    expect(bad({ lowestEfficiency: '1.5' })).toEqual([expect.stringContaining('outside the allowed range 0-1')]);
    expect(bad({ highestUserWastedPercent: '-0.1' })).toHaveLength(1);
    expect(bad({ highestWastedBytes: '20 parsecs' })).toHaveLength(1);
    expect(bad({ maxLayerCount: '1.5' })).toHaveLength(1);
    expect(bad({ forbidSetuid: 'maybe' })).toHaveLength(1);
    for (const off of ['disabled', 'off', 'OFF', 'false', '', '  Disabled ']) expect(bad({ lowestEfficiency: off })).toEqual([]);
  });
});

describe("dive's comparisons are strict", () => {
  const facts: GateFacts = {
    efficiency: 0.9, wastedBytes: 1000, userWastedPercent: 0.1, imageSize: 5000, layerCount: 3, deadBytes: 70,
    setuidPaths: [], secrets: null, verifyProblems: null,
  };
  const status = (rules: Partial<Record<RuleName, string>>, f: Partial<GateFacts> = {}) => {
    const r = evaluateGate(gateSettings(rules, {}), { ...facts, ...f });
    return Object.fromEntries(r.rules.map((x) => [x.name, x.status]));
  };
  it('a value equal to the threshold passes; one step over fails', () => {
    const eq = { lowestEfficiency: '0.9', highestWastedBytes: '1000', highestUserWastedPercent: '0.1', maxImageSize: '5000', maxLayerCount: '3', maxDeadBytes: '70' };
    expect(Object.values(status(eq)).filter((s) => s !== 'SKIP')).toEqual(Array(6).fill('PASS'));
    const over = status(eq, { efficiency: 0.8999, wastedBytes: 1001, userWastedPercent: 0.1001, imageSize: 5001, layerCount: 4, deadBytes: 71 });
    expect(Object.values(over).filter((s) => s !== 'SKIP')).toEqual(Array(6).fill('FAIL'));
  });
  it('a NaN user wasted percent (one layer) passes, as in dive', () => {
    expect(status({}, { userWastedPercent: NaN }).highestUserWastedPercent).toBe('PASS');
  });
  it('layerdig rules are off by default; verify and the secret audit report themselves unavailable', () => {
    const r = evaluateGate(gateSettings({ forbidSecrets: 'true', requireVerify: 'yes' }, {}), facts);
    const by = Object.fromEntries(r.rules.map((x) => [x.name, x]));
    expect(by.maxDeadBytes!.status).toBe('SKIP');
    expect(by.forbidSecrets).toMatchObject({ status: 'SKIP', value: null, message: expect.stringContaining('unavailable') });
    expect(by.requireVerify).toMatchObject({ status: 'SKIP', message: expect.stringContaining('unavailable') });
    expect(r.pass).toBe(true);
    // once wired in, findings fail the gate
    const wired = evaluateGate(gateSettings({ requireVerify: 'true' }, {}), { ...facts, verifyProblems: [{ where: 'layer 1', what: 'diffID mismatch' }] });
    expect(wired.rules.find((x) => x.name === 'requireVerify')).toMatchObject({ status: 'FAIL', value: 1, threshold: 0 });
  });
});

describe('layerdig ci', () => {
  const expected = expectedExternal()['dive/test-docker-image.tar'];

  it("dive's .dive-ci on dive's test image passes, like dive's CI snapshot ([pass:3])", () => {
    const r = run(['ci', DIVE_IMAGE, '--config', DIVE_CI, '--json']);
    expect(r.code).toBe(0);
    const [doc] = JSON.parse(r.stdout);
    expect(doc.pass).toBe(true);
    const dive = doc.rules.filter((x: any) => ['lowestEfficiency', 'highestWastedBytes', 'highestUserWastedPercent'].includes(x.name));
    expect(dive.map((x: any) => [x.name, x.status, x.value, x.threshold])).toEqual([
      ['lowestEfficiency', 'PASS', expected.dive_expected.efficiency, 0.95],
      ['highestWastedBytes', 'PASS', expected.dive_expected.wastedBytes, 20_000_000],
      ['highestUserWastedPercent', 'PASS', expected.dive_expected.userWastedPercent, 0.5],
    ]);
    expect(doc.rules.filter((x: any) => x.status === 'PASS')).toHaveLength(3);
    expect(Object.keys(doc)).toEqual(expect.arrayContaining(['image', 'pass', 'rules']));
  });

  it("with dive's defaults (no .dive-ci) the same image fails on highestUserWastedPercent 0.1: exit 1", () => {
    const dir = tempDir('layerdig-ci-');
    try {
      const r = run(['ci', DIVE_IMAGE], { cwd: dir });
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/highestUserWastedPercent\s+FAIL\s+0\.4834911001404049\s+0\.1/);
      expect(r.stdout).toContain('Result: FAIL');
      // ./.dive-ci is read when present, as dive does
      copyFileSync(DIVE_CI, join(dir, '.dive-ci'));
      expect(run(['ci', DIVE_IMAGE], { cwd: dir }).code).toBe(0);
      // a flag overrides the file; `off` turns a rule off
      expect(run(['ci', DIVE_IMAGE, '--lowestEfficiency', '0.99'], { cwd: dir }).code).toBe(1);
      expect(run(['ci', DIVE_IMAGE, '--highestWastedBytes', '32025'], { cwd: dir }).code).toBe(0);
      expect(run(['ci', DIVE_IMAGE, '--highestWastedBytes', '32024'], { cwd: dir }).code).toBe(1);
      writeFileSync(join(dir, '.dive-ci'), 'rules:\n  highestUserWastedPercent: off\n');
      expect(run(['ci', DIVE_IMAGE], { cwd: dir }).code).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--json still evaluates the gate (exit 1 on failure)', () => {
    const r = run(['ci', DIVE_IMAGE, '--config', DIVE_CI, '--lowestEfficiency', '0.99', '--json']);
    expect(r.code).toBe(1);
    const [doc] = JSON.parse(r.stdout);
    expect(doc.pass).toBe(false);
    expect(doc.rules[0]).toMatchObject({ name: 'lowestEfficiency', status: 'FAIL', threshold: 0.99 });
  });

  it('a bad rules file or value is an error (exit 3), not a failed gate', () => {
    const dir = tempDir('layerdig-ci-');
    try {
      writeFileSync(join(dir, 'bad.yml'), 'rules:\n  lowestEfficiency: [\n');
      const bad = run(['ci', DIVE_IMAGE, '--config', join(dir, 'bad.yml')]);
      expect(bad.code).toBe(3);
      expect(bad.stderr).toContain('bad.yml');
      expect(run(['ci', DIVE_IMAGE, '--config', join(dir, 'missing.yml')]).code).toBe(3);
      const range = run(['ci', DIVE_IMAGE, '--highestUserWastedPercent', '2']);
      expect(range.code).toBe(3);
      expect(range.stderr).toContain('outside the allowed range');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('forbidSetuid fails on the setuid files of the final filesystem (final-fs.json)', () => {
    const setuid = finalFs('fixture').filter((e) => e.type === 'f' && (parseInt(e.mode, 8) & 0o4000) !== 0).map((e) => e.path);
    expect(setuid.length).toBeGreaterThan(0);
    const r = run(['ci', FIXTURE, '--forbidSetuid', '--highestUserWastedPercent', 'off', '--json']);
    expect(r.code).toBe(1);
    const rule = JSON.parse(r.stdout)[0].rules.find((x: any) => x.name === 'forbidSetuid');
    expect(rule).toMatchObject({ status: 'FAIL', value: setuid.length, threshold: 0 });
    for (const p of setuid) expect(rule.message).toContain(`/${p}`);
    // an image without any passes
    const base = run(['ci', join(FIXTURES, 'real', 'base', 'base.oci'), '--forbidSetuid', 'true', '--json']);
    expect(JSON.parse(base.stdout)[0].rules.find((x: any) => x.name === 'forbidSetuid')).toMatchObject({ status: 'PASS', value: 0 });
  });

  it('maxLayerCount, maxImageSize and maxDeadBytes compare with the truth files', () => {
    const truth = realArchives().find((a) => a.name === 'fixture/fixture.docker-archive.tar')!.truth.images[0]!;
    const rules = (args: string[]) => Object.fromEntries((JSON.parse(run(['ci', FIXTURE, '--highestUserWastedPercent', 'off', '--json', ...args]).stdout)[0].rules as any[]).map((x) => [x.name, x]));
    expect(rules(['--maxLayerCount', String(truth.layer_count)]).maxLayerCount).toMatchObject({ status: 'PASS', value: truth.layer_count });
    expect(rules(['--maxLayerCount', String(truth.layer_count - 1)]).maxLayerCount.status).toBe('FAIL');
    // dead bytes of the fixture from its truth files: test/helpers/dead_truth.py
    const py = spawnSync('python3', [join(FIXTURES, '..', 'test', 'helpers', 'dead_truth.py'), FIXTURE,
      FIXTURE.replace(/\.tar$/, '.truth.json'), join(FIXTURES, 'real', 'fixture', 'fixture.final-fs.json')], { encoding: 'utf8' });
    const dead = JSON.parse(py.stdout).total as number;
    expect(rules(['--maxDeadBytes', String(dead)]).maxDeadBytes).toMatchObject({ status: 'PASS', value: dead, threshold: dead });
    expect(rules(['--maxDeadBytes', String(dead - 1)]).maxDeadBytes.status).toBe('FAIL');
    // image size = Σ Docker DiffSize; for dive's image EXPECTED.json has it per layer
    const diff = (expected as any).images[0].layers.reduce((s: number, l: any) => s + l.docker_diff_size, 0);
    const doc = JSON.parse(run(['ci', DIVE_IMAGE, '--config', DIVE_CI, '--maxImageSize', String(diff), '--json']).stdout)[0];
    expect(doc.rules.find((x: any) => x.name === 'maxImageSize')).toMatchObject({ status: 'PASS', value: diff });
    expect(run(['ci', DIVE_IMAGE, '--config', DIVE_CI, '--maxImageSize', String(diff - 1)]).code).toBe(1);
  });

  it('writes JUnit XML that parses, one testcase per rule', () => {
    const dir = tempDir('layerdig-ci-');
    try {
      const xml = join(dir, 'gate.xml');
      const r = run(['ci', DIVE_IMAGE, '--config', DIVE_CI, '--lowestEfficiency', '0.99', '--junit', xml]);
      expect(r.code).toBe(1);
      const py = spawnSync('python3', ['-c', `
import json, sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
suites = root.findall('testsuite')
cases = [c for s in suites for c in s.findall('testcase')]
print(json.dumps({'root': root.tag, 'tests': root.get('tests'), 'failures': root.get('failures'), 'skipped': root.get('skipped'),
  'suites': len(suites), 'cases': [[c.get('name'), 'failure' if c.find('failure') is not None else 'skipped' if c.find('skipped') is not None else 'pass'] for c in cases],
  'failureMessage': [c.find('failure').get('message') for c in cases if c.find('failure') is not None]}))
`, xml], { encoding: 'utf8' });
      expect(py.status).toBe(0);
      const doc = JSON.parse(py.stdout);
      expect(doc).toMatchObject({ root: 'testsuites', tests: '13', failures: '1', skipped: '10', suites: 1 });
      expect(doc.cases).toEqual([
        ['lowestEfficiency', 'failure'], ['highestWastedBytes', 'pass'], ['highestUserWastedPercent', 'pass'],
        ['maxImageSize', 'skipped'], ['maxLayerCount', 'skipped'], ['maxDeadBytes', 'skipped'],
        ['forbidSetuid', 'skipped'], ['forbidSecrets', 'skipped'], ['requireVerify', 'skipped'],
        ['requireSignature', 'skipped'], ['requireProvenance', 'skipped'], ['allowedBuilders', 'skipped'], ['allowedSourceRepos', 'skipped'],
      ]);
      expect(doc.failureMessage[0]).toContain('image efficiency is too low');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('requireVerify fails (exit 1) on a copy with one byte of a layer changed, naming the member and both digests', () => {
    const dir = tempDir('layerdig-ci-');
    try {
      const src = join(FIXTURES, 'real', 'app1', 'app1.docker-archive.tar');
      const truth = JSON.parse(readFileSync(join(FIXTURES, 'real', 'app1', 'app1.docker-archive.truth.json'), 'utf8')).images[0];
      const diffId0: string = truth.diff_ids[0];
      const member = `${diffId0.slice(7)}.tar`;
      // where python's tarfile says that layer's bytes are, and a file body inside it (not a header)
      const py = spawnSync('python3', ['-c', `
import sys, tarfile
outer = tarfile.open(sys.argv[1])
m = outer.getmember(sys.argv[2])
inner = tarfile.open(fileobj=outer.extractfile(m))
f = next(x for x in inner.getmembers() if x.isfile() and x.size > 0)
print(m.offset_data, m.size, m.offset_data + f.offset_data)`, src, member], { encoding: 'utf8' });
      expect(py.status, py.stderr).toBe(0);
      const [offset, size, body] = py.stdout.trim().split(' ').map(Number) as [number, number, number];
      const bytes = readFileSync(src);
      bytes[body] ^= 0x01;
      const tampered = join(dir, 'app1-tampered.tar');
      writeFileSync(tampered, bytes);
      const actual = sha(bytes.subarray(offset, offset + size));
      const r = run(['ci', tampered, '--requireVerify', '--json']);
      expect(r.code, r.stderr).toBe(1);
      const rule = (JSON.parse(r.stdout)[0].rules as any[]).find((x) => x.name === 'requireVerify');
      expect(rule).toMatchObject({ status: 'FAIL', threshold: 0 });
      expect(rule.value).toBeGreaterThan(0);
      expect(rule.message).toContain(member);
      expect(rule.message).toContain(diffId0);
      expect(rule.message).toContain(actual);
      // without requireVerify: the one diffID-mismatch policy, a warning naming the member and exit 1
      const e = run(['ci', tampered]);
      expect(e.code).toBe(1);
      expect(e.stderr).toMatch(new RegExp(`WARNING: .*${member}: layer 0 hashes to ${actual} but the config declares diffID ${diffId0}`));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("forbidSecrets fails on audit's secret findings: a private key deleted by a later layer is still in the blob", async () => {
    const dir = tempDir('layerdig-ci-');
    try {
      const key = '-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n';
      const l0 = await tarBuffer([{ name: 'root/', type: 'directory' }, { name: 'root/.ssh/', type: 'directory' }, { name: 'root/.ssh/id_ed25519', body: key }]);
      const l1 = await tarBuffer([{ name: 'root/', type: 'directory' }, { name: 'root/.ssh/', type: 'directory' }, { name: 'root/.ssh/.wh.id_ed25519', body: '' }]);
      const cfg = imageConfig([sha(l0), sha(l1)]);
      const cfgName = `${sha(cfg).slice(7)}.json`;
      const archive = await tarBuffer([
        { name: cfgName, body: cfg }, { name: 'l0.tar', body: l0 }, { name: 'l1.tar', body: l1 },
        { name: 'manifest.json', body: JSON.stringify([{ Config: cfgName, RepoTags: ['leaky:1'], Layers: ['l0.tar', 'l1.tar'] }]) },
      ]);
      const path = join(dir, 'leaky.tar');
      writeFileSync(path, archive);
      const r = run(['ci', path, '--forbidSecrets', '--maxDeadBytes', String(key.length), '--json'], { cwd: dir });
      expect(r.code).toBe(1);
      const rules = Object.fromEntries((JSON.parse(r.stdout)[0].rules as any[]).map((x) => [x.name, x]));
      expect(rules.forbidSecrets).toMatchObject({ status: 'FAIL', value: 1, threshold: 0 });
      expect(rules.forbidSecrets.message).toContain('/root/.ssh/id_ed25519 (layer 0)');
      expect(rules.forbidSecrets.message).not.toContain('AAAA');
      // the key's bytes are the image's only dead bytes
      expect(rules.maxDeadBytes).toMatchObject({ status: 'PASS', value: key.length });
      // the archive is what it says it is: requireVerify passes
      const v = JSON.parse(run(['ci', path, '--requireVerify', '--json'], { cwd: dir }).stdout)[0].rules.find((x: any) => x.name === 'requireVerify');
      expect(v).toMatchObject({ status: 'PASS', value: 0, threshold: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
