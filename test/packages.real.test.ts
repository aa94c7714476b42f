import { afterAll, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, runInProcess, runJsonFast } from './helpers/cli.js';
import { writeDockerArchive } from './helpers/synth-docker.js';

/**
 * `packages` against real package managers: images whose layers were made by
 * dpkg --root and rpm --root (fixtures/packages/make.sh, packed by umoci,
 * docker-archive by skopeo), truth from dpkg-query / rpm -qa run on the
 * rootfs after every step, events and their direction from dpkg
 * --compare-versions / rpm.vercmp, recoverable sizes from dpkg-deb -c / rpm -qp.
 * apk: a hand-made installed database per apk's documented format, truth by hand.
 */
interface Pkg { ecosystem: string; name: string; version: string; arch: string; source: string | null; layerIndex: number; step: string; earlier: { version: string; layerIndex: number }[] }
interface Ev { change: string; name: string; arch: string; version: string | null; previous: string | null; recoverable?: { files: number; bytes: number } }
interface Doc { databases: string[]; packages: Pkg[]; history: { layerIndex: number; step: string; events: Ev[] }[] }

const P = join(ROOT, 'fixtures', 'packages');
const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter((l) => l.trim() !== '');
/** rpm -qa prints %{EPOCHNUM}: a version without an epoch has epoch 0 */
const evr = (eco: string, v: string) => (eco === 'rpm' && !/^\d+:/.test(v) ? `0:${v}` : v);

/** OCI layout → its config's history created_by per non-empty layer (read with plain JSON, not layerdig). */
function stepsOf(oci: string): string[] {
  const blob = (d: string) => JSON.parse(readFileSync(join(oci, 'blobs', 'sha256', d.slice(7)), 'utf8'));
  const index = JSON.parse(readFileSync(join(oci, 'index.json'), 'utf8'));
  const config = blob(blob(index.manifests[0].digest).config.digest);
  return (config.history as { created_by?: string; empty_layer?: boolean }[]).filter((h) => !h.empty_layer).map((h) => h.created_by ?? '');
}

const CASES = [
  { eco: 'deb', dir: 'dpkg', steps: 6, inputs: ['dpkg.oci', 'dpkg.docker-archive.tar'], removed: 'beta' },
  { eco: 'rpm', dir: 'rpm', steps: 4, inputs: ['rpm.oci'], removed: 'rbeta' },
  // BerkeleyDB Packages loaded by db5.3_load with the same header blobs: the same truth; no package files stored
  { eco: 'rpm', dir: 'rpm-bdb', steps: 4, inputs: ['rpm-bdb.oci'], removed: null },
  // ndb Packages.db laid out from the same header blobs per rpm's rpmpkg.c (ndb-write.py): the same truth
  { eco: 'rpm', dir: 'rpm-ndb', steps: 4, inputs: ['rpm-ndb.oci'], removed: null },
];

describe.each(CASES)('$dir: attribution equals the package manager, layer by layer', ({ eco, dir, steps, inputs, removed }) => {
  const truthDir = join(P, dir, 'truth');
  const createdBy = stepsOf(join(P, dir, `${dir}.oci`));
  it.each(inputs)('%s', async (input) => {
    const doc = await runJsonFast<Doc>(['packages', join(P, dir, input), '--history']);
    expect(doc.history).toHaveLength(steps);
    // replay the events: the set after each layer equals dpkg-query / rpm -qa on that step's rootfs
    const set = new Map<string, Ev>();
    for (let k = 0; k < steps; k++) {
      const h = doc.history[k]!;
      expect(h.step).toBe(createdBy[k]);
      for (const e of h.events) {
        if (e.change === 'removed') set.delete(e.name);
        else set.set(e.name, e);
      }
      const truth = lines(join(truthDir, `step-${k}.txt`)).map((l) => l.split(' ')).map((f) => `${f[0]} ${f[1]} ${f[2]}`).sort();
      expect([...set.values()].map((e) => `${e.name} ${evr(eco, e.version!)} ${e.arch}`).sort(), `after layer ${k}`).toEqual(truth);
      // and the changes with their direction
      const events = lines(join(truthDir, `events-${k}.txt`)).sort();
      expect(h.events.map((e) => `${e.change} ${e.name} ${e.previous === null ? '-' : evr(eco, e.previous)} ${e.version === null ? '-' : evr(eco, e.version)}`).sort(), `events of layer ${k}`).toEqual(events);
    }
    // the final packages: version, arch, source as the tool prints them; the layer of the last event that set the version
    const last = lines(join(truthDir, `step-${steps - 1}.txt`)).map((l) => l.split(' '));
    expect(doc.packages.map((p) => `${p.name} ${evr(eco, p.version)} ${p.arch} ${p.source}`).sort())
      .toEqual(last.map((f) => `${f[0]} ${f[1]} ${f[2]} ${f.at(-1)}`).sort());
    for (const p of doc.packages) {
      let at = -1;
      for (let k = 0; k < steps; k++) if (lines(join(truthDir, `events-${k}.txt`)).some((l) => l.split(' ')[1] === p.name && l.split(' ')[0] !== 'removed')) at = k;
      expect(p.layerIndex, p.name).toBe(at);
      expect(p.step).toBe(createdBy[at]);
      expect(p.ecosystem).toBe(eco);
    }
    if (removed === null) return;
    // the removed package's files are still stored in the layer that installed it
    const [name, files, bytes] = lines(join(truthDir, 'recoverable.txt'))[0]!.split(' ');
    expect(name).toBe(removed);
    const ev = doc.history.flatMap((h) => h.events).find((e) => e.change === 'removed' && e.name === removed)!;
    expect(ev.recoverable).toEqual({ files: Number(files), bytes: Number(bytes) });
  });
});

describe('dpkg: the upgraded package names the version and layer it replaced', () => {
  it('alpha 1.0-1 from layer 1, then 1:1.2~rc1-1 in layer 2', async () => {
    const doc = await runJsonFast<Doc>(['packages', join(P, 'dpkg', 'dpkg.oci')]);
    const alpha = doc.packages.find((p) => p.name === 'alpha')!;
    expect(alpha.earlier).toEqual([{ version: '1.0-1', layerIndex: 1 }]);
    expect(doc.databases).toEqual(['dpkg']);
  });
});

// ---- apk and bad databases: synthetic images, truth by hand ---------------------
const tmp = mkdtempSync(join(tmpdir(), 'ld-packages-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const APK_0 = `C:Q1aaa=
P:musl
V:1.2.4-r2
A:x86_64
o:musl
F:lib
R:ld-musl-x86_64.so.1

P:busybox
V:1.36.1-r5
A:x86_64
o:busybox
F:bin
R:busybox

`;
// layer 1: busybox upgraded to -r15 (a string sort would call it older), curl installed
const APK_1 = APK_0.replace('V:1.36.1-r5', 'V:1.36.1-r15') + `P:curl
V:8.5.0-r0
A:x86_64
o:curl
F:usr/bin
R:curl

`;
// layer 2: musl downgraded to 1.2.3-r9, curl removed (its file whited out)
const APK_2 = APK_1.replace('V:1.2.4-r2', 'V:1.2.3-r9').replace(/P:curl[\s\S]*$/, '');

describe('apk: lib/apk/db/installed per its format', () => {
  it('installed, upgraded (-r5 → -r15), downgraded, removed, with origin and owned files', async () => {
    const { path } = await writeDockerArchive(tmp, 'apk.tar', [{
      layers: [
        [{ path: 'lib/apk/db/installed', body: APK_0 }, { path: 'bin/busybox', body: 'x'.repeat(100) }],
        [{ path: 'lib/apk/db/installed', body: APK_1 }, { path: 'usr/bin/curl', body: 'y'.repeat(300) }],
        [{ path: 'lib/apk/db/installed', body: APK_2 }, { path: 'usr/bin/.wh.curl', body: '' }],
        [{ path: 'etc/motd', body: 'hi' }],
      ],
      history: [{ created_by: 'apk add musl busybox' }, { created_by: 'apk add curl' }, { created_by: 'apk del curl' }, { created_by: 'COPY motd /etc/' }],
    }]);
    const doc = await runJsonFast<Doc>(['packages', path, '--history']);
    expect(doc.databases).toEqual(['apk']);
    expect(doc.packages.map((p) => [p.name, p.version, p.arch, p.source, p.layerIndex, p.step])).toEqual([
      ['busybox', '1.36.1-r15', 'x86_64', 'busybox', 1, 'apk add curl'],
      ['musl', '1.2.3-r9', 'x86_64', 'musl', 2, 'apk del curl'],
    ]);
    expect(doc.history.map((h) => h.events.map((e) => `${e.change} ${e.name} ${e.previous ?? '-'} ${e.version ?? '-'}`).sort())).toEqual([
      ['installed busybox - 1.36.1-r5', 'installed musl - 1.2.4-r2'],
      ['installed curl - 8.5.0-r0', 'upgraded busybox 1.36.1-r5 1.36.1-r15'].sort(),
      ['downgraded musl 1.2.4-r2 1.2.3-r9', 'removed curl 8.5.0-r0 -'].sort(),
      [],
    ]);
    const curl = doc.history[2]!.events.find((e) => e.name === 'curl')!;
    expect(curl.recoverable).toEqual({ files: 1, bytes: 300 });
  });

  it('a whiteout of the database removes every package', async () => {
    const { path } = await writeDockerArchive(tmp, 'apk-wh.tar', [{
      layers: [[{ path: 'lib/apk/db/installed', body: APK_0 }], [{ path: 'lib/apk/db/.wh.installed', body: '' }]],
    }]);
    const doc = await runJsonFast<Doc>(['packages', path, '--history']);
    expect(doc.packages).toEqual([]);
    expect(doc.databases).toEqual([]);
    expect(doc.history[1]!.events.map((e) => `${e.change} ${e.name}`).sort()).toEqual(['removed busybox', 'removed musl']);
  });
});

describe('a database that cannot be read is an error that says so, never "0 packages"', () => {
  const cases: [string, string, string | Buffer, RegExp][] = [
    ['sqlite without its magic', 'var/lib/rpm/rpmdb.sqlite', Buffer.alloc(4096, 7), /\/var\/lib\/rpm\/rpmdb\.sqlite \(layer 0\) cannot be read as a package database: not an SQLite database/],
    ['BerkeleyDB without its magic', 'var/lib/rpm/Packages', Buffer.alloc(8192, 0), /\/var\/lib\/rpm\/Packages \(layer 0\) cannot be read as a package database: not a BerkeleyDB hash database/],
    ['ndb without its magic', 'usr/lib/sysimage/rpm/Packages.db', Buffer.alloc(8192, 0), /Packages.db \(layer 0\) cannot be read as a package database: not an ndb rpm database/],
    ['dpkg status that is not deb822', 'var/lib/dpkg/status', 'Package: a\nthis line has no colon\n', /\/var\/lib\/dpkg\/status \(layer 0\) cannot be read as a package database: not a "Field: value" line/],
    ['apk db that is not K:value', 'lib/apk/db/installed', 'P:a\nnonsense\n', /\/lib\/apk\/db\/installed \(layer 0\) cannot be read as a package database: not a "K:value" line/],
  ];
  it.each(cases)('%s', async (_what, path, body, message) => {
    const { path: archive } = await writeDockerArchive(tmp, `bad-${path.replace(/\W/g, '_')}.tar`, [{ layers: [[{ path, body }]] }]);
    const r = await runInProcess(['packages', archive]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(message);
    expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});

describe('rpm BerkeleyDB: every key db5.3_dump lists is read', () => {
  it.each([0, 1, 2, 3])('step %i', async (k) => {
    const doc = await runJsonFast<Doc>(['packages', join(P, 'rpm-bdb', 'rpm-bdb.oci'), '--history']);
    const count = doc.history.slice(0, k + 1).flatMap((h) => h.events).reduce((n, e) => n + (e.change === 'installed' ? 1 : e.change === 'removed' ? -1 : 0), 0);
    expect(count).toBe(Number(readFileSync(join(P, 'rpm-bdb', 'truth', `keys-${k}.txt`), 'utf8').trim()));
  });
});

describe('--find across inputs (versions by hand from deb-version(7): ~ sorts before the end, a revision after none)', () => {
  const dpkgImages = ['dpkg.docker-archive.tar', 'dpkg.oci'];
  it.each([
    ['alpha<1:1.2', dpkgImages],
    ['deb:alpha>=1:1.2~rc1,<2:0', dpkgImages],
    ['alpha=1:1.2~rc1-1', dpkgImages],
    ['rpm:ralpha>=1:1.0-0.rc1', ['rpm-bdb.oci', 'rpm.oci']],
    ['basepkg>0.9-1', []],
  ] as [string, string[]][])('%s', async (q, want) => {
    const r = await runInProcess(['packages', join(P, 'dpkg'), join(P, 'rpm'), join(P, 'rpm-bdb'), '--find', q, '--json', '-q']);
    expect(r.code).toBe(want.length ? 0 : 4);
    const hits = JSON.parse(r.stdout) as { image: { archive: string }; layerIndex: number }[];
    expect(hits.map((h) => h.image.archive.split('/').at(-1)).sort()).toEqual(want);
  });
  it('an image whose database cannot be read is named, the others answered: exit 5', async () => {
    const { path } = await writeDockerArchive(tmp, 'find-bad.tar', [{ layers: [[{ path: 'var/lib/rpm/rpmdb.sqlite', body: 'garbage' }]] }]);
    const r = await runInProcess(['packages', path, join(P, 'dpkg', 'dpkg.oci'), '--find', 'gamma', '--json', '-q']);
    expect(r.code).toBe(5);
    expect(r.stderr).toMatch(/rpmdb\.sqlite \(layer 0\) cannot be read as a package database: .* this image was not searched/);
    expect((JSON.parse(r.stdout) as unknown[]).length).toBe(1);
  });
  it('a query without a name is a usage error', async () => {
    expect((await runInProcess(['packages', join(P, 'dpkg'), '--find', '<1'])).code).toBe(2);
  });
});

describe('--unowned', () => {
  it('dpkg: equals find -type f minus dpkg-query -L (symlinked dirs resolved): the usr-merged /bin/basepkg-tool is owned', async () => {
    const doc = await runJsonFast<{ files: { path: string; layerIndex: number; step: string }[] }>(['packages', join(P, 'dpkg', 'dpkg.oci'), '--unowned']);
    expect(doc.files.map((f) => f.path)).toEqual(lines(join(P, 'dpkg', 'truth', 'unowned.txt')));
    expect(doc.files.map((f) => f.step)).toEqual(['COPY data.txt /srv/']);
  });
  it('apk: R: lines own their files; a file no package lists is unowned', async () => {
    const { path } = await writeDockerArchive(tmp, 'apk-unowned.tar', [{
      layers: [[{ path: 'lib/apk/db/installed', body: APK_0 }, { path: 'bin/busybox', body: 'x' }, { path: 'lib/ld-musl-x86_64.so.1', body: 'y' }],
        [{ path: 'opt/app/vendored.so', body: 'zzz' }]],
    }]);
    const doc = await runJsonFast<{ files: { path: string; layerIndex: number; size: number }[] }>(['packages', path, '--unowned']);
    expect(doc.files).toEqual([expect.objectContaining({ path: 'opt/app/vendored.so', layerIndex: 1, size: 3 })]);
  });
});

describe("this machine's own dpkg database (hundreds of real Debian packages)", () => {
  const have = (() => {
    try {
      execFileSync('dpkg-query', ['--version'], { stdio: 'ignore' });
      return existsSync('/var/lib/dpkg/status');
    } catch {
      return false;
    }
  })();
  it.runIf(have)('packages equals dpkg-query -W on the same status and .list files, packed as one layer by GNU tar', async () => {
    const lists = readdirSync('/var/lib/dpkg/info').filter((f) => f.endsWith('.list')).map((f) => `var/lib/dpkg/info/${f}`);
    const layer = execFileSync('tar', ['-C', '/', '-cf', '-', 'var/lib/dpkg/status', ...lists], { maxBuffer: 1024 ** 3 });
    const { path } = await writeDockerArchive(tmp, 'host-dpkg.tar', [{ layers: [layer] }]);
    const doc = await runJsonFast<{ packages: (Pkg & { files: number })[] }>(['packages', path]);
    const truth = execFileSync('dpkg-query', ['-W', '-f', '${db:Status-Status} ${Package} ${Version} ${Architecture} ${source:Package}\n'], { encoding: 'utf8', maxBuffer: 256 * 1024 ** 2 })
      .split('\n').filter((l) => l.startsWith('installed ')).map((l) => l.slice(10)).sort();
    expect(truth.length).toBeGreaterThan(50);
    expect(doc.packages.map((p) => `${p.name} ${p.version} ${p.arch} ${p.source}`).sort()).toEqual(truth);
    // every installed package has its .list read (dpkg-query -L would print them)
    expect(doc.packages.filter((p) => p.files === 0).map((p) => p.name)).toEqual([]);
  });
});

describe('--diff: two images\' packages (truth by hand from the apk databases above)', () => {
  it('added, removed, upgraded, downgraded with both versions; the same image twice has none', async () => {
    const { path: a } = await writeDockerArchive(tmp, 'diff-a.tar', [{ layers: [[{ path: 'lib/apk/db/installed', body: APK_1 }]] }]);
    const { path: b } = await writeDockerArchive(tmp, 'diff-b.tar', [{ layers: [[{ path: 'lib/apk/db/installed', body: APK_2.replace('V:1.36.1-r15', 'V:1.36.2-r0') + 'P:zlib\nV:1.3-r2\nA:x86_64\n\n' }]] }]);
    const doc = await runJsonFast<{ changes: { change: string; name: string; a: string[]; b: string[] }[] }>(['packages', a, '--diff', b]);
    expect(doc.changes.map((c) => `${c.change} ${c.name} ${c.a.join('|') || '-'} ${c.b.join('|') || '-'}`)).toEqual([
      'upgraded busybox 1.36.1-r15 1.36.2-r0',
      'removed curl 8.5.0-r0 -',
      'downgraded musl 1.2.4-r2 1.2.3-r9',
      'added zlib - 1.3-r2',
    ]);
    const same = await runJsonFast<{ changes: unknown[] }>(['packages', join(P, 'dpkg', 'dpkg.oci'), '--diff', join(P, 'dpkg', 'dpkg.docker-archive.tar')]);
    expect(same.changes).toEqual([]);
  });
});

describe('a whole-gzipped docker-archive (read in one pass) gives the same answer', () => {
  it('dpkg.docker-archive.tar gzipped', async () => {
    const gz = join(tmp, 'dpkg.tar.gz');
    writeFileSync(gz, gzipSync(readFileSync(join(P, 'dpkg', 'dpkg.docker-archive.tar'))));
    const strip = (d: Doc & { image?: unknown }) => ({ ...d, image: undefined });
    expect(strip(await runJsonFast<Doc>(['packages', gz, '--history']))).toEqual(strip(await runJsonFast<Doc>(['packages', join(P, 'dpkg', 'dpkg.docker-archive.tar'), '--history'])));
  });
});
