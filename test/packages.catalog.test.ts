import { afterAll, describe, expect, it } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, utimesSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runInProcess } from './helpers/cli.js';
import { writeDockerArchive } from './helpers/synth-docker.js';

/**
 * The package inventory in the catalog (`index --packages`, `packages --find
 * --db`): the same hits as the recorded truth of the real tools — dpkg-query /
 * rpm -qa after each build step (fixtures/packages/make.sh) — with the
 * version ranges written by hand from deb-version(7) and rpmvercmp, and the
 * same answer as the direct search of the same archives.
 */
const P = join(ROOT, 'fixtures', 'packages');
const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '');
const tmp = mkdtempSync(join(tmpdir(), 'ld-pkg-catalog-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// a copy, so mtimes can change and archives can be removed without touching the fixtures
const dir = join(tmp, 'images');
cpSync(join(P, 'dpkg'), join(dir, 'dpkg'), { recursive: true });
cpSync(join(P, 'rpm'), join(dir, 'rpm'), { recursive: true });
cpSync(join(P, 'steps'), join(dir, 'steps'), { recursive: true });
const db = join(tmp, 'c.db');

interface Hit { image: { archive: string }; name: string; version: string; layerIndex: number; step: string }
const find = async (q: string, ...extra: string[]) => {
  const r = await runInProcess(['packages', '--find', q, '--db', db, '--json', '-q', ...extra]);
  return { ...r, hits: r.stdout ? (JSON.parse(r.stdout) as Hit[]) : [] };
};
const where = (hits: Hit[]) => hits.map((h) => `${h.image.archive.split('/').slice(-2).join('/')} ${h.version}`).sort();

describe('index --packages, then packages --find --db', () => {
  it('index records every image; a re-run finds every archive unchanged and reads none', async () => {
    const r1 = await runInProcess(['index', dir, '--packages', '--db', db, '--json', '-q']);
    expect(r1.code).toBe(0);
    const first = JSON.parse(r1.stdout) as { archives: { archive: string; status: string }[] };
    expect(first.archives.map((a) => a.status)).toEqual(['indexed', 'indexed', 'indexed', 'indexed', 'indexed']);
    const r2 = await runInProcess(['index', dir, '--packages', '--db', db, '--json', '-q']);
    expect((JSON.parse(r2.stdout) as typeof first).archives.map((a) => a.status)).toEqual(['unchanged', 'unchanged', 'unchanged', 'unchanged', 'unchanged']);
  });

  // versions from the recorded truth: step-5 (dpkg final), step-2 (dpkg-step2 image), step-3 (rpm final), step-1 (rpm-step1 image)
  const v = (f: string, name: string) => lines(join(P, f)).find((l) => l.startsWith(`${name} `))!.split(' ')[1]!.replace(/^0:/, '');
  it.each([
    // basepkg: 0.9-1 in the final dpkg images, 1.0-1 in the step-2 image
    ['basepkg<1.0', ['dpkg/dpkg.docker-archive.tar', 'dpkg/dpkg.oci'].map((a) => `${a} ${v('dpkg/truth/step-5.txt', 'basepkg')}`)],
    ['basepkg>=1.0-1', [`steps/dpkg-step2.oci ${v('dpkg/truth/step-2.txt', 'basepkg')}`]],
    // ~ sorts before the end: 1:1.2~rc1-1 < 1:1.2
    ['deb:alpha<1:1.2', ['dpkg/dpkg.docker-archive.tar', 'dpkg/dpkg.oci', 'steps/dpkg-step2.oci'].map((a) => `${a} ${v('dpkg/truth/step-5.txt', 'alpha')}`)],
    ['alpha<1.2', []],
    // rpm: an epoch outranks everything after it; release 0.rc1 < 1 within one epoch
    ['ralpha<1:0', [`steps/rpm-step1.oci ${v('rpm/truth/step-1.txt', 'ralpha')}`]],
    ['rpm:ralpha>1.0-1', [`rpm/rpm.oci ${v('rpm/truth/step-3.txt', 'ralpha')}`]],
    ['rbeta', [`steps/rpm-step1.oci ${v('rpm/truth/step-1.txt', 'rbeta')}`]],
    ['apk:ralpha', []],
  ] as [string, string[]][])('%s', async (q, want) => {
    const r = await find(q);
    expect(r.code, r.stderr).toBe(want.length ? 0 : 4);
    expect(where(r.hits)).toEqual(want.sort());
    // the same answer as the direct search of the archives
    const direct = await runInProcess(['packages', dir, '--find', q, '--json', '-q']);
    expect(direct.code).toBe(r.code);
    if (want.length) expect(JSON.parse(direct.stdout)).toEqual(r.hits);
  });

  it('the layer and step that installed the version come along', async () => {
    const r = await find('gamma', join(dir, 'dpkg', 'dpkg.oci'));
    expect(r.hits).toHaveLength(1);
    // gamma appears in the truth of step 5 and not of step 4: layer 5
    expect(lines(join(P, 'dpkg', 'truth', 'step-4.txt')).some((l) => l.startsWith('gamma '))).toBe(false);
    expect([r.hits[0]!.layerIndex, r.hits[0]!.step]).toEqual([5, 'dpkg -i basepkg_0.9-1_all.deb gamma_3.0_all.deb']);
  });

  it('a bad range, or --db without --find, is a usage error before the catalog is opened', async () => {
    for (const args of [['--find', 'alpha<'], ['--find', 'alpha<<1'], ['--find', 'pip:alpha'], ['--find', ' '], []]) {
      const r = await runInProcess(['packages', '--db', join(tmp, 'no-such.db'), ...args]);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
    }
  });

  it('an archive indexed without --packages is named as not searched; its siblings answer (exit 5)', async () => {
    const { path } = await writeDockerArchive(dir, 'plain.tar', [{ layers: [[{ path: 'etc/x', body: 'x' }]] }]);
    expect((await runInProcess(['index', path, '--db', db, '-q'])).code).toBe(0);
    const r = await find('gamma');
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/1 image not searched: indexed without package inventories: run `layerdig index --packages .*plain\.tar --db /);
    expect(r.hits).toHaveLength(2);
    // indexing it with --packages reads it again (its size+mtime are the same) and the warning goes
    expect((await runInProcess(['index', path, '--packages', '--db', db, '-q'])).code).toBe(0);
    expect((await find('gamma')).code).toBe(0);
    rmSync(path);
    await runInProcess(['index', dir, '--packages', '--db', db, '-q']);
  });

  it('an image whose database could not be read when indexed is named, not "0 packages"', async () => {
    const { path } = await writeDockerArchive(dir, 'bad.tar', [{ layers: [[{ path: 'var/lib/dpkg/status', body: 'Package: gamma\nno colon here\n' }]] }]);
    try {
      const ix = await runInProcess(['index', path, '--packages', '--db', db]);
      expect(ix.stderr).toMatch(/its packages are not recorded: .*var\/lib\/dpkg\/status \(layer 0\) cannot be read as a package database/);
      const r = await find('gamma');
      expect(r.code).toBe(5);
      expect(r.stderr).toMatch(/bad\.tar: image [0-9a-f]{12}: its package databases could not be read when indexed \(.*not a "Field: value" line.*\) — this image was not searched/);
    } finally {
      rmSync(path);
      await runInProcess(['index', dir, '--packages', '--db', db, '-q']);
    }
  });

  it('a changed archive is not trusted until indexed again', async () => {
    const a = join(dir, 'dpkg', 'dpkg.docker-archive.tar');
    utimesSync(a, new Date(), new Date(Date.now() + 5000));
    const r = await find('gamma');
    expect(r.stderr).toMatch(/dpkg\.docker-archive\.tar: in the catalog but changed since it was indexed/);
    expect(where(r.hits)).toEqual([`dpkg/dpkg.oci ${v('dpkg/truth/step-5.txt', 'gamma')}`]);
    const ix = JSON.parse((await runInProcess(['index', a, '--packages', '--db', db, '--json', '-q'])).stdout) as { archives: { status: string }[] };
    expect(ix.archives.map((x) => x.status)).toEqual(['updated']);
    expect((await find('gamma')).hits).toHaveLength(2);
  });
});

describe('a catalog of schema 3 (before inventories)', () => {
  it('is migrated in place: its archives are kept, named as not searched until indexed with --packages', async () => {
    const old = join(tmp, 'old.db');
    expect((await runInProcess(['index', join(dir, 'dpkg', 'dpkg.oci'), '--db', old, '-q'])).code).toBe(0);
    // make it what schema 3 wrote: no packages column, no inventory tables
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => { exec(s: string): void; pragma(s: string, o?: object): unknown; close(): void };
    const d = new Database(old);
    d.exec('DROP TABLE packages; DROP TABLE inventories; ALTER TABLE archives DROP COLUMN packages;');
    d.pragma('user_version = 3');
    d.close();
    const r = await runInProcess(['packages', '--find', 'gamma', '--db', old, '--json', '-q']);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/1 image not searched: indexed without package inventories/);
    expect((await runInProcess(['index', join(dir, 'dpkg', 'dpkg.oci'), '--packages', '--db', old, '-q'])).code).toBe(0);
    const again = await runInProcess(['packages', '--find', 'gamma', '--db', old, '--json', '-q']);
    expect(again.code).toBe(0);
    const d2 = new Database(old);
    expect(d2.pragma('user_version', { simple: true })).toBe(4);
    d2.close();
  });
  it('a catalog of a newer schema is refused with a sentence saying so', async () => {
    const newer = join(tmp, 'newer.db');
    await runInProcess(['index', join(dir, 'dpkg', 'dpkg.oci'), '--db', newer, '-q']);
    const Database = createRequire(import.meta.url)('better-sqlite3') as new (f: string) => { pragma(s: string): unknown; close(): void };
    const d = new Database(newer);
    d.pragma('user_version = 99');
    d.close();
    const r = await runInProcess(['packages', '--find', 'gamma', '--db', newer]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/a catalog of schema 99, made by a newer layerdig/);
  });
});
