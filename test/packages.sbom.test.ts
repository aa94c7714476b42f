import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runInProcess } from './helpers/cli.js';

/**
 * --sbom: CycloneDX 1.5 validated against the published JSON schema (offline
 * copies in fixtures/sbom-schemas, checked by python's jsonschema when
 * the machine has it); SPDX 2.3 checked field by field against the spec's
 * required fields (no offline copy of its schema). Package names and versions
 * against dpkg-query's truth; purls per the purl-spec deb/rpm types.
 */
const tmp = mkdtempSync(join(tmpdir(), 'ld-sbom-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const P = join(ROOT, 'fixtures', 'packages');
const truth = (dir: string, step: number) => readFileSync(join(P, dir, 'truth', `step-${step}.txt`), 'utf8').trim().split('\n').map((l) => l.split(' '));

async function sbom(kind: string, input: string): Promise<Record<string, any>> {
  const out = join(tmp, `${kind}-${Math.random().toString(16).slice(2)}.json`);
  const r = await runInProcess(['packages', input, '--sbom', kind, '-o', out, '-q']);
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).toBe('');
  return JSON.parse(readFileSync(out, 'utf8'));
}

const python = spawnSync('python3', ['-c', 'import jsonschema, referencing'], { encoding: 'utf8' });
const haveValidator = python.status === 0;

describe('CycloneDX 1.5', () => {
  it.each([['dpkg', 'dpkg/dpkg.docker-archive.tar', 5], ['rpm', 'rpm/rpm.oci', 3]])('%s: components equal the truth, attribution as properties', async (dir, input, last) => {
    const doc = await sbom('cyclonedx', join(P, input));
    expect(doc.bomFormat).toBe('CycloneDX');
    expect(doc.specVersion).toBe('1.5');
    const want = truth(dir, last as number);
    expect(doc.components.map((c: any) => `${c.name} ${c.version}`).sort()).toEqual(want.map((f) => `${f[0]} ${dir === 'rpm' ? f[1]!.replace(/^0:/, '') : f[1]}`).sort());
    for (const c of doc.components) {
      const props = Object.fromEntries(c.properties.map((p: any) => [p.name, p.value]));
      expect(props['layerdig:layer:createdBy']).toMatch(dir === 'rpm' ? /^rpm / : /^dpkg /);
      expect(props['layerdig:layer:diffID']).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(c.purl).toBe(c['bom-ref']);
    }
    const alpha = doc.components.find((c: any) => c.name === (dir === 'rpm' ? 'ralpha' : 'alpha'));
    // purl-spec: deb keeps the epoch in the version (":" percent-encoded), rpm moves it to the epoch qualifier
    expect(alpha.purl).toBe(dir === 'rpm' ? 'pkg:rpm/ralpha@1.0-0.rc1?arch=noarch&epoch=1' : 'pkg:deb/debian/alpha@1%3A1.2~rc1-1?arch=all');
  });

  it.runIf(haveValidator)('validates against the published bom-1.5 schema (and a broken one does not)', async () => {
    for (const input of ['dpkg/dpkg.oci', 'rpm/rpm.oci', 'rpm-bdb/rpm-bdb.oci']) {
      const out = join(tmp, 'v.json');
      expect((await runInProcess(['packages', join(P, input), '--sbom', 'cyclonedx', '-o', out, '-q'])).code).toBe(0);
      const v = spawnSync('python3', [join(ROOT, 'test', 'helpers', 'validate_cyclonedx.py'), join(ROOT, 'fixtures', 'sbom-schemas'), out], { encoding: 'utf8' });
      expect(v.stdout, input).toBe('');
      expect(v.status).toBe(0);
    }
    const bad = join(tmp, 'bad.json');
    const doc = await sbom('cyclonedx', join(P, 'dpkg', 'dpkg.oci'));
    doc.components[0].type = 'not-a-type';
    (await import('node:fs')).writeFileSync(bad, JSON.stringify(doc));
    expect(spawnSync('python3', [join(ROOT, 'test', 'helpers', 'validate_cyclonedx.py'), join(ROOT, 'fixtures', 'sbom-schemas'), bad]).status).toBe(1);
  });
});

describe('SPDX 2.3', () => {
  it('the document fields SPDX 2.3 requires, one package per installed package with a purl and the attribution annotation', async () => {
    const doc = await sbom('spdx', join(P, 'dpkg', 'dpkg.oci'));
    // spec 2.3 clause 6 (document creation information): all required
    expect(doc.spdxVersion).toBe('SPDX-2.3');
    expect(doc.dataLicense).toBe('CC0-1.0');
    expect(doc.SPDXID).toBe('SPDXRef-DOCUMENT');
    expect(typeof doc.name).toBe('string');
    expect(doc.documentNamespace).toMatch(/^https:\/\/[^#]+$/);
    expect(doc.creationInfo.created).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(doc.creationInfo.creators).toEqual(['Tool: layerdig-0.1.0']);
    // clause 7 (package information): SPDXID, name, downloadLocation required; filesAnalyzed false needs no verification code
    const ids = new Set<string>();
    for (const p of doc.packages) {
      expect(p.SPDXID).toMatch(/^SPDXRef-[a-zA-Z0-9.-]+$/);
      expect(ids.has(p.SPDXID)).toBe(false);
      ids.add(p.SPDXID);
      expect(typeof p.name).toBe('string');
      expect(p.downloadLocation).toBe('NOASSERTION');
      expect(p.filesAnalyzed).toBe(false);
    }
    const pkgs = doc.packages.filter((p: any) => p.SPDXID !== 'SPDXRef-Image');
    expect(pkgs.map((p: any) => `${p.name} ${p.versionInfo}`).sort()).toEqual(truth('dpkg', 5).map((f) => `${f[0]} ${f[1]}`).sort());
    for (const p of pkgs) {
      expect(p.externalRefs).toEqual([{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: expect.stringMatching(/^pkg:deb\/debian\//) }]);
      const [a] = p.annotations;
      expect(a.annotationType).toBe('OTHER');
      expect(JSON.parse(a.comment)['layerdig:layer:index']).toMatch(/^\d+$/);
    }
    // clause 11 (relationships): every relationship names elements that exist
    expect(doc.relationships[0]).toEqual({ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-Image' });
    for (const r of doc.relationships.slice(1)) expect(ids.has(r.relatedSpdxElement)).toBe(true);
  });

  it('-o is required, and nothing is left behind when it cannot be written', async () => {
    expect((await runInProcess(['packages', join(P, 'dpkg', 'dpkg.oci'), '--sbom', 'spdx'])).code).toBe(2);
    const r = await runInProcess(['packages', join(P, 'dpkg', 'dpkg.oci'), '--sbom', 'spdx', '-o', join(tmp, 'no', 'such', 'dir.json')]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/cannot write/);
    expect(existsSync(join(tmp, 'no'))).toBe(false);
  });
});
