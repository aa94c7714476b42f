import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tmp.js';
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, type Stats, readFileSync, readlinkSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { FIXTURES, ROOT, runInProcess, runJsonFast } from './helpers/cli.js';
import { finalFs, realArchives, type FinalFsEntry } from './helpers/truth.js';

/**
 * cat, extract, export and diff against independent truth: final-fs.json
 * (buildah's mounted rootfs with sha256 of every file), GNU tar reading the
 * layer blobs and the exported tar, sha256 computed here from bytes.
 */

const IMAGES = ['base', 'app1-old', 'app1', 'app2', 'fixture', 'opaque', 'gnutar'];
const archive = (image: string, variant: string) => join(FIXTURES, 'real', image, `${image}.${variant}`);
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const tmp = tempDir('layerdig-x-');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const catBytes = (args: string[]) => {
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'layerdig.js'), 'cat', ...args], { cwd: ROOT, maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout as Buffer, stderr: String(r.stderr) };
};

/** A member of layer k of a docker-archive, extracted by GNU tar. */
function gnuTarMember(src: string, k: number, member: string): Buffer {
  const manifest = JSON.parse(execFileSync('tar', ['-xOf', src, 'manifest.json'], { encoding: 'utf8' })) as { Layers: string[] }[];
  const layer = join(tmp, `gnu-layer-${k}.tar`);
  writeFileSync(layer, execFileSync('tar', ['-xOf', src, manifest[0]!.Layers[k]!], { maxBuffer: 64 << 20 }));
  return execFileSync('tar', ['-xOf', layer, member], { maxBuffer: 64 << 20 });
}

describe('cat', () => {
  const src = archive('fixture', 'docker-archive.tar');
  const truth = new Map(finalFs('fixture').map((e) => [e.path, e]));

  it.each(['opt/fixture/data/random-2M.bin', 'opt/fixture/sub/hard-c', 'opt/fixture/ünïcödé-名前.txt', 'opt/fixture/no-perms.txt', 'etc/shadow'])('%s: sha256 equals final-fs.json', async (p) => {
    const r = catBytes([src, p]);
    expect(r.code).toBe(0);
    expect(sha(r.stdout)).toBe(truth.get(p)!.sha256);
  });

  it('follows symlinks inside the image (bin → usr/bin, absolute, chained)', async () => {
    expect(sha(catBytes([src, 'bin/hello']).stdout)).toBe(truth.get('usr/bin/hello')!.sha256);
    expect(sha(catBytes([src, 'opt/fixture/link-abs']).stdout)).toBe(truth.get('opt/fixture/modify-me.txt')!.sha256);
    expect(sha(catBytes([src, 'opt/fixture/link-chain']).stdout)).toBe(truth.get('opt/fixture/keep.txt')!.sha256);
    expect(sha(catBytes([src, '/opt/fixture/link-to-dir/new-1.txt']).stdout)).toBe(truth.get('opt/fixture/replace-dir/new-1.txt')!.sha256);
  });

  it('--layer N recovers a file a later layer deleted: the bytes GNU tar extracts from that layer blob', async () => {
    const gone = catBytes([src, 'opt/fixture/lifecycle.txt']);
    expect(gone.code).toBe(4);
    expect(gone.stderr).toMatch(/layer 4 wrote it; layer 5 deleted it: read it with --layer 4/);
    for (const [k, member] of [[4, 'opt/fixture/lifecycle.txt'], [2, 'opt/fixture/lifecycle.txt'], [2, 'opt/fixture/delete-dir/sub/b.txt'], [0, 'etc/hostname']] as const) {
      const r = catBytes([src, '--layer', String(k), member]);
      expect(r.code).toBe(0);
      expect(r.stdout.equals(gnuTarMember(src, k, member))).toBe(true);
    }
  });

  it('a directory, a dangling link, a missing path', async () => {
    expect(catBytes([src, 'etc']).code).toBe(2);
    expect(catBytes([src, 'opt/fixture/link-dangling']).code).toBe(4);
    expect(catBytes([src, 'no/such/file']).code).toBe(4);
  });
});

/** Walk a directory: path → lstat, relative paths. */
function walk(root: string): Map<string, Stats> {
  const out = new Map<string, Stats>();
  const rec = (d: string) => {
    for (const name of readdirSync(d)) {
      const abs = join(d, name);
      const st = lstatSync(abs);
      out.set(relative(root, abs), st);
      if (st.isDirectory()) rec(abs);
    }
  };
  rec(root);
  return out;
}

function expectTreeMatches(root: string, truth: FinalFsEntry[], opts: { rewrittenLinks: boolean }) {
  const got = walk(root);
  expect([...got.keys()].sort()).toEqual(truth.map((t) => t.path).sort());
  for (const t of truth) {
    const st = got.get(t.path)!;
    const abs = join(root, t.path);
    if (t.type === 'd') expect(st.isDirectory(), t.path).toBe(true);
    if (t.type === 'f') {
      expect(st.isFile(), t.path).toBe(true);
      expect(sha(readFileSync(abs)), t.path).toBe(t.sha256);
      expect(st.mode & 0o777, t.path).toBe(parseInt(t.mode, 8) & 0o777);
      expect(st.nlink, t.path).toBe(t.nlink);
    }
    if (t.type === 'l') {
      expect(st.isSymbolicLink(), t.path).toBe(true);
      const target = readlinkSync(abs);
      if (opts.rewrittenLinks && t.link_target!.startsWith('/')) {
        // rewritten relative: it names the same place, with the output directory as the image root
        expect(resolve(dirname(abs), target)).toBe(join(root, t.link_target!));
      } else expect(target).toBe(t.link_target);
    }
  }
}

describe('extract', () => {
  it.each([['fixture', 'oci-zstd'], ['fixture', 'docker-archive-gz.tar.gz'], ['opaque', 'oci-archive.tar'], ['gnutar', 'dir-gzip']])('%s %s: everything (/) equals final-fs.json (sha256, modes, links, hard links)', async (image, variant) => {
    const out = join(tmp, `extract-${image}-${variant}`);
    const r = await runJsonFast<{ files: number; hardlinks: number; output: string }>(['extract', archive(image, variant), '/', '-o', out]);
    expect(r.output).toBe(out);
    expectTreeMatches(out, finalFs(image), { rewrittenLinks: true });
    if (image === 'fixture') expect(statSync(join(out, 'opt/fixture/hard-a')).ino).toBe(statSync(join(out, 'opt/fixture/sub/hard-c')).ino);
  });

  it('a subtree, a hard link without its file, and --layer N (bytes as GNU tar extracts them)', async () => {
    const src = archive('fixture', 'docker-archive.tar');
    const out = join(tmp, 'extract-parts');
    const r = await runInProcess(['extract', src, 'opt/fixture/sub', 'etc', '-o', out]);
    expect(r.code).toBe(0);
    expect([...walk(out).keys()].sort()).toEqual(['etc', 'etc/group', 'etc/os-release', 'etc/passwd', 'etc/shadow', 'opt', 'opt/fixture', 'opt/fixture/sub', 'opt/fixture/sub/hard-c']);
    expect(sha(readFileSync(join(out, 'opt/fixture/sub/hard-c')))).toBe(finalFs('fixture').find((e) => e.path === 'opt/fixture/sub/hard-c')!.sha256);
    const old = join(tmp, 'extract-layer2');
    expect((await runInProcess(['extract', src, '--layer', '2', 'opt/fixture/delete-dir', 'opt/fixture/lifecycle.txt', '-o', old])).code).toBe(0);
    for (const m of ['opt/fixture/delete-dir/a.txt', 'opt/fixture/delete-dir/sub/b.txt', 'opt/fixture/lifecycle.txt']) {
      expect(readFileSync(join(old, m)).equals(gnuTarMember(src, 2, m))).toBe(true);
    }
  });

  it('a path the image does not have', async () => {
    expect((await runInProcess(['extract', archive('base', 'docker-archive.tar'), 'nope', '-o', join(tmp, 'nope')])).code).toBe(4);
  });

  it('never silently overwrites a file already in the output directory: refuses (nothing written) unless --overwrite', async () => {
    const src = archive('base', 'docker-archive.tar');
    const out = join(tmp, 'extract-again');
    mkdirSync(join(out, 'etc'), { recursive: true });
    writeFileSync(join(out, 'etc/os-release'), 'mine\n');
    const r = await runInProcess(['extract', src, 'etc', '-o', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/1 file to extract already exists \("etc\/os-release"\); nothing written \(--overwrite replaces them\)/);
    expect(readFileSync(join(out, 'etc/os-release'), 'utf8')).toBe('mine\n');
    expect(readdirSync(join(out, 'etc'))).toEqual(['os-release']);
    expect((await runInProcess(['extract', src, 'etc', '-o', out, '--overwrite'])).code).toBe(0);
    expect(readFileSync(join(out, 'etc/os-release')).equals(gnuTarMember(src, 0, 'etc/os-release'))).toBe(true);
  });
});

/** `tar -tv --numeric-owner --utc --quoting-style=literal` line → fields. */
function parseTv(line: string) {
  const m = /^(\S)(\S{9}) (\d+)\/(\d+)\s+(\d+) (\d{4}-\d\d-\d\d \d\d:\d\d) (.*)$/.exec(line);
  if (!m) throw new Error(`unparsed: ${line}`);
  let name = m[7]!;
  let link: string | null = null;
  if (m[1] === 'l') [name, link] = name.split(' -> ') as [string, string];
  if (m[1] === 'h') [name, link] = name.split(' link to ') as [string, string];
  return { type: m[1]!, perms: m[2]!, uid: Number(m[3]), gid: Number(m[4]), size: Number(m[5]), name: name.replace(/\/$/, ''), link };
}

const permString = (mode: number) => {
  const b = (m: number, c: string) => (mode & m ? c : '-');
  const s = (x: number, sp: number, l: string, u: string) => (mode & sp ? (mode & x ? l : u) : b(x, 'x'));
  return b(0o400, 'r') + b(0o200, 'w') + s(0o100, 0o4000, 's', 'S') + b(0o40, 'r') + b(0o20, 'w') + s(0o10, 0o2000, 's', 'S') + b(0o4, 'r') + b(0o2, 'w') + s(0o1, 0o1000, 't', 'T');
};

describe.each(IMAGES)('export %s: GNU tar lists and extracts exactly final-fs.json', (image) => {
  it.each(['docker-archive.tar', 'docker-archive-gz.tar.gz', 'oci-zstd'])('%s', async (variant) => {
    const out = join(tmp, `export-${image}-${variant}.tar`);
    const doc = await runJsonFast<{ tarBytes: number; files: number; hardlinks: number }>(['export', archive(image, variant), '-o', out]);
    expect(statSync(out).size).toBe(doc.tarBytes);
    const lines = execFileSync('tar', ['-tvf', out, '--numeric-owner', '--utc', '--quoting-style=literal'], { encoding: 'utf8' }).trim().split('\n').map(parseTv);
    const truth = finalFs(image);
    expect(lines.map((l) => l.name).sort()).toEqual(truth.map((t) => t.path).sort());
    const byName = new Map(lines.map((l) => [l.name, l]));
    for (const t of truth) {
      const l = byName.get(t.path)!;
      expect({ p: t.path, type: l.type === 'h' || l.type === '-' ? 'f' : l.type, perms: l.perms, uid: l.uid, gid: l.gid })
        .toEqual({ p: t.path, type: t.type, perms: permString(parseInt(t.mode, 8)), uid: t.uid, gid: t.gid });
      if (t.type === 'l') expect(l.link).toBe(t.link_target);
      if (l.type === 'h') {
        // a hard link names a member written before it, with the same bytes
        expect(lines.findIndex((x) => x.name === l.link)).toBeLessThan(lines.indexOf(l));
        expect(truth.find((x) => x.path === l.link)!.sha256).toBe(t.sha256);
      } else if (t.type === 'f') expect(l.size).toBe(t.size);
    }
    const dir = join(tmp, `export-${image}-${variant}`);
    mkdirSync(dir);
    execFileSync('tar', ['-xf', out, '-C', dir]);
    for (const t of truth) if (t.type === 'f') expect(sha(readFileSync(join(dir, t.path))), t.path).toBe(t.sha256);
  });
});

describe('export keeps xattrs byte for byte (python tarfile reads both the layer and the export)', () => {
  it('security.capability and user.* of the fixture image', async () => {
    const out = join(tmp, 'export-xattrs.tar');
    expect((await runInProcess(['export', archive('fixture', 'oci-gzip'), '-o', out])).code).toBe(0);
    const py = `
import tarfile, json, base64, sys
def xattrs(t):
    return {m.name: {k: base64.b64encode(v.encode('utf-8', 'surrogateescape')).decode() for k, v in m.pax_headers.items() if k.startswith('SCHILY.xattr.')} for m in t.getmembers() if any(k.startswith('SCHILY.xattr.') for k in m.pax_headers)}
print(json.dumps(xattrs(tarfile.open(sys.argv[1]))))
`;
    const got = JSON.parse(execFileSync('python3', ['-c', py, out], { encoding: 'utf8' }));
    const src = archive('fixture', 'docker-archive.tar');
    const layer = join(tmp, 'xattr-layer.tar');
    const manifest = JSON.parse(execFileSync('tar', ['-xOf', src, 'manifest.json'], { encoding: 'utf8' })) as { Layers: string[] }[];
    writeFileSync(layer, execFileSync('tar', ['-xOf', src, manifest[0]!.Layers[2]!], { maxBuffer: 64 << 20 }));
    const want = JSON.parse(execFileSync('python3', ['-c', py, layer], { encoding: 'utf8' }));
    expect(Object.keys(want).sort()).toEqual(['opt/fixture/bin/cap-tool', 'opt/fixture/xattr.txt']);
    expect(got).toEqual(want);
  });

  it('-o - writes the tar to stdout', async () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'layerdig.js'), 'export', archive('base', 'oci'), '-o', '-', '-q'], { cwd: ROOT, maxBuffer: 64 << 20 });
    expect(r.status).toBe(0);
    const p = join(tmp, 'stdout.tar');
    writeFileSync(p, r.stdout as Buffer);
    expect(execFileSync('tar', ['-tf', p], { encoding: 'utf8' }).trim().split('\n').map((n) => n.replace(/\/$/, '')).sort()).toEqual(finalFs('base').map((e) => e.path).sort());
  });
});

interface DiffDoc { sharedLayers: number; sharedChainId: string | null; files: { path: string; change: string; sizeA: number | null; sizeB: number | null; what: string[] }[]; summary: { added: number; removed: number; changed: number } }

/** added / removed / changed between two final-fs.json files (type, mode, owner, link target, sha256). */
function expectedDiff(a: string, b: string): string[] {
  const A = new Map(finalFs(a).map((e) => [e.path, e]));
  const B = new Map(finalFs(b).map((e) => [e.path, e]));
  const out: string[] = [];
  for (const p of A.keys()) if (!B.has(p)) out.push(`removed ${p}`);
  for (const [p, y] of B) {
    const x = A.get(p);
    if (!x) out.push(`added ${p}`);
    else if (x.type !== y.type || x.mode !== y.mode || x.uid !== y.uid || x.gid !== y.gid || (x.link_target ?? null) !== (y.link_target ?? null) || (x.sha256 ?? null) !== (y.sha256 ?? null)) out.push(`changed ${p}`);
  }
  return out.sort();
}

describe('diff', () => {
  const truthOf = (name: string) => realArchives().find((a) => a.name === name)!.truth.images[0]!;
  const common = (x: string[], y: string[]) => { let n = 0; while (n < x.length && n < y.length && x[n] === y[n]) n++; return n; };

  it.each([['app1-old', 'app1'], ['app1', 'app2'], ['base', 'fixture'], ['app2', 'opaque']])('%s → %s: files as final-fs.json says, shared layers as the truth chainIDs say', async (a, b) => {
    const doc = await runJsonFast<DiffDoc>(['diff', archive(a, 'docker-archive.tar'), archive(b, 'oci-zstd')]);
    expect(doc.files.map((f) => `${f.change} ${f.path}`).sort()).toEqual(expectedDiff(a, b));
    const ca = truthOf(`${a}/${a}.docker-archive.tar`).chain_ids;
    const cb = truthOf(`${b}/${b}.oci-zstd`).chain_ids;
    expect(doc.sharedLayers).toBe(common(ca, cb));
    for (const f of doc.files) {
      if (f.change !== 'added') expect(f.sizeA).toBe(finalFs(a).find((e) => e.path === f.path)!.size ?? 0);
    }
  });

  it('-i twice in one archive equals the same images from two archives', async () => {
    const multi = realArchives().find((x) => x.name === 'multi/multi.docker-archive.tar')!;
    const old = multi.truth.images.find((i) => i.untagged)!;
    const one = await runJsonFast<DiffDoc>(['diff', multi.path, '-i', old.image_id.slice(7, 19), '-i', 'localhost/rw/app1:latest']);
    const two = await runJsonFast<DiffDoc>(['diff', archive('app1-old', 'docker-archive.tar'), archive('app1', 'docker-archive.tar')]);
    expect(one.files).toEqual(two.files);
    expect(one.files.map((f) => `${f.change} ${f.path}`).sort()).toEqual(expectedDiff('app1-old', 'app1'));
    expect((await runInProcess(['diff', multi.path])).code).toBe(2);
  });

  it('an image against itself: every layer shared, no files', async () => {
    const doc = await runJsonFast<DiffDoc>(['diff', archive('fixture', 'docker-archive.tar'), archive('fixture', 'dir')]);
    expect(doc.files).toEqual([]);
    expect(doc.sharedLayers).toBe(truthOf('fixture/fixture.docker-archive.tar').layer_count);
  });
});
