import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tmp.js';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Readable } from 'node:stream';
import { runInProcess } from './helpers/cli.js';
import { writeDockerArchive } from './helpers/hostile-archive.js';
import { SafeDirWriter } from '../src/export/dir-writer.js';

/**
 * A hostile archive, built here with tar-stream: `..` names, an absolute name,
 * hard links to absolute and climbing targets, a symlink that climbs out, a
 * symlink to an outside directory followed by a file "through" it. extract
 * and export must refuse every escaping member, name it, and write nothing
 * outside the output directory; a link already in the output directory is
 * never written through.
 */

const root = tempDir('layerdig-hostile-');
const outside = join(root, 'outside');
const hostile = join(root, 'hostile.tar');
const benign = join(root, 'benign.tar');

/** Every path under a directory with its type and bytes (what "unchanged" means). */
function snapshot(dir: string): string[] {
  const out: string[] = [];
  const rec = (d: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      const st = lstatSync(p);
      out.push(`${relative(root, p)} ${st.isSymbolicLink() ? `-> ${readlinkSync(p)}` : st.isDirectory() ? 'dir' : readFileSync(p, 'utf8')}`);
      if (st.isDirectory()) rec(p);
    }
  };
  rec(dir);
  return out;
}

beforeAll(async () => {
  mkdirSync(outside);
  writeFileSync(join(outside, 'target.txt'), 'outside, untouched\n');
  const climb = `${'../'.repeat(12)}${outside.slice(1)}`;
  await writeDockerArchive(hostile, [
    [
      { name: 'etc/', type: 'directory' },
      { name: 'etc/passwd', body: 'root:x:0:0::/root:/bin/sh\n' },
      { name: '../evil.txt', body: 'escaped via ..\n' },
      { name: '/abs-evil.txt', body: 'escaped via an absolute name\n' },
      { name: 'a/../../evil2.txt', body: 'escaped via a/../..\n' },
      { name: 'escape', type: 'symlink', linkname: climb },
      { name: 'hl-abs', type: 'link', linkname: '/etc/passwd' },
      { name: 'hl-up', type: 'link', linkname: '../outside/target.txt' },
      { name: 'abs-link', type: 'symlink', linkname: '/etc/passwd' },
      { name: 'lnk', type: 'symlink', linkname: outside },
    ],
    [
      // written "through" the symlink lnk: a real extraction would write into `outside`; refused
      { name: 'lnk/pwned.txt', body: 'must never be written\n' },
    ],
  ], 'hostile:1');
  await writeDockerArchive(benign, [[{ name: 'etc/', type: 'directory' }, { name: 'etc/passwd', body: 'benign\n' }, { name: 'etc/hosts', body: '127.0.0.1 localhost\n' }]], 'benign:1');
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const REFUSED = ['../evil.txt', 'a/../../evil2.txt', 'abs-evil.txt', 'escape', 'hl-abs', 'hl-up', 'lnk/pwned.txt'];

function expectNothingEscaped(before: string[]) {
  expect(snapshot(outside)).toEqual(before);
  for (const p of [join(root, 'evil.txt'), join(root, 'evil2.txt'), join(tmpdir(), 'evil.txt'), join(tmpdir(), 'evil2.txt'), '/abs-evil.txt', '/evil.txt', '/evil2.txt']) {
    expect(existsSync(p), p).toBe(false);
  }
}

describe('extract refuses every escaping member of a hostile archive', () => {
  it('default: exit 3 (E_UNSAFE_PATH), the members named, nothing written at all', async () => {
    const before = snapshot(outside);
    const out = join(root, 'out-refused');
    const r = await runInProcess(['extract', hostile, '/', '-o', out]);
    expect(r.code).toBe(3);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/refused "\.\.\/evil\.txt" \(layer 0\)/);
    for (const m of REFUSED) expect(r.stderr).toContain(JSON.stringify(m));
    expect(existsSync(out)).toBe(false);
    expectNothingEscaped(before);
  });

  it('--skip-unsafe: the rest is written inside the output directory only (exit 1)', async () => {
    const before = snapshot(outside);
    const out = join(root, 'out-skip');
    const r = await runInProcess(['extract', hostile, '/', '-o', out, '--json', '--skip-unsafe']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { refused: { path: string }[] };
    expect(doc.refused.map((x) => x.path).sort()).toEqual(REFUSED);
    expect(snapshot(out).map((l) => l.replace(`${relative(root, out)}/`, ''))).toEqual([
      'a dir',
      'abs-link -> etc/passwd',
      'etc dir',
      'etc/passwd root:x:0:0::/root:/bin/sh\n',
      // the link itself, its absolute target rewritten to stay inside the output directory
      `lnk -> ${outside.slice(1)}`,
    ]);
    expectNothingEscaped(before);
  });
});

describe('export refuses every escaping member of a hostile archive', () => {
  it('default: exit 3, no tar (not even a partial one)', async () => {
    const out = join(root, 'rootfs-refused.tar');
    const r = await runInProcess(['export', hostile, '-o', out]);
    expect(r.code).toBe(3);
    for (const m of REFUSED) expect(r.stderr).toContain(JSON.stringify(m));
    expect(readdirSync(root).filter((n) => n.startsWith('rootfs-refused'))).toEqual([]);
  });

  it('--skip-unsafe: GNU tar finds no escaping name or link in the tar', async () => {
    const out = join(root, 'rootfs-skip.tar');
    expect((await runInProcess(['export', hostile, '-o', out, '--skip-unsafe'])).code).toBe(1);
    const lines = execFileSync('tar', ['-tvf', out, '--quoting-style=literal'], { encoding: 'utf8' }).trim().split('\n');
    const names = execFileSync('tar', ['-tf', out, '--quoting-style=literal'], { encoding: 'utf8' }).trim().split('\n');
    expect(names.sort()).toEqual(['a/', 'abs-link', 'etc/', 'etc/passwd', 'lnk']);
    expect(lines.find((l) => l.includes('lnk'))).toMatch(new RegExp(`lnk -> ${outside}$`));
    expect(lines.some((l) => l.startsWith('h'))).toBe(false);
    expect(lines.find((l) => l.includes('abs-link'))).toMatch(/abs-link -> \/etc\/passwd$/);
  });
});

describe('an entry written through the image\'s own symbolic link is refused, as GNU tar shows it would escape', () => {
  // layer 0: evil -> <root>/through-target (absolute), rel -> sub, sub/, rel/y; layer 1: evil/x
  const arch = join(root, 'through.tar');
  const target = join(root, 'through-target');
  const layers0 = (): Parameters<typeof writeDockerArchive>[1] => [
    [
      { name: 'evil', type: 'symlink', linkname: target },
      { name: 'rel', type: 'symlink', linkname: 'sub' },
      { name: 'sub/', type: 'directory' },
      { name: 'rel/y', body: 'through a relative link\n' },
    ],
    [{ name: 'evil/x', body: 'through an absolute link\n' }],
  ];
  const THROUGH = ['evil/x', 'rel/y'];

  beforeAll(async () => {
    mkdirSync(target);
    const { diffIds } = await writeDockerArchive(arch, layers0(), 'through:1');
    // truth: GNU tar applies the layers in order, as a naive unpacker would
    const unpacked = join(root, 'through-layers');
    const gnu = join(root, 'through-gnu');
    mkdirSync(unpacked);
    mkdirSync(gnu);
    execFileSync('tar', ['-xf', arch, '-C', unpacked]);
    for (const d of diffIds) execFileSync('tar', ['-xf', join(unpacked, `${d.slice(7)}/layer.tar`), '-C', gnu]);
  });

  it('GNU tar writes both entries through the links: rel/y into sub/, evil/x into the directory outside', () => {
    const gnu = join(root, 'through-gnu');
    expect(lstatSync(join(gnu, 'evil')).isSymbolicLink()).toBe(true);
    expect(lstatSync(join(gnu, 'rel')).isSymbolicLink()).toBe(true);
    expect(readFileSync(join(gnu, 'sub', 'y'), 'utf8')).toBe('through a relative link\n');
    expect(readFileSync(join(target, 'x'), 'utf8')).toBe('through an absolute link\n');
    rmSync(join(target, 'x'));
  });

  it('extract: exit 3, each entry named with the link it goes through, nothing written', async () => {
    const out = join(root, 'through-out');
    const r = await runInProcess(['extract', arch, '/', '-o', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/refused "evil\/x" \(layer 1\): written through the symbolic link "evil" \(-> ".*through-target", layer 0\)/);
    expect(r.stderr).toMatch(/"rel\/y": written through the symbolic link "rel" \(-> "sub", layer 0\)/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(target)).toEqual([]);
  });

  it('extract --skip-unsafe: the links are written as links, nothing through them (exit 1)', async () => {
    const out = join(root, 'through-skip');
    const r = await runInProcess(['extract', arch, '/', '-o', out, '--skip-unsafe', '--json']);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as { refused: { path: string }[] }).refused.map((x) => x.path).sort()).toEqual(THROUGH);
    expect(snapshot(out).map((l) => l.replace(`${relative(root, out)}/`, ''))).toEqual([`evil -> ${target.slice(1)}`, 'rel -> sub', 'sub dir']);
    expect(readdirSync(target)).toEqual([]);
  });

  it('export: exit 3 without --skip-unsafe; with it, GNU tar lists the links and no entry below them', async () => {
    const refused = join(root, 'through-refused.tar');
    const r = await runInProcess(['export', arch, '-o', refused]);
    expect(r.code).toBe(3);
    for (const m of THROUGH) expect(r.stderr).toContain(JSON.stringify(m));
    expect(existsSync(refused)).toBe(false);
    const out = join(root, 'through-skip.tar');
    expect((await runInProcess(['export', arch, '-o', out, '--skip-unsafe'])).code).toBe(1);
    expect(execFileSync('tar', ['-tf', out], { encoding: 'utf8' }).trim().split('\n').sort()).toEqual(['evil', 'rel', 'sub/']);
  });
});

describe('the writer never writes through a link already in the output directory', () => {
  it('a directory symlink planted in -o DIR is refused, not followed', async () => {
    const before = snapshot(outside);
    const out = join(root, 'out-planted');
    mkdirSync(out);
    symlinkSync(outside, join(out, 'etc'));
    const r = await runInProcess(['extract', benign, 'etc', '-o', out]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/refused "etc".*symbolic link/);
    expectNothingEscaped(before);
  });

  it('a file symlink planted where a file goes: refused (nothing written); with --overwrite replaced, its target untouched', async () => {
    const before = snapshot(outside);
    const out = join(root, 'out-planted-file');
    mkdirSync(join(out, 'etc'), { recursive: true });
    symlinkSync(join(outside, 'target.txt'), join(out, 'etc', 'passwd'));
    const refused = await runInProcess(['extract', benign, 'etc', '-o', out]);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/already exists.*"etc\/passwd".*--overwrite/);
    expect(lstatSync(join(out, 'etc', 'passwd')).isSymbolicLink()).toBe(true);
    expectNothingEscaped(before);
    expect((await runInProcess(['extract', benign, 'etc', '-o', out, '--overwrite'])).code).toBe(0);
    expect(lstatSync(join(out, 'etc', 'passwd')).isFile()).toBe(true);
    expect(readFileSync(join(out, 'etc', 'passwd'), 'utf8')).toBe('benign\n');
    expectNothingEscaped(before);
  });

  it('SafeDirWriter itself: .. and absolute names, links through planted symlinks, hard links to files it did not write', async () => {
    const before = snapshot(outside);
    const dir = join(root, 'writer');
    const w = await SafeDirWriter.open(dir);
    await expect(w.file('../x', Readable.from([Buffer.from('x')]), 0o644, 0)).rejects.toThrow(/refused/);
    await expect(w.file('/abs', Readable.from([Buffer.from('x')]), 0o644, 0)).rejects.toThrow(/refused/);
    symlinkSync(outside, join(dir, 'planted'));
    await expect(w.file('planted/x', Readable.from([Buffer.from('x')]), 0o644, 0)).rejects.toThrow(/symbolic link/);
    await expect(w.dir('planted', 0o755, 0)).rejects.toThrow(/symbolic link/);
    await expect(w.hardlink('hl', 'planted/target.txt')).rejects.toThrow(/did not write/);
    await w.file('ok', Readable.from([Buffer.from('ok')]), 0o644, 0);
    await w.hardlink('ok2', 'ok');
    expect(lstatSync(join(dir, 'ok')).ino).toBe(lstatSync(join(dir, 'ok2')).ino);
    expectNothingEscaped(before);
  });
});
