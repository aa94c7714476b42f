import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, runInProcess, runJsonFast } from './helpers/cli.js';
import { readMetaDb, readSnapshotterDb } from '../src/format/containerd-meta.js';
import { BoltDb } from '../src/store/bbolt.js';
import { unpackStore } from './helpers/stores.js';

/**
 * A containerd 1.6 root read offline, against what containerd's own client
 * said while the daemon ran (fixtures/containerd/make.sh: ctr images ls,
 * content ls, snapshots ls/info, containers ls/info, snapshots diff) and
 * sha256sum of the content store; image contents against the truth files of
 * the docker-save archives the images were imported from (fixtures/real).
 * Read as the .tar.gz, as a plain tar and (as root: whiteouts are device
 * nodes) as a directory.
 */

const DIR = join(FIXTURES, 'containerd');
const TGZ = join(DIR, 'containerd-root.tar.gz');
const isRoot = process.getuid?.() === 0;
const truth = (f: string) => readFileSync(join(DIR, f), 'utf8');
/** a ctr table: header row, then whitespace-separated columns */
const table = (f: string) => truth(f).split('\n').slice(1).filter(Boolean).map((l) => l.trim().split(/\s+/));
const realTruth = (img: string) => (JSON.parse(readFileSync(join(FIXTURES, 'real', img, `${img}.docker-archive.truth.json`), 'utf8')) as {
  images: { image_id: string; diff_ids: string[]; chain_ids: string[]; history: unknown[]; layers: { members: string[] }[] }[];
}).images[0]!;
const REMOVED = `sha256:${truth('truth.removed-blob.txt').trim()}`;
const NAMESPACES = ['demo', 'other'];

const tmp = mkdtempSync(join(process.env.TMPDIR ?? '/tmp', 'layerdig-containerd-'));
const inputs: { kind: string; path: string }[] = [{ kind: 'tar.gz', path: TGZ }];
const dirCopy = join(tmp, 'root');
beforeAll(() => {
  const plain = join(tmp, 'root.tar');
  execFileSync('sh', ['-c', `gzip -dc "${TGZ}" > "${plain}"`]);
  inputs.push({ kind: 'tar', path: plain });
  if (isRoot) {
    unpackStore(TGZ, dirCopy);
    inputs.push({ kind: 'dir', path: dirCopy });
    // a tar of `/`: the root below var/lib/containerd/ (symlink targets left as they are)
    const prefixed = join(tmp, 'slash.tar.gz');
    execFileSync('tar', ['--xattrs', '--xattrs-include=*', '--numeric-owner', '--transform=s,^,var/lib/containerd/,SH', '-czf', prefixed, '-C', dirCopy,
      'io.containerd.content.v1.content', 'io.containerd.metadata.v1.bolt', 'io.containerd.snapshotter.v1.overlayfs']);
    inputs.push({ kind: 'tar of /', path: prefixed });
  }
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
if (!isRoot) it.skip('the root as a directory: skipped, extracting overlay whiteouts (device nodes) needs root', () => {});

const each = (fn: (path: string, kind: string) => Promise<void>) => async () => {
  expect(inputs.length).toBeGreaterThanOrEqual(2);
  for (const i of inputs) await fn(i.path, i.kind);
};

interface ImagesRow { id: string; repoTags: string[]; namespace?: string; manifestDigest: string; format: string }
interface LayersDoc { image: { id: string }; layers: { index: number; diffId: string; chainId: string; storage: string; diffIdVerified?: boolean | null; digestVerified?: boolean | null }[] }

/** the platform manifest an index target names: the index's gc label in ctr content ls */
function manifestOf(ns: string, digest: string, type: string): string {
  if (!type.includes('index')) return digest;
  const row = truth(`truth.${ns}-content.txt`).split('\n').find((l) => l.startsWith(digest))!;
  return /containerd\.io\/gc\.ref\.content\.m\.0=(sha256:[0-9a-f]{64})/.exec(row)![1]!;
}

describe('containerd root', () => {
  it('images: every image ctr images ls lists in each namespace, by name, target and the manifest it leads to', each(async (path) => {
    const rows = await runJsonFast<ImagesRow[]>(['images', path]);
    const want = NAMESPACES.flatMap((ns) => table(`truth.${ns}-images.txt`).map(([ref, type, digest]) => ({ ns, ref: ref!, manifest: manifestOf(ns, digest!, type!) })));
    const got = rows.flatMap((r) => r.repoTags.map((t) => ({ ns: r.namespace, ref: t, manifest: r.manifestDigest })));
    expect(got.sort((a, b) => `${a.ns}${a.ref}`.localeCompare(`${b.ns}${b.ref}`))).toEqual(want.sort((a, b) => `${a.ns}${a.ref}`.localeCompare(`${b.ns}${b.ref}`)));
    expect(new Set(rows.map((r) => r.format))).toEqual(new Set(['containerd']));
    // the image IDs: the configs docker save wrote for the same images
    const ids = Object.fromEntries(rows.flatMap((r) => r.repoTags.map((t) => [t, r.id])));
    expect(ids['localhost/rw/app1:latest']).toBe(realTruth('app1').image_id);
    expect(ids['localhost/rw/base:1.0']).toBe(realTruth('base').image_id);
    expect(ids['localhost/rw/app2:latest']).toBe(realTruth('app2').image_id);
    // the tag that moved: app1:latest is app1 now, not app1-old
    expect(ids['localhost/rw/app1:latest']).not.toBe(realTruth('app1-old').image_id);
  }));

  it('layers: diffIDs and chainIDs as the config says, each chainID a committed snapshot ctr snapshots ls lists, parents as it says', each(async (path) => {
    const docs = await runJsonFast<LayersDoc[]>(['layers', path]);
    const snaps = new Map(NAMESPACES.map((ns) => [ns, new Map(table(`truth.${ns}-snapshots.txt`).map((r) => [r[0]!, { parent: r.length === 3 ? r[1]! : null, kind: r[r.length - 1]! }]))]));
    for (const [img, ns] of [['app1', 'demo'], ['base', 'demo'], ['app2', 'other']] as const) {
      const t = realTruth(img);
      const doc = docs.find((d) => d.image.id === t.image_id)!;
      expect(doc.layers.map((l) => l.diffId)).toEqual(t.diff_ids);
      expect(doc.layers.map((l) => l.chainId)).toEqual(t.chain_ids);
      for (const [i, c] of t.chain_ids.entries()) {
        expect(snaps.get(ns)!.get(c)).toEqual({ parent: i === 0 ? null : t.chain_ids[i - 1], kind: 'Committed' });
      }
    }
    // app2's third layer blob was removed: it is read from its snapshot, and neither its digest nor its diffID is claimed checked
    const app2 = docs.find((d) => d.image.id === realTruth('app2').image_id)!;
    const l2 = app2.layers[2]!;
    expect(l2.diffId).toBe(REMOVED);
    expect(l2.storage).toMatch(/io\.containerd\.snapshotter\.v1\.overlayfs\/snapshots\/[0-9]+\/fs$/);
    expect(l2.diffIdVerified).toBeNull();
    expect(l2.digestVerified).toBeNull();
    for (const l of app2.layers.filter((x) => x.index !== 2)) expect(l.diffIdVerified).toBe(true);
  }));

  it('ls --layer: a layer read from the content store and one read from its snapshot list what GNU tar listed in the saved layer', each(async (path) => {
    for (const [img, ref, layer] of [['app1', 'localhost/rw/app1:latest', 2], ['app2', 'localhost/rw/app2:latest', 2]] as const) {
      const doc = await runJsonFast<{ entries: { path: string; type: string }[] }>(['ls', path, '-i', ref, '--layer', String(layer)]);
      const want = realTruth(img).layers[layer]!.members.map((m) => m.replace(/\/$/, '')).sort();
      expect(doc.entries.map((e) => e.path).sort()).toEqual(want);
    }
  }));

  it('history: the config history, one row per entry (as in the saved image)', each(async (path) => {
    const [doc] = await runJsonFast<{ history: unknown[] }[]>(['history', path, '-i', 'localhost/rw/app2:latest']);
    expect(doc!.history.length).toBe(realTruth('app2').history.length);
  }));

  it('verify: each blob hashes to its name (sha256sum) and matches its descriptor; the removed blob is the one failure', each(async (path) => {
    const r = await runInProcess(['verify', path, '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout) as { images: { checks: { check: string; subject: string; ok: boolean; actual: unknown }[] }[]; blobs: number }[];
    const checks = doc[0]!.images.flatMap((i) => i.checks);
    const failed = checks.filter((c) => !c.ok);
    expect(failed.map((c) => [c.check, c.subject, c.actual])).toEqual([['content record (namespace other)', `blobs/sha256/${REMOVED.slice(7)}`, 'no blob in the content store']]);
    const sums = truth('truth.sha256sum.txt').split('\n').filter(Boolean).map((l) => l.split(/\s+/)[0]!);
    // every blob on disk (sha256sum) is checked by digest against a descriptor or its content record
    for (const hex of sums) expect(checks.some((c) => c.subject === `blobs/sha256/${hex}` && c.ok)).toBe(true);
    expect(doc[0]!.blobs).toBe(sums.length);
    expect(r.stderr).toMatch(/read from an unpacked directory: its diffID cannot be checked/);
  }));

  it('containers: ctr containers ls/info: id, image, runtime, command, created; diff --container: ctr snapshots diff\'s changes', each(async (path, kind) => {
    const rows = await runJsonFast<{ id: string; imageRef: string; runtime: string; command: string; created: string; namespace: string; imageId: string }[]>(['containers', path]);
    const info = JSON.parse(truth('truth.demo-containers-info.json')) as { ID: string; Image: string; Runtime: { Name: string }; CreatedAt: string; Spec: { process: { args: string[] } } }[];
    expect(rows.map((r) => [r.id, r.imageRef, r.runtime, r.command, r.created, r.namespace]))
      .toEqual(info.map((c) => [c.ID, c.Image, c.Runtime.Name, c.Spec.process.args.join(' '), c.CreatedAt, 'demo']));
    expect(table('truth.demo-containers.txt').map((r) => r.slice(0, 3))).toEqual(rows.map((r) => [r.id, r.imageRef, r.runtime]));
    expect(rows[0]!.imageId).toBe(realTruth('app1').image_id);

    const r = await runInProcess(['diff', path, '--container', 'c1', '--json']);
    expect(r.code).toBe(0);
    const got = (JSON.parse(r.stdout) as { changes: { kind: string; path: string }[] }).changes;
    // ctr's diff is a tar: `.wh.x` = deleted, else added (new) or changed (in the image); the image's files from the saved app1
    const image = new Set(realTruth('app1').layers.flatMap((l) => l.members.map((m) => `/${m.replace(/\/$/, '')}`)));
    const ctr = truth('truth.demo-c1-diff.txt').split('\n').filter(Boolean).map((l) => `/${l.split(/\s+/).slice(5).join(' ').replace(/\/$/, '')}`);
    const opaque = '/usr/lib/app-deps';
    const want = ctr.map((p) => {
      const wh = /^(.*)\/\.wh\.([^/]+)$/.exec(p);
      return wh ? { kind: 'D', path: `${wh[1]}/${wh[2]}` } : { kind: image.has(p) ? 'C' : 'A', path: p };
    })
      // overlayfs made the directory made again opaque; ctr's tar diff whites out its old files one by one, while
      // podman diff (and moby's overlay differ, the same overlayDeletedFile) report the directory deleted and its new files added
      .filter((c) => !(c.kind === 'D' && c.path.startsWith(`${opaque}/`)))
      .map((c) => (c.path === opaque ? { kind: 'D', path: opaque } : c.path.startsWith(`${opaque}/`) ? { kind: 'A', path: c.path } : c));
    expect(got.sort((a, b) => a.path.localeCompare(b.path))).toEqual(want.sort((a, b) => a.path.localeCompare(b.path)));
    if (kind !== 'dir') {
      // the opaque directory itself is seen from the tar's xattr: ls --container lists its old files as gone
      const ls = await runJsonFast<{ entries: { path: string }[] }>(['ls', path, '--container', 'c1']);
      const paths = ls.entries.map((e) => e.path);
      expect(paths).toContain('usr/lib/app-deps/only.txt');
      expect(paths).not.toContain('usr/lib/app-deps/VERSION');
      expect(paths).not.toContain('etc/shadow');
      expect(paths).toContain('added.txt');
    }
  }));

  it('images from the root and from a docker-save archive answer together; relation finds the shared base layer in both', async () => {
    const rows = await runJsonFast<ImagesRow[]>(['images', TGZ, join(FIXTURES, 'real/base/base.docker-archive.tar')]);
    expect(rows.filter((r) => r.id === realTruth('base').image_id).map((r) => r.format).sort()).toEqual(['containerd', 'docker-archive']);
    const r = await runInProcess(['relation', realTruth('base').diff_ids[0]!.slice(7, 19), TGZ, join(FIXTURES, 'real/base/base.docker-archive.tar'), '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('docker-archive');
  });
});

describe('bbolt reader on the real files', () => {
  const extract = (member: string) => execFileSync('tar', ['-xzOf', TGZ, member], { maxBuffer: 1 << 26 });
  const meta = () => extract('io.containerd.metadata.v1.bolt/meta.db');

  it('meta.db: images, content records and snapshot keys as ctr listed them', () => {
    const m = readMetaDb(meta(), 'meta.db');
    for (const ns of NAMESPACES) {
      expect(m.images.filter((i) => i.namespace === ns).map((i) => [i.name, i.target.mediaType, i.target.digest]))
        .toEqual(table(`truth.${ns}-images.txt`).map((r) => [r[0], r[1], r[2]]));
      expect(m.content.filter((c) => c.namespace === ns).map((c) => c.digest)).toEqual(table(`truth.${ns}-content.txt`).map((r) => r[0]));
      expect([...m.snapshots.get(ns)!.get('overlayfs')!.keys()]).toEqual(table(`truth.${ns}-snapshots.txt`).map((r) => r[0]));
    }
    // sizes: the blob sizes on disk (the removed blob's record keeps the size docker save's member had)
    const sizes = new Map(execFileSync('tar', ['-tvzf', TGZ], { encoding: 'utf8' }).split('\n').filter((l) => l.includes('/blobs/sha256/')).map((l) => {
      const f = l.split(/\s+/);
      return [`sha256:${f[5]!.split('/').pop()}`, Number(f[2])];
    }));
    for (const c of m.content) if (c.digest !== REMOVED) expect(c.size).toBe(sizes.get(c.digest));
    const info = JSON.parse(truth('truth.demo-containers-info.json')) as { ID: string; SnapshotKey: string; Snapshotter: string; CreatedAt: string; UpdatedAt: string }[];
    expect(m.containers.map((c) => [c.id, c.snapshotKey, c.snapshotter, c.createdAt, c.updatedAt])).toEqual(info.map((c) => [c.ID, c.SnapshotKey, c.Snapshotter, c.CreatedAt, c.UpdatedAt]));
  });

  it('the overlayfs metadata.db: kinds and parents as ctr snapshots info says', () => {
    const snaps = readSnapshotterDb(extract('io.containerd.snapshotter.v1.overlayfs/metadata.db'), 'metadata.db');
    const m = readMetaDb(meta(), 'meta.db');
    for (const ns of NAMESPACES) {
      const info = JSON.parse(truth(`truth.${ns}-snapshots-info.json`)) as { Name: string; Parent?: string; Kind: string }[];
      for (const i of info) {
        const s = snaps.get(m.snapshots.get(ns)!.get('overlayfs')!.get(i.Name)!)!;
        expect(s.kind).toBe(i.Kind.toLowerCase());
        const parentKey = s.parent ? s.parent.split('/').slice(2).join('/') : undefined;
        expect(parentKey).toBe(i.Parent);
      }
    }
  });

  it('hostile: truncated, bad magic, a page loop: one sentence naming the file, never a hang', () => {
    const buf = meta();
    expect(() => new BoltDb(buf.subarray(0, 100), 'x!meta.db')).toThrow(/^x!meta\.db: not a readable bbolt database: the file is 100 bytes, shorter than its two meta pages \(truncated\?\)$/);
    const cut = buf.subarray(0, 4096 * 3);
    expect(() => readMetaDb(cut, 'x!meta.db')).toThrow(/^x!meta\.db: not a readable bbolt database: page \d+ lies past the end of the file \(truncated\?\)$/);
    const bad = Buffer.from(buf);
    bad.writeUInt32LE(0xdeadbeef, 16);
    bad.writeUInt32LE(0xdeadbeef, 4096 + 16);
    expect(() => new BoltDb(bad, 'x!meta.db')).toThrow(/bad magic, and no valid meta page 1/);
    expect(() => new BoltDb(loopDb(), 'loop.db').root().bucket('v1')).toThrow(/^loop\.db: not a readable bbolt database: \(root bucket\): page 3 is its own ancestor \(a page loop\)$/);
    // a branch page listing the same child twice: refused at once, never walked twice (a shared subtree could explode)
    const twice = loopDb(4n);
    expect(() => new BoltDb(twice, 'dag.db').root().bucket('v1')).toThrow(/^dag\.db: not a readable bbolt database: \(root bucket\): page 4 is reached twice in one tree$/);
  });
});

/** A bbolt file written by hand from the format: two valid meta pages whose root is page 3, a branch page listing itself (or page 4, an empty leaf, twice). */
function loopDb(child = 3n): Buffer {
  const ps = 4096;
  const b = Buffer.alloc(ps * 5);
  for (const [p, txid] of [[0, 1n], [1, 2n]] as const) {
    const o = p * ps;
    b.writeBigUInt64LE(BigInt(p), o);
    b.writeUInt16LE(0x04, o + 8);
    const m = o + 16;
    b.writeUInt32LE(0xed0cdaed, m);
    b.writeUInt32LE(2, m + 4);
    b.writeUInt32LE(ps, m + 8);
    b.writeBigUInt64LE(3n, m + 16); // root bucket's page
    b.writeBigUInt64LE(2n, m + 32); // freelist
    b.writeBigUInt64LE(5n, m + 40); // high-water mark
    b.writeBigUInt64LE(txid, m + 48);
    // FNV-1a 64 of the 56 bytes before the checksum (bbolt meta.sum64)
    let h = 0xcbf29ce484222325n;
    for (const c of b.subarray(m, m + 56)) h = BigInt.asUintN(64, (h ^ BigInt(c)) * 0x100000001b3n);
    b.writeBigUInt64LE(h, m + 56);
  }
  b.writeBigUInt64LE(3n, 3 * ps);
  b.writeUInt16LE(0x01, 3 * ps + 8); // branch
  b.writeUInt16LE(2, 3 * ps + 10);
  for (const e of [0, 1]) {
    b.writeUInt32LE(32, 3 * ps + 16 + e * 16); // pos (keys past the elements)
    b.writeUInt32LE(1, 3 * ps + 20 + e * 16); // ksize
    b.writeBigUInt64LE(child, 3 * ps + 24 + e * 16); // child: itself (3), or page 4 twice
  }
  // page 4: an empty leaf
  b.writeBigUInt64LE(4n, 4 * ps);
  b.writeUInt16LE(0x02, 4 * ps + 8);
  return b;
}

describe('bad containerd roots through the CLI', () => {
  it.runIf(isRoot)('a truncated meta.db: exit 3, one line naming the input and the member', async () => {
    const broken = join(tmp, 'broken');
    execFileSync('cp', ['-a', dirCopy, broken]); // device nodes: cp -a copies them, Node's cpSync does not
    truncateSync(join(broken, 'io.containerd.metadata.v1.bolt/meta.db'), 4096 * 3);
    const r = await runInProcess(['images', broken]);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`${broken}/io.containerd.metadata.v1.bolt/meta.db: not a readable bbolt database`);
  });

  it.runIf(isRoot)('a layer gone from both the content store and the snapshots: that image is named (exit 5), the others are listed', async () => {
    const broken = join(tmp, 'nosnap');
    execFileSync('cp', ['-a', dirCopy, broken]); // device nodes: cp -a copies them, Node's cpSync does not
    rmSync(join(broken, 'io.containerd.snapshotter.v1.overlayfs/metadata.db'));
    const r = await runInProcess(['images', broken, '--json']);
    expect(r.code).toBe(5);
    const rows = JSON.parse(r.stdout) as ImagesRow[];
    expect(rows.map((x) => x.repoTags).flat().sort()).toEqual(['localhost/rw/app1:latest', 'localhost/rw/base:1.0']);
    expect(r.stderr).toMatch(new RegExp(`blobs/sha256/${REMOVED.slice(7)}: layer 2 of image localhost/rw/app2:(index|latest) \\(namespace other\\) is neither in the content store nor unpacked in a snapshot`));
  });

  it.runIf(isRoot)('an orphan blob (no image, no content record) is listed by verify with its size', async () => {
    const orphan = join(tmp, 'orphan');
    execFileSync('cp', ['-a', dirCopy, orphan]); // device nodes: cp -a copies them, Node's cpSync does not
    const body = Buffer.from('not referenced\n');
    const hex = execFileSync('sha256sum', { input: body, encoding: 'utf8' }).split(' ')[0]!;
    writeFileSync(join(orphan, `io.containerd.content.v1.content/blobs/sha256/${hex}`), body);
    const r = await runInProcess(['verify', orphan]);
    expect(r.stderr).toContain(`blobs/sha256/${hex} (${body.length} bytes) is in the archive but nothing in it references it`);
  });
});
