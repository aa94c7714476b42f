import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tmp.js';
import { execFileSync } from 'node:child_process';
import { copyFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, runInProcess, runJsonFast } from './helpers/cli.js';
import { finalFs, realArchives } from './helpers/truth.js';

/**
 * ls and file against the fixtures' truth: final-fs.json (buildah's mounted
 * rootfs), the truth files' member lists (GNU tar), python's tarfile for
 * xattrs, GNU tar + sha256sum for content.
 */

interface LsEntry { path: string; type: string; size: number; mode: string; uid: number; gid: number; mtime: string; linkTarget: string | null; xattrs: Record<string, string> | null; layerIndex: number; change?: string }
interface LsDoc { image: { id: string }; layer: { index: number; diffId: string } | null; entries: LsEntry[] }
interface FileHit { image: { archive: string; id: string; repoTags: string[] }; layerIndex: number; diffId: string; path: string; type: string; change: string; inFinalImage: boolean; deletedInLayer: number | null; replacedInLayer: number | null; size: number; storage: string }

const TYPE: Record<string, string> = { file: 'f', hardlink: 'f', dir: 'd', symlink: 'l', char: 'c', block: 'b', fifo: 'p' };
const IMAGES = ['base', 'app1-old', 'app1', 'app2', 'fixture', 'opaque', 'gnutar'];
const archive = (image: string, variant: string) => join(FIXTURES, 'real', image, `${image}.${variant}`);
/** truth member names → layerdig's normalised paths (no ./, no trailing /); the root itself is not an entry */
const norm = (m: string) => m.replace(/^(\.\/)+/, '').replace(/\/+$/, '');

describe.each(IMAGES)('ls --merged --json equals final-fs.json: %s', (image) => {
  it.each(['docker-archive.tar', 'oci-zstd', 'docker-archive-gz.tar.gz'])('%s', async (variant) => {
    const doc = await runJsonFast<LsDoc>(['ls', archive(image, variant), '--merged']);
    expect(doc.layer).toBeNull();
    const truth = finalFs(image);
    expect(doc.entries.map((e) => e.path)).toEqual(truth.map((t) => t.path).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    const byPath = new Map(doc.entries.map((e) => [e.path, e]));
    for (const t of truth) {
      const e = byPath.get(t.path)!;
      expect({ path: t.path, type: TYPE[e.type], mode: parseInt(e.mode, 8), uid: e.uid, gid: e.gid })
        .toEqual({ path: t.path, type: t.type, mode: parseInt(t.mode, 8), uid: t.uid, gid: t.gid });
      if (t.type === 'l') expect(e.linkTarget).toBe(t.link_target);
      // hard links included: the size is the bytes of the file they share
      if (t.type === 'f') expect(e.size).toBe(t.size);
    }
  });
});

describe('xattrs and capabilities, as python tarfile reads them from the layer blobs', () => {
  const py = `
import tarfile, json, base64, sys
t = tarfile.open(sys.argv[1])
m = json.load(t.extractfile('manifest.json'))
out = {}
for i, name in enumerate(m[0]['Layers']):
    for mem in tarfile.open(fileobj=t.extractfile(name)).getmembers():
        x = {k[len('SCHILY.xattr.'):]: base64.b64encode(v.encode('utf-8', 'surrogateescape')).decode() for k, v in mem.pax_headers.items() if k.startswith('SCHILY.xattr.')}
        if x: out[mem.name.lstrip('./')] = {'layer': i, 'xattrs': x}
print(json.dumps(out))
`;
  const path = archive('fixture', 'docker-archive.tar');
  const expected = JSON.parse(execFileSync('python3', ['-c', py, path], { encoding: 'utf8' })) as Record<string, { layer: number; xattrs: Record<string, string> }>;

  it('the fixture has a cap_net_raw capability and a user.* xattr (sanity of the truth)', async () => {
    const cap = Buffer.from(expected['opt/fixture/bin/cap-tool']!.xattrs['security.capability']!, 'base64');
    // VFS_CAP_REVISION_2, permitted bit 13 (CAP_NET_RAW)
    expect(cap.readUInt32LE(0) & 0xff000000).toBe(0x02000000);
    expect(cap.readUInt32LE(4)).toBe(1 << 13);
    expect(Object.keys(expected['opt/fixture/xattr.txt']!.xattrs)).toEqual(['user.rw.comment']);
  });

  it.each(['docker-archive.tar', 'oci-gzip', 'oci-archive-zstd.tar'])('ls --merged and ls --layer show them: %s', async (variant) => {
    const merged = await runJsonFast<LsDoc>(['ls', archive('fixture', variant)]);
    for (const e of merged.entries) expect([e.path, e.xattrs]).toEqual([e.path, expected[e.path]?.xattrs ?? null]);
    for (const [p, x] of Object.entries(expected)) {
      const layer = await runJsonFast<LsDoc>(['ls', archive('fixture', variant), '--layer', String(x.layer), p]);
      expect(layer.entries.find((e) => e.path === p)!.xattrs).toEqual(x.xattrs);
    }
  });
});

// every variant of an image holds the same layers (same diffIDs): one variant per image, plus the multi-image archives
describe.each(realArchives().filter((a) => a.name.endsWith('.docker-archive.tar') || a.name === 'multi/multi.oci-gzip'))('ls --layer N --json equals the truth member list: $name', ({ path, truth }) => {
  it('every layer of every image', async () => {
    for (const t of truth.images) {
      for (const tl of t.layers) {
        const doc = await runJsonFast<LsDoc>(['ls', path, '-i', t.image_id, '--layer', String(tl.index)]);
        expect(doc.layer).toEqual({ index: tl.index, diffId: t.diff_ids[tl.index] });
        const want = tl.members.map(norm).filter((m) => m !== '').sort();
        expect(doc.entries.map((e) => e.path).sort()).toEqual(want);
        // by diffID too
        if (tl.index === t.layers.length - 1) {
          const byId = await runJsonFast<LsDoc>(['ls', path, '-i', t.image_id, '--layer', t.diff_ids[tl.index]!.slice(7, 19)]);
          expect(byId.entries.length).toBe(want.length);
        }
      }
    }
  });
});

/**
 * An independent, set-based replay of the truth member lists: what was visible
 * when each layer's own entries were applied (after its whiteouts).
 */
function replay(layers: string[][]) {
  const visible = new Set<string>();
  const before: Set<string>[] = [];
  const under = (p: string, dir: string) => dir === '' || p.startsWith(`${dir}/`);
  for (const members of layers) {
    for (const m of members) {
      const base = m.slice(m.lastIndexOf('/') + 1);
      const dir = m.includes('/') ? m.slice(0, m.lastIndexOf('/')) : '';
      if (base === '.wh..wh..opq') {
        for (const v of [...visible]) if (under(v, dir) && v !== dir) visible.delete(v);
      } else if (base.startsWith('.wh.')) {
        const gone = (dir ? `${dir}/` : '') + base.slice(4);
        for (const v of [...visible]) if (v === gone || under(v, gone)) visible.delete(v);
      }
    }
    before.push(new Set(visible));
    for (const m of members) if (!m.slice(m.lastIndexOf('/') + 1).startsWith('.wh.')) visible.add(m);
  }
  return before;
}

describe('file finds every path of the truth member lists, with its layer and final state, across all fixtures at once', () => {
  let hits: FileHit[];
  const key = (archive: string, id: string, k: number, p: string) => `${archive}\0${id}\0${k}\0${p}`;
  const index = new Map<string, FileHit[]>();
  beforeAll(async () => {
    const r = await runInProcess(['file', '**', 'fixtures/real', '--json', '-q']);
    expect(r.code).toBe(0);
    hits = JSON.parse(r.stdout) as FileHit[];
    for (const h of hits) {
      const k = key(h.image.archive, h.image.id, h.layerIndex, h.path);
      index.set(k, [...(index.get(k) ?? []), h]);
    }
  });

  it.each(realArchives())('$name', async ({ name, truth }) => {
    const ar = `fixtures/real/${name}`;
    const image = name.split('/')[0]!;
    for (const t of truth.images) {
      const layers = t.layers.map((l) => l.members.map(norm).filter((m) => m !== ''));
      const before = replay(layers);
      const final = IMAGES.includes(image) ? new Set(finalFs(image).map((e) => e.path)) : null;
      layers.forEach((members, k) => {
        const isDir = new Set(t.layers[k]!.members.filter((m) => m.endsWith('/')).map(norm));
        for (const m of members) {
          const base = m.slice(m.lastIndexOf('/') + 1);
          if (base === '.wh..wh..opq') continue; // not a path: its effect shows as deletion rows of the children
          if (base.startsWith('.wh.')) {
            const gone = m.slice(0, m.length - base.length) + base.slice(4);
            const rows = index.get(key(ar, t.image_id, k, gone)) ?? [];
            expect(rows.map((r) => r.change), `${ar} layer ${k} ${m}`).toContain('deleted');
            continue;
          }
          const rows = (index.get(key(ar, t.image_id, k, m)) ?? []).filter((r) => r.change !== 'deleted');
          expect(rows, `${ar} layer ${k} ${m}`).toHaveLength(1);
          const row = rows[0]!;
          expect(row.diffId).toBe(t.diff_ids[k]);
          if (!before[k]!.has(m)) expect(row.change, m).toBe('added');
          else expect(row.change, m).toBe(isDir.has(m) ? row.change : 'modified');
          // the next layer that deletes it (whiteout of it or a parent, opaque parent, a non-directory over a parent) or writes it again
          let fate: { state: string; k?: number } = { state: 'final' };
          for (let j = k + 1; j < layers.length && fate.state === 'final'; j++) {
            const deleted = layers[j]!.some((x) => {
              const b = x.slice(x.lastIndexOf('/') + 1);
              const d = x.includes('/') ? x.slice(0, x.lastIndexOf('/')) : '';
              if (b === '.wh..wh..opq') return m.startsWith(`${d}/`) || d === '';
              if (b.startsWith('.wh.')) { const g = (d ? `${d}/` : '') + b.slice(4); return m === g || m.startsWith(`${g}/`); }
              return !t.layers[j]!.members.includes(`${x}/`) && !t.layers[j]!.members.includes(`./${x}/`) && m.startsWith(`${x}/`);
            });
            if (deleted) fate = { state: 'deleted', k: j };
            else if (layers[j]!.includes(m) && !isDir.has(m)) fate = { state: 'replaced', k: j };
          }
          if (fate.state === 'deleted') expect([row.inFinalImage, row.deletedInLayer], `${ar} ${m}`).toEqual([false, fate.k]);
          else if (fate.state === 'replaced') expect([row.inFinalImage, row.replacedInLayer], `${ar} ${m}`).toEqual([false, fate.k]);
          else if (!isDir.has(m)) {
            expect(row.inFinalImage, `${ar} ${m}`).toBe(true);
            if (final) expect(final.has(m), `${m} in final-fs.json`).toBe(true);
          }
        }
      });
    }
  });

  it('an opaque directory shows as deletion rows of every lower child', async () => {
    const rows = hits.filter((h) => h.image.archive === 'fixtures/real/opaque/opaque.docker-archive.tar' && h.layerIndex === 3 && h.change === 'deleted');
    expect(rows.map((r) => r.path).sort()).toEqual(['srv/data/a.txt', 'srv/data/b.txt', 'srv/data/sub', 'srv/data/sub/c.txt', 'srv/other/gone.txt']);
  });
});

describe('file: patterns and exit codes', () => {
  it('a name without / matches the last component anywhere; no match exits 4', async () => {
    const hits = await runJsonFast<FileHit[]>(['file', 'passwd', archive('base', 'docker-archive.tar')]);
    expect(hits.map((h) => [h.path, h.layerIndex, h.change, h.inFinalImage])).toEqual([['etc/passwd', 0, 'added', true]]);
    const r = await runInProcess(['file', 'no-such-name', archive('base', 'docker-archive.tar'), '--json']);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toEqual([]);
  });
});

describe('file --content finds bytes under any name (expected digests from GNU tar + sha256sum)', () => {
  const tmp = tempDir('layerdig-content-');
  const src = archive('fixture', 'docker-archive.tar');
  const manifest = JSON.parse(execFileSync('tar', ['-xOf', src, 'manifest.json'], { encoding: 'utf8' })) as { Layers: string[] }[];
  /** one member of layer k, extracted with GNU tar into tmp/name */
  const extract = (k: number, member: string, as: string) => {
    const layer = join(tmp, `layer${k}.tar`);
    writeFileSync(layer, execFileSync('tar', ['-xOf', src, manifest[0]!.Layers[k]!], { maxBuffer: 64 << 20 }));
    execFileSync('tar', ['-xf', layer, '-C', tmp, member]);
    copyFileSync(join(tmp, member), join(tmp, as));
    return join(tmp, as);
  };
  const sha256sum = (p: string) => execFileSync('sha256sum', [p], { encoding: 'utf8' }).split(' ')[0]!;

  it('a host file with another name finds the file and both of its hard links', async () => {
    const host = extract(2, 'opt/fixture/hard-a', 'some-other-name.bin');
    expect(sha256sum(host)).toBe(finalFs('fixture').find((e) => e.path === 'opt/fixture/hard-a')!.sha256);
    const hits = await runJsonFast<FileHit[]>(['file', '--content', host, src, archive('fixture', 'oci-zstd')]);
    for (const a of [src, archive('fixture', 'oci-zstd')]) {
      expect(hits.filter((h) => h.image.archive === a).map((h) => [h.layerIndex, h.path, h.inFinalImage, h.deletedInLayer, h.size]).sort()).toEqual([
        [2, 'opt/fixture/hard-a', true, null, 20], [2, 'opt/fixture/hard-b', false, 4, 20], [2, 'opt/fixture/sub/hard-c', true, null, 20],
      ]);
    }
  });

  it('sha256:<digest> of the 2 MiB random file (no size known: every file hashed)', async () => {
    const host = extract(3, 'opt/fixture/data/random-2M.bin', 'copy.bin');
    const hits = await runJsonFast<FileHit[]>(['file', '--content', `sha256:${sha256sum(host)}`, src]);
    expect(hits.map((h) => [h.layerIndex, h.path, h.change, h.inFinalImage, h.size])).toEqual([[3, 'opt/fixture/data/random-2M.bin', 'added', true, 2097152]]);
  });

  it('a bad digest is a usage error', async () => {
    expect((await runInProcess(['file', '--content', 'sha256:xyz', src])).code).toBe(2);
  });

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));
});
