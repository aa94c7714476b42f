import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, run } from './helpers/cli.js';
import { buildArgsInCreatedBy } from '../src/analysis/secrets.js';
import { summarizeProvenance } from '../src/supply/slsa.js';
import { audit } from '../src/analysis/audit.js';

// Truth: fixtures/buildargs/ — a real image built by `DOCKER_BUILDKIT=0 docker build --build-arg …` (make.sh);
// history.txt is `docker history --no-trunc --format '{{.CreatedBy}}'`, truth.json the arguments make.sh passed.
const DIR = join(ROOT, 'fixtures', 'buildargs');
const ARCHIVE = join(DIR, 'buildargs.docker-archive.tar.gz');
const truth = JSON.parse(readFileSync(join(DIR, 'truth.json'), 'utf8')) as { buildArgs: Record<string, string>; id: string };
const history = readFileSync(join(DIR, 'history.txt'), 'utf8').trimEnd().split('\n');
const SUPPLY = join(ROOT, 'fixtures', 'supply');
const supplyTruth = JSON.parse(readFileSync(join(SUPPLY, 'truth.json'), 'utf8'));

interface Finding { rule: string; severity: string; layerIndex: number | null; detail: string }

describe('build arguments in history (audit secret-build-arg)', () => {
  it('reads back exactly the arguments docker was given from the created_by docker wrote', () => {
    const withArgs = history.filter((h) => h.startsWith('|'));
    expect(withArgs).toHaveLength(1);
    const parsed = Object.fromEntries(buildArgsInCreatedBy(withArgs[0]!).map((a) => [a.name, a.value]));
    expect(parsed).toEqual(truth.buildArgs);
    for (const h of history.filter((x) => !x.startsWith('|'))) expect(buildArgsInCreatedBy(h)).toEqual([]);
  });

  it('flags TOKEN (by name) and DATABASE_URL (a URL with a password), masked; not DEBIAN_FRONTEND, VERSION or SSH_KEY_PATH', () => {
    const r = run(['audit', ARCHIVE, '--json', '-q']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as { image: { id: string }; findings: Finding[] };
    expect(doc.image.id).toBe(truth.id);
    const f = doc.findings.filter((x) => x.rule === 'secret-build-arg');
    expect(f.map((x) => /build argument (\w+)=/.exec(x.detail)![1]).sort()).toEqual(['DATABASE_URL', 'TOKEN']);
    expect(f.every((x) => x.severity === 'high')).toBe(true);
    // the RUN that recorded them is the newest history entry (docker history lists newest first) and made the last layer
    expect(f.every((x) => x.detail.startsWith(`history step ${history.length - 1}:`))).toBe(true);
    for (const v of [truth.buildArgs.TOKEN!, 's3cretPassw0rd']) {
      expect(r.stdout).not.toContain(v);
      expect(r.stderr).not.toContain(v);
    }
    expect(r.stdout).not.toMatch(/DEBIAN_FRONTEND|VERSION=|SSH_KEY_PATH/);
    const text = run(['audit', ARCHIVE, '-q', '--no-trunc']);
    expect(text.stdout).not.toContain(truth.buildArgs.TOKEN!);
    expect(text.stdout).toContain(`TOKEN=${truth.buildArgs.TOKEN!.slice(0, 4)}********`);
  });

  it('--fail-on high fails the build on them (exit 1); ci forbidSecrets counts them', () => {
    expect(run(['audit', ARCHIVE, '--fail-on', 'high', '-q']).code).toBe(1);
    const ci = run(['ci', ARCHIVE, '--forbidSecrets', 'true', '--lowestEfficiency', '0', '--highestUserWastedPercent', 'off', '-q']);
    expect(ci.code).toBe(1);
    expect(ci.stdout).toMatch(/secret-build-arg/);
    expect(ci.stdout).not.toContain(truth.buildArgs.TOKEN!);
  });

  it('flags the build argument SLSA provenance records (buildx attestation in fixtures/supply), masked', () => {
    const r = run(['audit', join(SUPPLY, 'signed.oci'), '--json', '-q']);
    const f = (JSON.parse(r.stdout).findings as Finding[]).filter((x) => x.rule === 'secret-build-arg');
    expect(f.map((x) => /build argument (\w+)=/.exec(x.detail)![1])).toEqual(['GIT_TOKEN']);
    expect(r.stdout).not.toContain(supplyTruth.provenance_v02.args['build-arg:GIT_TOKEN']);
  });

  it('hostile created_by: a count larger than the arguments, names with odd characters, a huge value — no crash', () => {
    expect(buildArgsInCreatedBy('|3 A=1 /bin/sh -c true')).toEqual([{ name: 'A', value: '1' }]);
    expect(buildArgsInCreatedBy('|99999999 A=1')).toEqual([]);
    expect(buildArgsInCreatedBy('|1 -x=1 /bin/sh')).toEqual([]);
    expect(buildArgsInCreatedBy(`RUN |1 TOKEN=${'x'.repeat(1_000_000)} /bin/sh -c true`)[0]!.value).toHaveLength(1_000_000);
    expect(buildArgsInCreatedBy('|2 A=one two B=3 /bin/sh -c x')).toEqual([{ name: 'A', value: 'one two' }, { name: 'B', value: '3' }]);
  });

  it('SLSA v1 (buildDefinition.externalParameters.request.args) and v0.2 (invocation.parameters.args) build-arg: entries reach the rule', () => {
    // BuildKit's shapes, per slsa.dev/provenance v1 and v0.2 and BuildKit's docs (hand-written)
    const v1 = summarizeProvenance('https://slsa.dev/provenance/v1', { buildDefinition: { externalParameters: { request: { args: { 'build-arg:NPM_TOKEN': 'npm_abcdefghijklmnop', 'build-arg:DEBIAN_FRONTEND': 'noninteractive', 'label:x': 'y' } } } } });
    const v02 = summarizeProvenance('https://slsa.dev/provenance/v0.2', { invocation: { parameters: { args: { 'build-arg:AWS_SECRET_ACCESS_KEY': 'wJalrXUtnFEMI/K7MDENG', 'build-arg:VERSION': '1' } } } });
    expect(Object.keys(v1.buildArgs)).toEqual(['NPM_TOKEN', 'DEBIAN_FRONTEND']);
    expect(Object.keys(v02.buildArgs)).toEqual(['AWS_SECRET_ACCESS_KEY', 'VERSION']);
    const f = audit({ config: {}, layers: [], history: [{ createdBy: `|2 NPM_TOKEN=${v1.buildArgs.NPM_TOKEN} VERSION=1 /bin/sh -c npm ci`, layerIndex: null }] });
    expect(f.filter((x) => x.rule === 'secret-build-arg').map((x) => x.detail)).toEqual(['history step 0 (empty layer): build argument NPM_TOKEN=npm_******** (20 chars)']);
  });
});
