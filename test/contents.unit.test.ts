import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { Readable } from 'node:stream';
import { overlay } from '../src/analysis/filetree.js';
import { globToRegExp, pathMatcher } from '../src/analysis/glob.js';
import { normalizeImagePath, relativeLinkTarget, resolveImagePath, symlinkTargetInRoot } from '../src/layer/image-path.js';
import { contentCandidates, contentQuery, findRows, pathQuery } from '../src/analysis/find-file.js';
import { planExtract } from '../src/analysis/extract-plan.js';
import { diffTrees, settle, sharedLayers, summarize } from '../src/analysis/diff.js';
import { locateFile } from '../src/analysis/locate.js';
import { readLayer } from '../src/layer/pass.js';
import { decodePaxRecords } from '../src/store/pax.js';
import { classifyWhiteout, unsafeReason, type LayerEntry } from '../src/layer/entry.js';
import { modeString } from '../src/report/ls.js';
import type { Image } from '../src/image/model.js';

const f = (path: string, size = 1, extra: Partial<LayerEntry> = {}): LayerEntry =>
  classifyWhiteout({ path, type: 'file', size, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: null, ...extra });
const d = (path: string, extra: Partial<LayerEntry> = {}): LayerEntry =>
  classifyWhiteout({ path, type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 0, linkTarget: null, ...extra });
const l = (path: string, target: string): LayerEntry => ({ ...f(path, 0), type: 'symlink', mode: 0o777, linkTarget: target });
const h = (path: string, target: string): LayerEntry => ({ ...f(path, 0), type: 'hardlink', linkTarget: target });

describe('glob → RegExp (no dependency)', () => {
  const m = (g: string, s: string) => globToRegExp(g).test(s);
  it('* stays in one component, ** crosses them, **/ also matches no directory', () => {
    expect(m('etc/*.conf', 'etc/a.conf')).toBe(true);
    expect(m('etc/*.conf', 'etc/x/a.conf')).toBe(false);
    expect(m('usr/**/libssl*', 'usr/lib/x86_64-linux-gnu/libssl.so.3')).toBe(true);
    expect(m('usr/**/libssl*', 'usr/libssl.so')).toBe(true);
    expect(m('**', 'a/b/c')).toBe(true);
    expect(m('a/**', 'a')).toBe(false);
  });
  it('? [set] [!set] {alternatives} and escapes', () => {
    expect(m('file?.txt', 'file1.txt')).toBe(true);
    expect(m('file?.txt', 'file/.txt')).toBe(false);
    expect(m('[a-c]x', 'bx')).toBe(true);
    expect(m('[!a-c]x', 'bx')).toBe(false);
    expect(m('[!a-c]x', 'dx')).toBe(true);
    expect(m('*.{pem,key}', 'id.key')).toBe(true);
    expect(m('*.{pem,key}', 'id.crt')).toBe(false);
    expect(m('a\\*b', 'a*b')).toBe(true);
    expect(m('a\\*b', 'axb')).toBe(false);
    expect(m('back\\\\slash.txt', 'back\\slash.txt')).toBe(true);
    expect(m('(x)+.txt', '(x)+.txt')).toBe(true);
    expect(m('emoji-?.txt', 'emoji-😀.txt')).toBe(true);
  });
  it('a pattern without / names the last component anywhere; with / the whole path', () => {
    expect(pathMatcher('passwd')('etc/passwd')).toBe(true);
    expect(pathMatcher('passwd')('etc/passwd-')).toBe(false);
    expect(pathMatcher('/etc/passwd')('etc/passwd')).toBe(true);
    expect(pathMatcher('etc/passwd')('x/etc/passwd')).toBe(false);
    expect(pathMatcher('*.txt')('a/b/c.txt')).toBe(true);
  });
});

describe('paths inside an image', () => {
  const o = overlay([[d('usr'), d('usr/bin'), f('usr/bin/sh', 3), l('bin', 'usr/bin'), d('etc'), l('etc/abs', '/usr/bin/sh'),
    l('etc/up', '../../../../usr/bin/sh'), l('loop1', 'loop2'), l('loop2', 'loop1'), l('etc/dangling', '/nope'), f('file', 1)]]);
  const get = (p: string) => o.final.get(p);
  it('follows symlinks inside the root: absolute targets start at the image root, .. stops at the root', () => {
    expect(resolveImagePath(get, '/bin/sh')).toMatchObject({ ok: true, path: 'usr/bin/sh' });
    expect(resolveImagePath(get, 'etc/abs')).toMatchObject({ ok: true, path: 'usr/bin/sh' });
    expect(resolveImagePath(get, 'etc/up')).toMatchObject({ ok: true, path: 'usr/bin/sh' });
    expect(resolveImagePath(get, 'etc/../bin/./sh')).toMatchObject({ ok: true, path: 'usr/bin/sh' });
    expect(resolveImagePath(get, 'bin', false)).toMatchObject({ ok: true, path: 'bin' });
    expect(resolveImagePath(get, '/')).toEqual({ ok: true, path: '', node: null });
  });
  it('loops, dangling links and files used as directories are reported', () => {
    expect(resolveImagePath(get, 'loop1')).toMatchObject({ ok: false, reason: 'loop' });
    expect(resolveImagePath(get, 'etc/dangling')).toMatchObject({ ok: false, reason: 'missing', at: 'nope' });
    expect(resolveImagePath(get, 'file/x')).toMatchObject({ ok: false, reason: 'not-a-directory' });
  });
  it('symlink targets relative to the root; relative rewrites', () => {
    expect(symlinkTargetInRoot('a/b/link', '../c')).toBe('a/c');
    expect(symlinkTargetInRoot('a/link', '../../x')).toBeNull();
    expect(symlinkTargetInRoot('a/link', '/etc/x')).toBe('etc/x');
    expect(relativeLinkTarget('opt/fixture/link-abs', 'opt/fixture/modify-me.txt')).toBe('modify-me.txt');
    expect(relativeLinkTarget('etc/localtime', 'usr/share/zoneinfo/UTC')).toBe('../usr/share/zoneinfo/UTC');
    expect(relativeLinkTarget('link', '')).toBe('.');
    expect(normalizeImagePath('/./etc//passwd/')).toBe('etc/passwd');
  });
  it('cat: a hard link reads its file; a deleted file says which --layer has it', () => {
    const layers = [[f('a', 4), h('b', 'a'), f('gone', 2)], [f('.wh.gone'), f('.wh.a')]];
    const ov = overlay(layers);
    const r = locateFile(ov, layers, 'b', null);
    expect(r.entry).toBe(layers[0]![0]);
    expect(() => locateFile(ov, layers, 'gone', null)).toThrow(/layer 0 wrote it; layer 1 deleted it: read it with --layer 0/);
    expect(locateFile(overlay(layers.slice(0, 1)), layers, 'gone', 0).entry).toBe(layers[0]![2]);
  });
});

describe('overlay: hard links resolve to the entry holding their bytes', () => {
  it('chains, same-layer targets, and a target deleted later', () => {
    const l0 = [f('a', 9), h('b', 'a'), h('c', 'b')];
    const o = overlay([l0, [f('.wh.a')]]);
    expect(o.final.get('b')!.linkedTo).toEqual({ layerIndex: 0, entry: l0[0] });
    expect(o.final.get('c')!.linkedTo).toEqual({ layerIndex: 0, entry: l0[0] });
    expect(o.final.has('a')).toBe(false);
    expect(o.links.get(l0[2]!)!.entry).toBe(l0[0]);
  });
  it('a link to a file rewritten later keeps the old bytes', () => {
    const l0 = [f('a', 1)];
    const l1 = [h('b', 'a')];
    const l2 = [f('a', 2)];
    const o = overlay([l0, l1, l2]);
    expect(o.final.get('b')!.linkedTo!.entry).toBe(l0[0]);
  });
});

describe('find-file rows', () => {
  const layers = [
    [d('etc'), f('etc/passwd', 10), f('etc/shadow', 5), d('opt'), f('opt/x', 3), h('opt/y', 'opt/x')],
    [d('etc'), f('etc/passwd', 12), f('etc/.wh.shadow'), f('opt/.wh..wh..opq')],
    [d('opt'), f('opt/x', 3, { mode: 0o600 }), f('etc/shadow', 6)],
  ];
  const rows = findRows(layers, pathQuery(() => true));
  const row = (k: number, p: string, c?: string) => rows.find((r) => r.layerIndex === k && r.path === p && (!c || r.change === c));
  it('every stored path with its change and fate', () => {
    expect(row(0, 'etc/passwd')).toMatchObject({ change: 'added', fate: { state: 'replaced', layerIndex: 1 } });
    expect(row(1, 'etc/passwd')).toMatchObject({ change: 'modified', fate: { state: 'final' }, size: 12 });
    expect(row(0, 'etc/shadow')).toMatchObject({ change: 'added', fate: { state: 'deleted', layerIndex: 1 } });
    expect(row(1, 'etc/shadow')).toMatchObject({ change: 'deleted', fate: { state: 're-added', layerIndex: 2 }, size: 5 });
    expect(row(0, 'opt/y')).toMatchObject({ change: 'added', size: 3, fate: { state: 'deleted', layerIndex: 1 } });
    expect(row(1, 'opt/x')).toMatchObject({ change: 'deleted', fate: { state: 're-added', layerIndex: 2 } });
    expect(row(1, 'opt/y')).toMatchObject({ change: 'deleted', fate: { state: 'absent' } });
    expect(row(1, 'etc')).toMatchObject({ change: 'unchanged', fate: { state: 'final' } });
    expect(row(2, 'opt')).toMatchObject({ change: 'unchanged' });
    // whiteout markers become deletion rows, never rows of their own
    expect(rows.some((r) => r.path.includes('.wh.'))).toBe(false);
  });
  it('content queries find hard links and never deletions', () => {
    const cands = contentCandidates(layers.flat(), 3);
    expect(cands.map((c) => c.path)).toEqual(['opt/x', 'opt/x']);
    const hits = findRows(layers, contentQuery(new Set([layers[0]![4]!])));
    expect(hits.map((r) => `${r.layerIndex} ${r.path} ${r.change}`)).toEqual(['0 opt/x added', '0 opt/y added']);
  });
});

describe('extract plan', () => {
  it('groups hard links under the file holding their bytes; the file itself owns the body', () => {
    const l0 = [d('a'), f('a/f', 5), h('a/g', 'a/f'), h('b', 'a/f')];
    const p = planExtract(overlay([l0]).final, [''], { symlinks: 'contain' });
    const g = p.groups.get(l0[1]!)!;
    expect(g.owner.path).toBe('a/f');
    expect(g.links.map((x) => x.path)).toEqual(['a/g', 'b']);
    // only the links extracted: the first one carries the bytes
    const q = planExtract(overlay([l0]).final, ['b'], { symlinks: 'contain' });
    expect(q.groups.get(l0[1]!)!.owner.path).toBe('b');
  });
  it('refuses .. names, absolute names, escaping hard links and climbing symlinks; rewrites absolute symlinks', () => {
    const evil = [
      f('../evil'), { ...f('abs'), unsafe: unsafeReason('/abs', null)! }, { ...h('hl', 'etc/passwd'), unsafe: unsafeReason('hl', '/etc/passwd')! },
      l('climb', '../../x'), l('ok-abs', '/etc/x'), l('ok-rel', 'x'), d('etc'), f('etc/x'),
    ];
    const p = planExtract(overlay([evil]).final, [''], { symlinks: 'contain' });
    // `..` itself is a parent no layer stated: the member refused is ../evil
    expect(p.refused.map((r) => r.path).sort()).toEqual(['../evil', 'abs', 'climb', 'hl']);
    expect(p.dirs.map((x) => x.path)).toEqual(['etc']);
    expect(p.symlinks.map((s) => [s.path, s.target, s.rewritten])).toEqual([['ok-abs', 'etc/x', true], ['ok-rel', 'x', false]]);
    const v = planExtract(overlay([evil]).final, [''], { symlinks: 'verbatim' });
    expect(v.refused.map((r) => r.path).sort()).toEqual(['../evil', 'abs', 'climb', 'hl']);
    expect(v.symlinks.map((s) => [s.path, s.target, s.rewritten])).toEqual([['ok-abs', '/etc/x', false], ['ok-rel', 'x', false]]);
  });
  it('unsafe raw names', () => {
    expect(unsafeReason('./etc/passwd', null)).toBeNull();
    expect(unsafeReason('/etc/passwd', null)).toMatch(/absolute/);
    expect(unsafeReason('a/../../b', null)).toMatch(/\.\./);
    expect(unsafeReason('x', '../y')).toMatch(/hard link/);
    expect(unsafeReason('x', 'ok/y')).toBeNull();
  });
});

describe('diff', () => {
  const img = (chains: string[]): Image => ({ layers: chains.map((c, i) => ({ index: i, chainId: c, diffId: c })) } as unknown as Image);
  it('shared layers are the equal chainIDs from the bottom', () => {
    expect(sharedLayers(img(['a', 'b', 'c']), img(['a', 'b', 'x'])).count).toBe(2);
    expect(sharedLayers(img(['a']), img(['z'])).chainId).toBeNull();
  });
  it('added, removed, changed; same entry = same bytes; same size from other layers needs hashing', () => {
    const base = [d('etc'), f('etc/a', 3), f('etc/b', 4), f('etc/c', 5), f('etc/gone', 1), l('ln', 'x')];
    const A = overlay([base, [f('etc/b', 4)]]);
    const B = overlay([base, [f('etc/b', 4), f('etc/c', 6), f('etc/new', 7), f('etc/.wh.gone'), l('ln', 'y'), f('etc/a', 3, { mode: 0o600 })]]);
    const t = diffTrees(A, B);
    expect(t.pending.map((p) => p.path)).toEqual(['etc/a', 'etc/b']);
    const digests = new Map<LayerEntry, string>();
    for (const p of t.pending) {
      digests.set(p.a, 'sha256:1');
      digests.set(p.b, p.path === 'etc/b' ? 'sha256:1' : 'sha256:2');
    }
    const files = settle(t, digests);
    expect(files.map((x) => `${x.change} ${x.path} ${x.what.join(',')}`)).toEqual([
      'changed etc/a mode,content', 'changed etc/c size,content', 'removed etc/gone ', 'added etc/new ', 'changed ln linkTarget',
    ]);
    expect(summarize(files)).toMatchObject({ added: 1, removed: 1, changed: 3, bytesAdded: 7, bytesRemoved: 1, bytesChanged: 1 });
  });
});

describe('PAX records are decoded byte-exactly', () => {
  const cap = Buffer.from([0x01, 0x00, 0x00, 0x02, 0x80, 0x20, 0x00, 0x00, 0xff, 0x00, 0x00, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
  it('binary xattr values keep every byte (tar-stream alone would turn 0x80 and 0xff into U+FFFD)', () => {
    const rec = (k: string, v: Buffer) => {
      const body = Buffer.concat([Buffer.from(` ${k}=`), v, Buffer.from('\n')]);
      let n = body.length + 2;
      while (String(n).length + body.length !== n) n = String(n).length + body.length;
      return Buffer.concat([Buffer.from(String(n)), body]);
    };
    const out = decodePaxRecords(Buffer.concat([rec('path', Buffer.from('dir/ünï.txt')), rec('SCHILY.xattr.security.capability', cap)]));
    expect(out.path).toBe('dir/ünï.txt');
    expect(Buffer.from(out['SCHILY.xattr.security.capability']!, 'latin1').equals(cap)).toBe(true);
  });
  it('a layer written by python tarfile: the capability read by readLayer equals the bytes written', async () => {
    const py = `
import tarfile, io, sys
cap = bytes(${JSON.stringify([...cap])})
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode='w', format=tarfile.PAX_FORMAT) as t:
    ti = tarfile.TarInfo('usr/bin/ping'); ti.size = 4; ti.mode = 0o755
    ti.pax_headers = {'SCHILY.xattr.security.capability': cap.decode('utf-8', 'surrogateescape')}
    t.addfile(ti, io.BytesIO(b'ping'))
sys.stdout.buffer.write(buf.getvalue())
`;
    const r = spawnSync('python3', ['-c', py], { maxBuffer: 1 << 20 });
    expect(r.status).toBe(0);
    const listing = await readLayer(Readable.from([r.stdout as Buffer]), { where: 'python.tar' });
    const e = listing.entries.find((x) => x.path === 'usr/bin/ping')!;
    expect(Buffer.from(e.xattrs!['security.capability']!, 'base64').equals(cap)).toBe(true);
  });
});

describe('ls mode strings', () => {
  it('setuid, setgid, sticky, with and without execute', () => {
    expect(modeString('file', 0o4755)).toBe('-rwsr-xr-x');
    expect(modeString('file', 0o2755)).toBe('-rwxr-sr-x');
    expect(modeString('dir', 0o1777)).toBe('drwxrwxrwt');
    expect(modeString('file', 0o4644)).toBe('-rwSr--r--');
    expect(modeString('dir', 0o1770)).toBe('drwxrwx--T');
    expect(modeString('symlink', 0o777)).toBe('lrwxrwxrwx');
    expect(modeString('file', 0)).toBe('----------');
  });
});
