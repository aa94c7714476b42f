import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { execFileSync, spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runInProcess, runJsonFast } from './helpers/cli.js';
import { writeDockerArchive } from './helpers/synth-docker.js';

/**
 * `ls`/`file --packages` and `diff`'s package section against the package
 * managers: owners as `dpkg-query -S` / `rpm -qf` answer on the unpacked final
 * rootfs (fixtures/packages/owners.sh, usr-merged aliases resolved by
 * readlink -f there), versions from dpkg-query / rpm -qa after each build step
 * (make.sh), changes classified by dpkg --compare-versions / rpm.vercmp.
 */
const P = join(ROOT, 'fixtures', 'packages');
const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '');
/** rpm -qa prints %{EPOCHNUM}: a version without an epoch has epoch 0 */
const evr = (eco: string, v: string) => (eco === 'rpm' && !/^\d+:/.test(v) ? `0:${v}` : v);
const tmp = mkdtempSync(join(tmpdir(), 'ld-pkg-owners-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

interface Owner { ecosystem: string; name: string; version: string; arch: string }
interface LsDoc { entries: { path: string; package?: Owner | null; owners?: Owner[] }[] }

describe.each([
  { eco: 'deb', dir: 'dpkg', inputs: ['dpkg.oci', 'dpkg.docker-archive.tar'], final: 'step-5.txt' },
  { eco: 'rpm', dir: 'rpm', inputs: ['rpm.oci'], final: 'step-3.txt' },
])('ls --packages: owners equal $dir\'s own answer for every path of the final image', ({ eco, dir, inputs, final }) => {
  const truth = new Map(lines(join(P, dir, 'truth', 'owners.txt')).map((l) => l.split('\t') as [string, string]));
  const versions = new Map(lines(join(P, dir, 'truth', final)).map((l) => l.split(' ')).map((f) => [f[0]!, f[1]!]));
  it.each(inputs)('%s', async (input) => {
    const doc = await runJsonFast<LsDoc>(['ls', join(P, dir, input), '--packages', '-q']);
    const got = new Map(doc.entries.map((e) => [e.path, e]));
    expect(truth.size).toBeGreaterThan(10);
    for (const [path, owners] of truth) {
      const e = got.get(path);
      expect(e, path).toBeDefined();
      const all = e!.owners ?? (e!.package ? [e!.package] : []);
      expect(all.map((o) => o.name).join(',') || '-', path).toBe(owners);
      expect(e!.package?.name ?? '-', path).toBe(owners.split(',')[0]);
      for (const o of all) expect(evr(eco, o.version), `${path} ${o.name}`).toBe(versions.get(o.name));
    }
  });
});

describe('file --packages', () => {
  it('the usr-merged path dpkg lists as /bin/basepkg-tool is found as stored and owned by basepkg in its final version', async () => {
    const r = await runInProcess(['file', 'basepkg-tool', join(P, 'dpkg', 'dpkg.oci'), join(P, 'dpkg', 'dpkg.docker-archive.tar'), '--packages', '--json', '-q']);
    expect(r.code).toBe(0);
    const hits = JSON.parse(r.stdout) as { path: string; package: Owner | null }[];
    const basepkg = lines(join(P, 'dpkg', 'truth', 'step-5.txt')).find((l) => l.startsWith('basepkg '))!.split(' ');
    expect(hits).toHaveLength(2);
    for (const h of hits) expect([h.path, h.package?.name, h.package?.version]).toEqual(['usr/bin/basepkg-tool', 'basepkg', basepkg[1]]);
  });
  it('a path no package owns says null; the text table has a PACKAGE column', async () => {
    const r = await runInProcess(['file', 'srv/data.txt', join(P, 'dpkg', 'dpkg.oci'), '--packages', '--json', '-q']);
    expect((JSON.parse(r.stdout) as { package: unknown }[]).map((h) => h.package)).toEqual([null]);
    const t = await runInProcess(['file', 'usr/share/gamma/README', join(P, 'dpkg', 'dpkg.oci'), '--packages', '-q']);
    const [head, row] = t.stdout.split('\n');
    expect(head!.split(/\s{2,}/)).toContain('PACKAGE');
    expect(row!.split(/\s{2,}/)[head!.split(/\s{2,}/).indexOf('PACKAGE')]).toBe('gamma');
  });
  it('without --packages no owner is read or shown', async () => {
    const doc = await runJsonFast<LsDoc>(['ls', join(P, 'dpkg', 'dpkg.oci'), 'usr/share/gamma']);
    expect(doc.entries.every((e) => !('package' in e))).toBe(true);
  });
  it('with --db it is a usage error (the catalog records no owned files)', async () => {
    const r = await runInProcess(['file', 'x', '--packages', '--db', join(tmp, 'none.db')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--packages .*\(drop --db\)/);
  });
});

interface DiffDoc { packages: { changes: { change: string; ecosystem: string; name: string; a: string[]; b: string[] }[]; summary: Record<string, Record<string, number>>; error: string | null } | null; files: unknown[] }

describe('diff: the package section equals the recorded lists compared by the tools', () => {
  it.each([
    ['deb', 'steps/dpkg-step2.oci', 'dpkg/dpkg.oci', 'dpkg/truth/diff-2-5.txt'],
    ['deb', 'dpkg/dpkg.oci', 'steps/dpkg-step2.oci', 'dpkg/truth/diff-5-2.txt'],
    ['rpm', 'steps/rpm-step1.oci', 'rpm/rpm.oci', 'rpm/truth/diff-1-3.txt'],
  ])('%s %s → %s', async (eco, a, b, truth) => {
    const doc = await runJsonFast<DiffDoc>(['diff', join(P, a), join(P, b)]);
    const want = lines(join(P, truth)).sort();
    expect(want.length).toBeGreaterThanOrEqual(2);
    const got = doc.packages!.changes.map((c) => `${c.change} ${c.name} ${c.a.map((v) => evr(eco, v)).join(',') || '-'} ${c.b.map((v) => evr(eco, v)).join(',') || '-'}`).sort();
    expect(got).toEqual(want);
    const counts: Record<string, number> = { added: 0, removed: 0, upgraded: 0, downgraded: 0, changed: 0 };
    for (const l of want) counts[l.split(' ')[0]!]!++;
    expect(doc.packages!.summary).toEqual({ [eco]: counts });
    // packages --diff is the same comparison
    const pd = await runJsonFast<{ changes: { change: string; name: string; a: string[]; b: string[] }[] }>(['packages', join(P, a), '--diff', join(P, b)]);
    expect(pd.changes.map((c) => `${c.change} ${c.name} ${c.a.map((v) => evr(eco, v)).join(',') || '-'} ${c.b.map((v) => evr(eco, v)).join(',') || '-'}`).sort()).toEqual(want);
  });
  it('text: a PACKAGES section with both versions and a count line per ecosystem', async () => {
    const r = await runInProcess(['diff', join(P, 'steps', 'dpkg-step2.oci'), join(P, 'dpkg', 'dpkg.oci'), '-q']);
    expect(r.code).toBe(0);
    const section = r.stdout.slice(r.stdout.indexOf('\nPACKAGES'));
    expect(section).toMatch(/\ndowngraded\s+deb\s+basepkg\s+all\s+1\.0-1\s+0\.9-1\n/);
    expect(section).toMatch(/\ndeb: 1 added, 1 removed, 1 downgraded$/m);
  });
  it('--no-packages reads no database: the section is null', async () => {
    const doc = await runJsonFast<DiffDoc>(['diff', join(P, 'steps', 'rpm-step1.oci'), join(P, 'rpm', 'rpm.oci'), '--no-packages']);
    expect(doc.packages).toBeNull();
  });
  it('an unreadable database: the files are compared, the section says why, exit 5', async () => {
    const { path: good } = await writeDockerArchive(tmp, 'good.tar', [{ layers: [[{ path: 'etc/x', body: 'x' }]] }]);
    const { path: bad } = await writeDockerArchive(tmp, 'bad.tar', [{ layers: [[{ path: 'var/lib/rpm/rpmdb.sqlite', body: 'garbage' }]] }]);
    const r = await runInProcess(['diff', good, bad, '--json', '-q']);
    expect(r.code).toBe(5);
    const doc = JSON.parse(r.stdout) as DiffDoc;
    expect(doc.files.length).toBeGreaterThan(0);
    expect(doc.packages!.error).toMatch(/rpmdb\.sqlite \(layer 0\) cannot be read as a package database: not an SQLite database/);
    expect(r.stderr).toMatch(/the packages are not compared/);
  });
});

describe("ls --packages on this machine's own dpkg database (hundreds of real Debian packages, usr-merged)", () => {
  const have = (() => {
    try {
      execFileSync('dpkg-query', ['--version'], { stdio: 'ignore' });
      return existsSync('/var/lib/dpkg/status') && existsSync('/usr/bin');
    } catch {
      return false;
    }
  })();
  it.runIf(have)('owners of /usr/bin files equal dpkg-query -S of the path and of its /bin alias (diversions aside), packed by GNU tar', async () => {
    const merged = lstatSync('/bin').isSymbolicLink() && readlinkSync('/bin').replace(/^\/+/, '') === 'usr/bin';
    // small regular files without glob characters (dpkg -S would read those as patterns)
    const sample = readdirSync('/usr/bin').filter((n) => !/[[\]*?\\]/.test(n)).filter((n) => {
      const st = lstatSync(`/usr/bin/${n}`);
      return st.isFile() && st.size < 64 * 1024;
    }).sort().slice(0, 80);
    expect(sample.length).toBeGreaterThan(20);
    const lists = readdirSync('/var/lib/dpkg/info').filter((f) => f.endsWith('.list')).map((f) => `var/lib/dpkg/info/${f}`);
    const layer = execFileSync('tar', ['-C', '/', '-cf', '-', 'var/lib/dpkg/status', ...lists, ...sample.map((n) => `usr/bin/${n}`), ...(merged ? ['bin'] : [])], { maxBuffer: 1024 ** 3 });
    const { path } = await writeDockerArchive(tmp, 'host-owners.tar', [{ layers: [layer] }]);
    const doc = await runJsonFast<LsDoc>(['ls', path, 'usr/bin', '--packages', '-q']);
    // one dpkg-query -S for every path; "not found" goes to stderr, diversions are not ownership
    const asked = sample.flatMap((n) => [`/usr/bin/${n}`, ...(merged ? [`/bin/${n}`] : [])]);
    const out = spawnSync('dpkg-query', ['-S', ...asked], { encoding: 'utf8', maxBuffer: 64 * 1024 ** 2 }).stdout;
    const truth = new Map<string, Set<string>>();
    for (const line of out.split('\n')) {
      const m = /^(.+?): (\/.+)$/.exec(line);
      if (!m || m[1]!.startsWith('diversion by ')) continue;
      const stored = m[2]!.replace(/^\/(usr\/)?bin\//, 'usr/bin/');
      const set = truth.get(stored) ?? new Set<string>();
      for (const o of m[1]!.split(', ')) set.add(o.replace(/:[a-z0-9]+$/, '')); // Multi-Arch: same packages print name:arch
      truth.set(stored, set);
    }
    const got = new Map(doc.entries.filter((e) => e.path !== 'usr/bin').map((e) => [e.path, (e.owners ?? (e.package ? [e.package] : [])).map((o) => o.name).join(',')]));
    expect(got.size).toBe(sample.length);
    for (const n of sample) expect(got.get(`usr/bin/${n}`), n).toBe([...(truth.get(`usr/bin/${n}`) ?? [])].sort().join(','));
    expect([...got.values()].filter((o) => o !== '').length).toBeGreaterThan(20);
  });
});
