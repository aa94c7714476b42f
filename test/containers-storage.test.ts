import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { FIXTURES, runInProcess, runJsonFast } from './helpers/cli.js';
import { storeForms, type StoreInput } from './helpers/stores.js';

/**
 * A podman/buildah containers-storage read offline, against what podman itself
 * said while it ran (fixtures/containers-storage/<driver>.truth: podman images,
 * history, image inspect, ps -a, diff, GNU tar listings of podman save's layer
 * tars). Each store is read as the .tar.gz, as a directory, and (overlay) as a
 * rootless user's store inside a tar of / and a copied /.
 */

const DIR = join(FIXTURES, 'containers-storage');
const DRIVERS = ['overlay', 'vfs'] as const;
const isRoot = process.getuid?.() === 0;
const xattrTool = ['getfattr', 'python3'].some((t) => spawnSync(t, ['--version']).status === 0);
const truthDir = (d: string) => join(DIR, `${d}.truth`);
const json = <T>(d: string, f: string) => JSON.parse(readFileSync(join(truthDir(d), f), 'utf8')) as T;
const lines = (f: string) => readFileSync(f, 'utf8').split('\n').filter(Boolean);

interface PodmanImage { Id: string; Names?: string[]; Size: number; Digest: string; Created: number; Dangling?: boolean }
interface PodmanHistory { id: string; CreatedBy: string; size: number; comment?: string }
interface PodmanInspect { Id: string; RepoTags: string[]; RootFS: { Layers: string[] } }
interface PodmanPs { Id: string; Names: string[]; Image: string; ImageID: string; Command: string[]; Created: number; StartedAt: number }

const tmp = mkdtempSync(join(process.env.TMPDIR ?? '/tmp', 'layerdig-cstorage-'));
const inputs: StoreInput[] = [];
beforeAll(() => {
  // as root also unpacked: whiteouts are 0/0 character devices and opaque directories trusted.* xattrs
  for (const d of DRIVERS) inputs.push(...storeForms(join(DIR, `${d}.tar.gz`), d, tmp, { root: isRoot }));
  inputs.push(...storeForms(join(DIR, 'overlay-rootless.tar.gz'), 'overlay', tmp, { root: isRoot, label: 'rootless ' }));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

if (!isRoot) it.skip('directory stores: skipped, extracting whiteout devices and trusted.* xattrs needs root', () => {});

interface ImagesRow { id: string; repoTags: string[]; size: number; format: string; manifestDigest: string; created: string }
interface HistDoc { history: { imageId?: string | null; size: number; createdBy: string; comment: string | null }[] }
interface LayersDoc { layers: { diffId: string; cacheId?: string; storage: string; size: number | null; diffIdVerified?: boolean }[] }
interface LsDoc { entries: { path: string; type: string; size: number; linkTarget: string | null }[] }
interface VerifyDoc { ok: boolean; images: { id: string; checks: { check: string; subject: string; ok: boolean; expected: unknown; actual: unknown }[] }[] }
interface PsRow { id: string; name: string; imageRef: string; imageId: string; command: string; created: string; state: string }
interface ChangesDoc { changes: { kind: string; path: string }[] }

describe.each(DRIVERS)('containers-storage %s', (driver) => {
  const each = (fn: (path: string, kind: string) => Promise<void>) => async () => {
    const mine = inputs.filter((i) => i.driver === driver);
    expect(mine.length).toBeGreaterThanOrEqual(1);
    for (const i of mine) await fn(i.path, i.kind);
  };
  const images = () => json<PodmanImage[]>(driver, 'images-a.json');
  const inspect = () => json<PodmanInspect[]>(driver, 'image-inspect.json');

  it('images: podman images\' IDs, names (a moved tag, an untagged image), manifest digests, created and SIZE', each(async (path) => {
    const rows = await runJsonFast<ImagesRow[]>(['images', path]);
    const truth = images();
    expect([...new Set(rows.map((r) => r.id))].sort()).toEqual([...new Set(truth.map((t) => `sha256:${t.Id}`))].sort());
    for (const t of truth) {
      const mine = rows.filter((r) => r.id === `sha256:${t.Id}`);
      expect(mine[0]!.format).toBe('containers-storage');
      expect([...new Set(mine.flatMap((r) => r.repoTags))].sort()).toEqual([...(t.Names ?? [])].sort());
      expect(mine[0]!.size).toBe(t.Size);
      expect(mine[0]!.manifestDigest).toBe(t.Digest);
      expect(Date.parse(mine[0]!.created) / 1000).toBe(t.Created);
    }
    // app1-old lost :latest to app1 and keeps :old; opaque was untagged
    expect(truth.filter((t) => !t.Names && t.Dangling === true).length).toBe(1);
    expect(truth.find((t) => t.Names?.includes('localhost/rw/app1:old'))!.Names).toEqual(['localhost/rw/app1:old']);
  }));

  it('history: each entry\'s IMAGE (podman\'s top-layer rule), SIZE, CREATED BY and comment as podman history says', each(async (path) => {
    for (const t of images()) {
      const [doc] = await runJsonFast<HistDoc[]>(['history', path, '-i', t.Id]);
      const truth = json<PodmanHistory[]>(driver, `history-${t.Id}.json`);
      const mine = [...doc!.history].reverse();
      expect(mine.map((h) => h.imageId?.replace(/^sha256:/, '') ?? '<missing>')).toEqual(truth.map((h) => h.id));
      expect(mine.map((h) => h.size)).toEqual(truth.map((h) => h.size));
      expect(mine.map((h) => h.createdBy)).toEqual(truth.map((h) => h.CreatedBy));
      expect(mine.map((h) => h.comment ?? '')).toEqual(truth.map((h) => h.comment ?? ''));
    }
    // the --no-trunc text podman printed: its IMAGE column too
    const app = images().find((t) => t.Names?.includes('localhost/rw/app1:latest'))!;
    const ids = lines(join(truthDir(driver), `history-${app.Id}.txt`)).map((l) => l.split('\t')[0]);
    expect(ids.filter((x) => x !== '<missing>').length).toBe(2);
  }));

  it('layers: diffIDs as podman image inspect lists them, each verified through tar-split; STORAGE is the layer directory', each(async (path, kind) => {
    for (const img of inspect()) {
      const [doc] = await runJsonFast<LayersDoc[]>(['layers', path, '-i', img.Id]);
      expect(doc!.layers.map((l) => l.diffId)).toEqual(img.RootFS.Layers);
      for (const l of doc!.layers) {
        expect(l.diffIdVerified).toBe(true);
        const dir = driver === 'vfs' ? `vfs/dir/${l.cacheId}` : `overlay/${l.cacheId}/diff`;
        const prefix = kind.startsWith('rootless') ? 'home/u/.local/share/containers/storage/' : '';
        expect(l.storage).toBe(kind.endsWith('dir') ? join(path, prefix, dir) : `${path}!${prefix}${dir}`);
      }
    }
  }));

  it('ls --layer: each layer\'s entries equal GNU tar\'s listing of the layer podman save wrote', each(async (path) => {
    const img = inspect().find((i) => i.RepoTags.includes('localhost/rw/app1:latest'))!;
    const T: Record<string, string> = { file: '-', dir: 'd', symlink: 'l', hardlink: 'h', char: 'c' };
    for (const [index, diffId] of img.RootFS.Layers.entries()) {
      const tv = lines(join(truthDir(driver), `layer-${diffId.slice(7)}.tv.txt`));
      const doc = await runJsonFast<LsDoc>(['ls', path, '-i', img.Id, '--layer', String(index)]);
      const want = tv.map((l) => {
        const m = /^(\S)\S{9} \S+\s+(\d+) \S+ \S+ (.+?)(?: -> (.*))?$/.exec(l)!;
        return { path: m[3]!.replace(/\/$/, ''), type: m[1], size: Number(m[2]), link: m[4] ?? null };
      });
      expect(doc.entries.map((e) => ({ path: e.path, type: e.type === 'whiteout' || e.type === 'opaque' ? '-' : T[e.type], size: e.size, link: e.linkTarget })))
        .toEqual(want);
    }
  }));

  it('verify: every layer rebuilt from its directory + tar-split hashes to the diffIDs podman lists; big-data digests and diff-sizes agree', each(async (path) => {
    const r = await runInProcess(['verify', path, '--json']);
    expect(r.code).toBe(0);
    const [d] = JSON.parse(r.stdout) as VerifyDoc[];
    expect(d!.ok).toBe(true);
    const checks = d!.images.flatMap((im) => im.checks);
    const rebuilt = checks.filter((c) => c.check.includes('diffID (rebuilt'));
    expect(new Set(rebuilt.map((c) => c.actual))).toEqual(new Set(inspect().flatMap((im) => im.RootFS.Layers)));
    expect(checks.filter((c) => c.check === 'manifest digest (images.json digest)').map((c) => c.actual).sort())
      .toEqual(images().map((t) => t.Digest).filter((x, i, a) => a.indexOf(x) === i).sort());
  }));

  const ps = () => json<PodmanPs[]>(driver, 'ps.json');

  it('containers: podman ps -a\'s IDs, names, images and (once started) commands', each(async (path) => {
    const rows = await runJsonFast<PsRow[]>(['containers', path]);
    expect(rows.map((r) => r.id).sort()).toEqual(ps().map((p) => p.Id).sort());
    for (const p of ps()) {
      const r = rows.find((x) => x.id === p.Id)!;
      expect({ name: r.name, image: r.imageRef, imageId: r.imageId }).toEqual({ name: p.Names[0], image: p.Image, imageId: `sha256:${p.ImageID}` });
      expect(Math.floor(Date.parse(r.created) / 1000)).toBe(p.Created);
      // the command is in the OCI spec podman writes when it starts a container; a never-started one has none in the store
      expect(r.command).toBe(p.StartedAt > 0 ? p.Command.join(' ') : '');
      expect(r.state).toBe('unknown');
    }
  }));

  it('diff --container / ls --container --changes: podman diff\'s A/C/D lines', each(async (path, kind) => {
    for (const p of ps()) {
      let truth = lines(join(truthDir(driver), `diff-${p.Id}.txt`)).sort();
      // a directory input reads the trusted.overlay.opaque xattr through getfattr or python3; without
      // either, the directory made anew is seen as changed, not as deleted-and-added (said by a note)
      if (driver === 'overlay' && kind.endsWith('dir') && !xattrTool) truth = truth.map((l) => (l === 'D /app/app1' ? 'C /app/app1' : l)).sort();
      for (const cmd of [['diff', path, '--container', p.Names[0]!], ['ls', path, '--container', p.Id.slice(0, 12), '--changes']]) {
        const doc = await runJsonFast<ChangesDoc>(cmd);
        expect(doc.changes.map((c) => `${c.kind} ${c.path}`).sort()).toEqual(truth);
      }
    }
    expect(ps().some((p) => lines(join(truthDir(driver), `diff-${p.Id}.txt`)).length > 10)).toBe(true);
  }));
});

it('stores and archives together: the same images by ID across a vfs store, an overlay store and a docker save', async () => {
  const app1 = join(FIXTURES, 'real', 'app1', 'app1.docker-archive.tar');
  const rows = await runJsonFast<(ImagesRow & { archive: string })[]>(['images', join(DIR, 'vfs.tar.gz'), join(DIR, 'overlay-rootless.tar.gz'), app1]);
  const id = `sha256:${json<PodmanImage[]>('vfs', 'images.json').find((t) => t.Names?.includes('localhost/rw/app1:latest'))!.Id}`;
  expect(new Set(rows.filter((r) => r.id === id).map((r) => r.archive))).toEqual(new Set([join(DIR, 'vfs.tar.gz'), join(DIR, 'overlay-rootless.tar.gz'), app1]));
  // app1's own layer (diffID 6787e0f5…, as podman inspect lists it) is in both
  const own = json<PodmanInspect[]>('vfs', 'image-inspect.json').find((i) => i.RepoTags.includes('localhost/rw/app1:latest'))!.RootFS.Layers[3]!;
  const rel = await runJsonFast<{ matches: { image: { archive: string } }[] }>(['relation', own, join(DIR, 'vfs.tar.gz'), app1]);
  expect(new Set(rel.matches.map((m) => resolve(m.image.archive)))).toEqual(new Set([join(DIR, 'vfs.tar.gz'), app1]));
});

describe('a broken store: one clear line naming the input and the member, the rest goes on', () => {
  const base = join(tmp, 'hostile-base');
  const TOP = '2cffd89416e1ec18f07fa6d1d70f5592f419e6f255fa467bdadf75e597124657';
  const copy = (name: string) => {
    const dir = join(tmp, name);
    execFileSync('cp', ['-a', base, dir]);
    return dir;
  };
  const oneLine = (stderr: string) => {
    expect(stderr).not.toMatch(/\n\s+at /);
    return stderr.split('\n').filter(Boolean);
  };
  beforeAll(() => {
    execFileSync('mkdir', [base]);
    // vfs: no device nodes, so no root is needed to unpack it
    execFileSync('tar', ['--numeric-owner', '-xzf', join(DIR, 'vfs.tar.gz'), '-C', base]);
  });

  it('truncated images.json / garbage layers.json: nothing can be answered (exit 3), the member is named', async () => {
    const a = copy('trunc-images');
    const text = readFileSync(join(a, 'vfs-images/images.json'));
    execFileSync('sh', ['-c', `head -c ${Math.floor(text.length / 2)} "${join(a, 'vfs-images/images.json')}" > "${join(a, 'x')}" && mv "${join(a, 'x')}" "${join(a, 'vfs-images/images.json')}"`]);
    const r = await runInProcess(['images', a]);
    expect(r.code).toBe(3);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(new RegExp(`${a}.*vfs-images/images\\.json: is not valid JSON`))]);
    const b = copy('garbage-layers');
    execFileSync('sh', ['-c', `printf 'garbage' > "${join(b, 'vfs-layers/layers.json')}"`]);
    const g = await runInProcess(['layers', b]);
    expect(g.code).toBe(3);
    expect(oneLine(g.stderr)).toEqual([expect.stringMatching(/vfs-layers\/layers\.json: is not valid JSON/)]);
  });

  it('a layer whose parent is missing from layers.json: that image is left out with a line naming both, the others are listed (exit 5)', async () => {
    const a = copy('no-parent');
    const layers = JSON.parse(readFileSync(join(a, 'vfs-layers/layers.json'), 'utf8')) as { id: string; 'diff-digest'?: string }[];
    // app1's layer 3 (diffID 6787e0f5…) is only app1's: the other images keep their chains
    const gone = layers.find((l) => l['diff-digest']?.startsWith('sha256:6787e0f5'))!.id;
    execFileSync('sh', ['-c', `cat > "${join(a, 'vfs-layers/layers.json')}"`], { input: JSON.stringify(layers.filter((l) => l.id !== gone)) });
    const r = await runInProcess(['images', a, '--json']);
    expect(r.code).toBe(5);
    const rows = JSON.parse(r.stdout) as ImagesRow[];
    const truth = json<PodmanImage[]>('vfs', 'images-a.json');
    const app1 = truth.find((t) => t.Names?.includes('localhost/rw/app1:latest'))!.Id;
    expect(new Set(rows.map((x) => x.id))).toEqual(new Set(truth.filter((t) => t.Id !== app1).map((t) => `sha256:${t.Id}`)));
    const lines_ = oneLine(r.stderr);
    expect(lines_).toHaveLength(1);
    expect(lines_[0]).toMatch(new RegExp(`vfs-images/images\\.json: image ${app1.slice(0, 12)}: layer \\w+'s parent ${gone} is not in vfs-layers/layers\\.json`));
  });

  it('an images.json entry without a valid id, and one whose top layer climbs out: each one line, never a path, the rest listed (exit 5)', async () => {
    const a = copy('bad-entries');
    const imagesJson = join(a, 'vfs-images/images.json');
    const recs = JSON.parse(readFileSync(imagesJson, 'utf8')) as { id: string; layer?: string; names?: string[] }[];
    const base = recs.find((r) => r.names?.includes('localhost/rw/base:1.0'))!;
    base.layer = '../../../etc';
    execFileSync('sh', ['-c', `cat > "${imagesJson}"`], { input: JSON.stringify([...recs, { id: '../escape' }]) });
    const r = await runInProcess(['images', a, '--json']);
    expect(r.code).toBe(5);
    const truth = json<PodmanImage[]>('vfs', 'images-a.json');
    expect(new Set((JSON.parse(r.stdout) as ImagesRow[]).map((x) => x.id))).toEqual(new Set(truth.filter((t) => t.Id !== base.id).map((t) => `sha256:${t.Id}`)));
    const err = oneLine(r.stderr);
    expect(err).toHaveLength(2);
    expect(err.some((l) => l.includes(`vfs-images/images.json: entry ${recs.length} has no valid image id: left out`))).toBe(true);
    expect(err.some((l) => l.includes(`image ${base.id.slice(0, 12)}: its layer ../../../etc is not in vfs-layers/layers.json`))).toBe(true);
  });

  it('a tar-split whose CRC lies: verify names the file (exit 1); one whose size lies: the layer cannot be rebuilt, said in one line', async () => {
    const a = copy('lying-crc');
    const ts = join(a, `vfs-layers/${TOP}.tar-split.gz`);
    const edit = (from: string, to: string) => execFileSync('sh', ['-c', `gzip -dc "${ts}" | sed 's|${from}|${to}|' | gzip > "${ts}.new" && mv "${ts}.new" "${ts}"`]);
    edit('"name":"etc/os-release","size":196,"payload":"[^"]*"', '"name":"etc/os-release","size":196,"payload":"AAAAAAAAAAA="');
    const r = await runInProcess(['verify', a, '--json']);
    expect(r.code).toBe(1);
    const failed = (JSON.parse(r.stdout) as VerifyDoc[])[0]!.images.flatMap((i) => i.checks).filter((c) => !c.ok);
    expect(new Set(failed.map((c) => `${c.check} ${c.subject}`))).toEqual(new Set([`layer 0: layer file ${join(a, 'vfs/dir', TOP, 'etc/os-release')}`]));
    const b = copy('lying-size');
    const tsb = join(b, `vfs-layers/${TOP}.tar-split.gz`);
    execFileSync('sh', ['-c', `gzip -dc "${tsb}" | sed 's|"name":"etc/os-release","size":196|"name":"etc/os-release","size":700|' | gzip > "${tsb}.new" && mv "${tsb}.new" "${tsb}"`]);
    const v = await runInProcess(['verify', b, '--json']);
    expect(v.code).toBe(1);
    const bad = (JSON.parse(v.stdout) as VerifyDoc[])[0]!.images.flatMap((i) => i.checks).filter((c) => !c.ok);
    expect(bad.some((c) => c.check === 'layer 0: layer file' && c.actual === 'is 196 bytes on disk, 700 in the layer\'s tar')).toBe(true);
    const ls = await runInProcess(['ls', b, '-i', 'localhost/rw/base:1.0']);
    expect(ls.code).toBe(3);
    expect(oneLine(ls.stderr)).toEqual([expect.stringContaining(`${join(b, 'vfs/dir', TOP)}: not a readable tar layer (after entry etc/os-release)`)]);
  });

  it('a missing tar-split: said once, listed from the directory, no false mismatch (exit 0); a missing config: that image left out (exit 5)', async () => {
    const a = copy('no-tar-split');
    const inspect = json<PodmanInspect[]>('vfs', 'image-inspect.json').find((i) => i.RepoTags.includes('localhost/rw/base:1.0'))!;
    const layers = JSON.parse(readFileSync(join(a, 'vfs-layers/layers.json'), 'utf8')) as { id: string; parent?: string; 'diff-digest'?: string }[];
    // base's top layer (its second, an empty tar): no other image ends there, every image of the store has it
    const second = layers.find((l) => l.parent === TOP && l['diff-digest'] === inspect.RootFS.Layers[1])!.id;
    rmSync(join(a, `vfs-layers/${second}.tar-split.gz`));
    const r = await runInProcess(['layers', a, '-i', inspect.Id, '--json']);
    expect(r.code).toBe(0);
    expect(oneLine(r.stderr)).toEqual([expect.stringMatching(new RegExp(`vfs-layers/${second}\\.tar-split\\.gz is missing: .*cannot be checked`))]);
    const [doc] = JSON.parse(r.stdout) as LayersDoc[];
    expect(doc!.layers.map((l) => l.diffIdVerified)).toEqual([true, null]);
    const v = await runInProcess(['verify', a]);
    expect(v.code).toBe(0);
    // vfs: a layer's directory is a full copy; without tar-split the layer is what differs from the copy
    // below it, and lists as GNU tar lists the layer podman save wrote (app1's layer 3)
    const app1 = json<PodmanInspect[]>('vfs', 'image-inspect.json').find((i) => i.RepoTags.includes('localhost/rw/app1:latest'))!;
    const third = layers.find((l) => l['diff-digest'] === app1.RootFS.Layers[3])!.id;
    rmSync(join(a, `vfs-layers/${third}.tar-split.gz`));
    const ls = await runJsonFast<LsDoc>(['ls', a, '-i', app1.Id, '--layer', '3', '-q']);
    const want = lines(join(truthDir('vfs'), `layer-${app1.RootFS.Layers[3]!.slice(7)}.tv.txt`)).map((l) => / (\S+?)\/?(?: -> .*)?$/.exec(l)![1]);
    expect(ls.entries.map((e) => e.path)).toEqual(want);
    const b = copy('no-config');
    rmSync(join(b, 'vfs-images', inspect.Id.replace(/^sha256:/, ''), `=${Buffer.from(`sha256:${inspect.Id.replace(/^sha256:/, '')}`).toString('base64')}`));
    const n = await runInProcess(['images', b, '--json']);
    expect(n.code).toBe(5);
    expect((JSON.parse(n.stdout) as ImagesRow[]).some((x) => x.id === `sha256:${inspect.Id}`)).toBe(false);
    expect(oneLine(n.stderr)).toEqual([expect.stringMatching(/config \(big-data item sha256:[0-9a-f]{64}\) is missing/)]);
  });
});

it('file, none, base, audit, index, relation and report read the store with a docker save beside it', async () => {
  const store = join(DIR, 'overlay.tar.gz');
  const app1 = join(FIXTURES, 'real', 'app1', 'app1.docker-archive.tar');
  const insp = json<PodmanInspect[]>('overlay', 'image-inspect.json');
  // every image podman lists starts with the base layer, whose GNU tar listing holds etc/os-release
  expect(lines(join(truthDir('overlay'), `layer-${insp[0]!.RootFS.Layers[0]!.slice(7)}.tv.txt`)).some((l) => l.endsWith(' etc/os-release'))).toBe(true);
  const file = await runJsonFast<{ image: { id: string } }[]>(['file', 'etc/os-release', store, app1]);
  expect(new Set(file.map((f) => f.image.id))).toEqual(new Set(insp.map((i) => `sha256:${i.Id}`)));
  // the untagged image (opaque) and its most likely tagged relative, by shared diffIDs podman lists
  const untagged = insp.find((i) => i.RepoTags.length === 0)!;
  const none = await runInProcess(['none', untagged.Id, store, app1, '--json']);
  expect(none.code).toBe(0);
  const base = await runInProcess(['base', store, '-i', 'localhost/rw/app1:latest', '--against', store, '--json']);
  expect(base.code).toBe(0);
  expect(base.stdout).toContain(insp.find((i) => i.RepoTags.includes('localhost/rw/base:1.0'))!.Id);
  const audit = await runInProcess(['audit', store, '-i', 'localhost/rw/base:1.0', '--json']);
  expect(audit.code).toBe(0);
  // the base config sets no User (podman inspect: Config.User empty)
  expect(audit.stdout).toContain('runs-as-root');
  const db = join(tmp, 'catalog.db');
  const index = await runInProcess(['index', store, app1, '--db', db]);
  expect(index.code).toBe(0);
  const rel = await runJsonFast<{ matches: { image: { archive: string } }[] }>(['relation', insp[0]!.RootFS.Layers[0]!, '--db', db]);
  expect(new Set(rel.matches.map((m) => resolve(m.image.archive)))).toEqual(new Set([store, app1]));
  const html = join(tmp, 'report.html');
  const report = await runInProcess(['report', store, '-i', 'localhost/rw/base:1.0', '-o', html]);
  expect(report.code).toBe(0);
  expect(readFileSync(html, 'utf8')).toContain(insp.find((i) => i.RepoTags.includes('localhost/rw/base:1.0'))!.Id.slice(0, 12));
});
