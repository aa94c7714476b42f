import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { appendFileSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, runInProcess, runJsonFast } from './helpers/cli.js';
import { tempDir } from './helpers/tmp.js';

/**
 * A Distribution registry's filesystem storage read offline, against what the
 * real registry and skopeo said while it ran (fixtures/registry/make.sh):
 * `skopeo list-tags` / `skopeo inspect` of every tag and index entry, the
 * registry's own `garbage-collect --dry-run` (with and without
 * --delete-untagged), sha256sum/stat of every blob; and, for the images'
 * contents, the Docker engine's history and buildah's mounted rootfs of the
 * very archives that were pushed. Read as the tar.gz, as a plain tar and as
 * directories (the storage root and the host root above it).
 */

const DIR = join(FIXTURES, 'registry');
const TRUTH = join(DIR, 'truth');
const TGZ = join(DIR, 'registry.tar.gz');
/** the Docker engine's answers for the pushed archives */
const ENGINE = join(FIXTURES, 'engine/truth');

const lines = (f: string) => readFileSync(join(TRUTH, f), 'utf8').split('\n').filter(Boolean);
interface Inspect { repo: string; ref: string; via: string; digest: string; mediaType: string; configDigest?: string; config?: { rootfs: { diff_ids: string[] }; history: { created_by?: string; empty_layer?: boolean }[] }; layers?: { digest: string; size: number; mediaType: string }[]; inspect?: { Architecture: string; Os: string } | null }
const inspected = lines('inspect.jsonl').map((l) => JSON.parse(l) as Inspect);
const listTags = lines('list-tags.jsonl').map((l) => JSON.parse(l) as { Repository: string; Tags: string[] });
const blobs = new Map(lines('blobs.txt').map((l) => { const [, hex, size] = l.split(' '); return [`sha256:${hex}`, Number(size)]; }));
const gcList = (f: string) => lines(f).filter((l) => l.startsWith('blob eligible for deletion: ')).map((l) => l.slice(28)).sort();
const gcMarked = (f: string) => Number(/^(\d+) blobs marked/m.exec(readFileSync(join(TRUTH, f), 'utf8'))![1]);
const engine = (name: string) => (JSON.parse(readFileSync(join(ENGINE, `${name}.docker-archive.json`), 'utf8')) as { images: { Id: string; Size: number; history: { Size: number; CreatedBy: string }[] }[] }).images[0]!;

/** images whose content came from an archive of fixtures/real: buildah's rootfs of it, the engine's history of it */
const PUSHED: Record<string, string> = { 'app:1.0': 'app1', 'library/base:1.0': 'base' };
const UNTAGGED = inspected.find((i) => i.via === 'untagged')!;
const base0DiffId = () => inspected.find((i) => i.repo === 'library/base')!.config!.rootfs.diff_ids[0]!;

const tmp = tempDir('layerdig-registry-');
const inputs: { kind: string; path: string }[] = [];
const unpacked = join(tmp, 'host');
beforeAll(() => {
  inputs.push({ kind: 'tar.gz', path: TGZ });
  const plain = join(tmp, 'registry.tar');
  execFileSync('sh', ['-c', `gzip -dc "${TGZ}" > "${plain}"`]);
  inputs.push({ kind: 'tar', path: plain });
  execFileSync('mkdir', [unpacked]);
  execFileSync('tar', ['-xzf', TGZ, '-C', unpacked]);
  inputs.push({ kind: 'host root dir', path: unpacked });
  inputs.push({ kind: 'storage root dir', path: join(unpacked, 'var/lib/registry') });
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const each = (fn: (path: string, kind: string) => Promise<void>) => async () => {
  expect(inputs.length).toBe(4);
  for (const i of inputs) await fn(i.path, i.kind);
};

interface ImagesRow { id: string; repoTags: string[]; repository?: string; manifestDigest: string; platform: string; format: string; size: number }

describe('registry storage', () => {
  it('images: every tag skopeo list-tags gives, by the manifest and config skopeo inspect read; the untagged revision as <none>', each(async (path) => {
    const rows = await runJsonFast<ImagesRow[]>(['images', path]);
    expect(rows.every((r) => r.format === 'registry-storage')).toBe(true);
    const tagged = rows.flatMap((r) => r.repoTags.map((t) => [t, r] as const));
    // skopeo list-tags, minus the cosign signature tag (an artifact, never an image)
    const want = listTags.flatMap((l) => l.Tags.map((t) => `${l.Repository.replace(/^[^/]+\//, '')}:${t}`)).filter((t) => !/\.sig$/.test(t)).sort();
    expect(tagged.map(([t]) => t).sort()).toEqual(want);
    for (const [t, r] of tagged) {
      const colon = t.lastIndexOf(':');
      const top = inspected.find((i) => i.repo === t.slice(0, colon) && i.ref === t.slice(colon + 1))!;
      // an index: its image is the platform manifest skopeo inspect reached from it
      const img = top.configDigest ? top : inspected.find((i) => i.via === t && i.inspect?.Architecture === 'amd64')!;
      expect(r.manifestDigest).toBe(img.digest);
      expect(r.id).toBe(img.configDigest);
      expect(r.platform).toBe(`${img.inspect!.Os}/${img.inspect!.Architecture}`);
    }
    const none = rows.filter((r) => r.repoTags.length === 0);
    expect(none.map((r) => [r.manifestDigest, r.id, r.repository])).toEqual([[UNTAGGED.digest, UNTAGGED.configDigest, UNTAGGED.repo]]);
    // untagged as docker means it: what --filter dangling=true selects
    expect((await runJsonFast<ImagesRow[]>(['images', path, '--filter', 'dangling=true'])).map((r) => r.manifestDigest)).toEqual([UNTAGGED.digest]);
    // docker images' SIZE of the same image IDs, from the engine that loaded the pushed archives
    for (const [tag, name] of Object.entries(PUSHED)) expect(tagged.find(([t]) => t === tag)![1].size).toBe(engine(name).Size);
    expect(none[0]!.size).toBe(engine('app1-old').Size);
  }));

  it('history: docker history of the same image (created-by and size per step)', each(async (path) => {
    for (const [tag, name] of Object.entries(PUSHED)) {
      const [doc] = await runJsonFast<{ history: { createdBy: string; size: number }[] }[]>(['history', path, '-i', tag]);
      // docker history lists the newest step first
      const truth = [...engine(name).history].reverse();
      expect(doc!.history.map((h) => h.size)).toEqual(truth.map((h) => Number(h.Size)));
      expect(doc!.history.map((h) => h.createdBy)).toEqual(truth.map((h) => h.CreatedBy));
    }
  }));

  it('layers: each blob skopeo inspect listed (digest, size, media type) and the diffIDs of the config it read', each(async (path) => {
    // every image: the tags, the index's platform manifest, the untagged revision (not the signature, not the attestation)
    const images = inspected.filter((i) => i.configDigest && !/\.sig$/.test(i.ref) && i.inspect?.Architecture === 'amd64');
    expect(images.length).toBe(5);
    for (const img of images) {
      const sel = img.via === 'tag' ? `${img.repo}:${img.ref}` : img.via === 'untagged' ? img.configDigest!.slice(7, 19) : img.via;
      const docs = await runJsonFast<{ image: { manifestDigest: string }; layers: { digest: string; compressedSize: number; mediaType: string; diffId: string; diffIdVerified: boolean }[] }[]>(['layers', path, '-i', sel]);
      const doc = docs.find((d) => d.image.manifestDigest === img.digest)!;
      expect(doc.layers.map((l) => [l.digest, l.compressedSize, l.mediaType])).toEqual(img.layers!.map((l) => [l.digest, l.size, l.mediaType]));
      expect(doc.layers.map((l) => l.diffId)).toEqual(img.config!.rootfs.diff_ids);
      expect(doc.layers.every((l) => l.diffIdVerified)).toBe(true);
    }
  }));

  it('ls: the final filesystem buildah mounted for the pushed images (path, type, mode, owner, size, link)', each(async (path) => {
    const type: Record<string, string> = { f: 'file', d: 'dir', l: 'symlink' };
    for (const [sel, name] of [...Object.entries(PUSHED), [UNTAGGED.configDigest!.slice(7, 19), 'app1-old']] as const) {
      const fs = JSON.parse(readFileSync(join(FIXTURES, 'real', name, `${name}.final-fs.json`), 'utf8')) as { entries: { path: string; type: string; mode: string; uid: number; gid: number; size?: number; link_target?: string }[] };
      const doc = await runJsonFast<{ entries: { path: string; type: string; mode: string; uid: number; gid: number; size: number; linkTarget: string | null }[] }>(['ls', path, '-i', sel]);
      const mine = doc.entries.map((e) => [e.path, e.type, e.mode.replace(/^0(?=\d{3}$)/, ''), e.uid, e.gid, e.type === 'file' ? e.size : null, e.linkTarget]);
      expect(mine).toEqual(fs.entries.map((e) => [e.path, type[e.type] ?? e.type, e.mode, e.uid, e.gid, e.type === 'f' ? e.size : null, e.link_target ?? null]));
    }
  }));

  it('verify: every blob sha256sum hashed, against the digest its path names; nothing wrong', each(async (path) => {
    const r = await runInProcess(['verify', path, '--json', '--no-trunc']);
    expect(r.code).toBe(0);
    const [doc] = JSON.parse(r.stdout) as { ok: boolean; blobs: number; artifacts: number; images: { checks: { check: string; subject: string; expected: unknown; actual: unknown }[] }[] }[];
    expect(doc!.ok).toBe(true);
    expect(doc!.blobs).toBe(blobs.size);
    // the cosign signature and the buildx attestation are artifacts, verified as blobs
    expect(doc!.artifacts).toBe(2);
    const byPath = doc!.images.flatMap((i) => i.checks).filter((c) => c.check === 'layer digest' && /\/data$/.test(c.subject));
    expect(new Map(byPath.map((c) => [c.actual, c.subject]))).toHaveProperty('size', blobs.size);
    for (const [d] of blobs) expect(byPath.some((c) => c.actual === d && c.expected === d && c.subject.endsWith(`${d.slice(7)}/data`))).toBe(true);
  }));

  it('garbage: exactly the blobs registry garbage-collect --dry-run lists, with their stat sizes and total; --delete-untagged too', each(async (path) => {
    for (const [flags, file] of [[[], 'gc-dry-run.txt'], [['--delete-untagged'], 'gc-dry-run-delete-untagged.txt']] as const) {
      const [doc] = await runJsonFast<{ blobs: number; marked: number; garbageBytes: number; storeBytes: number; garbage: { digest: string; size: number }[]; manifests: { digest: string }[] }[]>(['garbage', path, ...flags]);
      const want = gcList(file);
      expect(doc!.garbage.map((g) => g.digest)).toEqual(want);
      for (const g of doc!.garbage) expect(g.size).toBe(blobs.get(g.digest));
      expect(doc!.garbageBytes).toBe(want.reduce((s, d) => s + blobs.get(d)!, 0));
      expect(doc!.storeBytes).toBe([...blobs.values()].reduce((s, n) => s + n, 0));
      expect(doc!.blobs).toBe(blobs.size);
      expect(doc!.marked).toBe(gcMarked(file));
      const manifests = lines(file).filter((l) => l.startsWith('manifest eligible for deletion: ')).map((l) => l.slice(32)).sort();
      expect(doc!.manifests.map((m) => m.digest).sort()).toEqual(manifests);
    }
  }));

  it('garbage names the manifest deleted through the API (the registry answered 202, then 404)', async () => {
    expect(readFileSync(join(TRUTH, 'delete-status.txt'), 'utf8').trim()).toBe('202');
    expect(readFileSync(join(TRUTH, 'deleted-get-status.txt'), 'utf8').trim()).toBe('404');
    const [repo, digest] = readFileSync(join(TRUTH, 'deleted.txt'), 'utf8').trim().split(' ');
    const r = await runInProcess(['garbage', TGZ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`${digest!.slice(7, 19)}`);
    expect(r.stdout).toContain(`${repo} (deleted manifest)`);
    expect(r.stdout).toMatch(/^TOTAL\s+\S+\s+(\d+)/m);
    expect(Number(/^TOTAL\s+\S+\s+(\d+)/m.exec(r.stdout)![1])).toBe(gcList('gc-dry-run.txt').reduce((s, d) => s + blobs.get(d)!, 0));
  });

  it('a tar of the files only (no directory entries): the same images', async () => {
    const files = join(tmp, 'files-only.tar');
    execFileSync('sh', ['-c', `cd "${unpacked}" && find var -type f | sort | tar --no-recursion -T - -cf "${files}"`]);
    const rows = await runJsonFast<ImagesRow[]>(['images', files]);
    const want = new Set(inspected.filter((i) => i.configDigest && !/\.sig$/.test(i.ref) && i.inspect?.Architecture === 'amd64').map((i) => i.digest));
    expect(new Set(rows.map((r) => r.manifestDigest))).toEqual(want);
    const [g] = await runJsonFast<{ garbage: { digest: string }[] }[]>(['garbage', files]);
    expect(g!.garbage.map((x) => x.digest)).toEqual(gcList('gc-dry-run.txt'));
  });

  it('every other command answers on it, beside another archive (index, file, relation, none, base, audit, report)', async () => {
    const other = join(FIXTURES, 'real/app1/app1.docker-archive.tar');
    const file = await runJsonFast<{ path: string; storage: string; image: { archive: string } }[]>(['file', '/etc/os-release', TGZ, other]);
    // the base layer holds it: in the four images of the registry, and in the archive beside it
    expect(file.filter((f) => f.image.archive === TGZ && f.storage.startsWith(`${TGZ}!`)).length).toBe(4);
    expect(file.filter((f) => f.image.archive === other).length).toBe(1);
    const none = await runInProcess(['none', '--all', TGZ, other]);
    expect(none.code).toBe(0);
    // app1-old lost its tag to app1: the tagged image with most layers in common is app1, in both inputs
    expect(none.stdout.split('\n').find((l) => /^1 /.test(l))).toMatch(/app1|app:1\.0/);
    for (const args of [['relation', base0DiffId(), TGZ, other], ['base', TGZ, '-i', 'app:1.0'], ['audit', TGZ, '-i', 'library/base:1.0']]) {
      const r = await runInProcess(args);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(0);
    }
    const html = join(tmp, 'report.html');
    const rep = await runInProcess(['report', TGZ, '-i', 'library/base:1.0', '-o', html]);
    expect(rep.code, rep.stderr).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain('848228333ca8');
    const db = join(tmp, 'c.db');
    const idx = await runInProcess(['index', TGZ, unpacked, '--db', db]);
    expect(idx.code, idx.stderr).toBe(0);
    expect(idx.stdout).toMatch(/registry-storage/);
  });
});

describe('registry storage, hostile or broken', () => {
  const V2 = 'var/lib/registry/docker/registry/v2';
  const copy = (name: string) => {
    const d = join(tmp, name);
    execFileSync('cp', ['-a', unpacked, d]);
    return d;
  };
  const blobOf = (d: string) => `${V2}/blobs/sha256/${d.slice(7, 9)}/${d.slice(7)}/data`;
  const base = inspected.find((i) => i.repo === 'library/base')!;
  const tagLink = `${V2}/repositories/app/_manifests/tags/1.0/current/link`;

  /** one line naming the input and the member, exit 5, the other images still listed */
  const partial = async (root: string, member: string, missing: string[]) => {
    const r = await runInProcess(['images', root, '--json']);
    expect(r.code, r.stderr).toBe(5);
    const errors = r.stderr.split('\n').filter((l) => l.includes('"error"'));
    expect(errors.length).toBe(1);
    expect(errors[0]).toContain(`${root}!${member}`);
    const tags = (JSON.parse(r.stdout) as ImagesRow[]).flatMap((x) => x.repoTags);
    for (const t of missing) expect(tags).not.toContain(t);
    expect(tags).toContain('signed:1.0');
    return errors[0]!;
  };

  it('a link file holding garbage', async () => {
    const d = copy('garbage-link');
    writeFileSync(join(d, tagLink), 'hello, registry\n');
    expect(await partial(d, tagLink, ['app:1.0'])).toMatch(/not a digest/);
    const v = await runInProcess(['verify', d]);
    expect(v.code).toBe(1);
  });

  it('a link whose content climbs out (../), and a link file that is a symlink out of the input', async () => {
    const d = copy('out-link');
    writeFileSync(join(d, tagLink), '../../../../../../../etc/passwd');
    expect(await partial(d, tagLink, ['app:1.0'])).toMatch(/not a digest/);
    const e = copy('out-symlink');
    rmSync(join(e, tagLink));
    symlinkSync(`${'../'.repeat(14)}etc/hostname`, join(e, tagLink));
    expect(await partial(e, tagLink, ['app:1.0'])).toMatch(/outside/);
  });

  it('a dangling link (its blob is gone), and a layer blob a manifest needs gone', async () => {
    const d = copy('dangling');
    const link = `${V2}/repositories/library/base/_manifests/tags/1.0/current/link`;
    writeFileSync(join(d, link), `sha256:${'ab'.repeat(32)}`);
    expect(await partial(d, link, ['library/base:1.0'])).toMatch(/dangling link.*is not in the store/);
    const v = await runInProcess(['verify', d, '--json']);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain(link);
    const e = copy('no-layer');
    // app1's own layer (the last with content): only app:1.0 and app:latest need it
    const app = inspected.find((i) => i.repo === 'app' && i.ref === '1.0')!;
    const layer = app.layers![3]!.digest;
    rmSync(join(e, blobOf(layer)));
    const r = await runInProcess(['images', e, '--json']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${e}!${blobOf(layer)}: is missing`);
    expect((JSON.parse(r.stdout) as ImagesRow[]).flatMap((x) => x.repoTags).sort()).toEqual(['library/base:1.0', 'signed:1.0']);
  });

  it('a platform manifest of a tagged index gone from the blob store: named, not excused as a save leaving a platform out', async () => {
    const d = copy('no-child');
    const index = inspected.find((i) => i.repo === 'signed' && i.ref === '1.0')!;
    const child = inspected.find((i) => i.via === 'signed:1.0')!.digest;
    rmSync(join(d, blobOf(child)));
    const r = await runInProcess(['images', d, '--json']);
    expect(r.code).toBe(5);
    expect(r.stderr).toContain(`${d}!${blobOf(child)}: is missing, but index ${index.digest} (signed:1.0) lists it`);
    expect((JSON.parse(r.stdout) as ImagesRow[]).flatMap((x) => x.repoTags)).not.toContain('signed:1.0');
    expect((await runInProcess(['verify', d])).code).toBe(1);
  });

  it('a blob a manifest needs but its repository does not link (_layers): the registry would not serve it', async () => {
    const d = copy('unlinked');
    const layer = base.layers![0]!.digest;
    const link = `${V2}/repositories/library/base/_layers/sha256/${layer.slice(7)}/link`;
    rmSync(join(d, link));
    const r = await runInProcess(['images', d]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${d}!${link}: is missing, so the registry will not serve blob ${layer} that library/base:1.0 needs`);
    const v = await runInProcess(['verify', d, '--json']);
    expect(v.code).toBe(1);
    expect(v.stdout).toContain('repository layer link');
  });

  it('a tag whose manifest is not a revision of its repository: noted, a verify mismatch, and its own blobs become garbage', async () => {
    const d = copy('unrevised');
    const link = `${V2}/repositories/library/base/_manifests/revisions/sha256/${base.digest.slice(7)}/link`;
    rmSync(join(d, link));
    const r = await runInProcess(['images', d]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`${d}!${link}: is missing, so the registry will not serve library/base:1.0`);
    expect((await runInProcess(['verify', d])).code).toBe(1);
    // garbage-collect marks from revisions only: the manifest and its config go; its layers are app's too
    const [g] = await runJsonFast<{ garbage: { digest: string }[] }[]>(['garbage', d]);
    expect(g!.garbage.map((x) => x.digest)).toEqual([...gcList('gc-dry-run.txt'), base.digest, base.configDigest!].sort());
  });

  it('an unfinished upload: listed with its size beside the garbage (garbage-collect leaves it), the garbage unchanged', async () => {
    const d = copy('upload');
    const up = join(d, V2, 'repositories/app/_uploads/5d1c6a2e-upload');
    execFileSync('mkdir', ['-p', up]);
    writeFileSync(join(up, 'data'), Buffer.alloc(12345, 7));
    writeFileSync(join(up, 'startedat'), '2026-12-04T20:00:00Z');
    const [doc] = await runJsonFast<{ uploads: { repository: string; size: number }[]; uploadBytes: number; garbage: { digest: string }[] }[]>(['garbage', d]);
    expect(doc!.uploads.map((u) => [u.repository, u.size])).toEqual([['app', 12345]]);
    expect(doc!.uploadBytes).toBe(12345);
    expect(doc!.garbage.map((g) => g.digest)).toEqual(gcList('gc-dry-run.txt'));
  });

  it('a blob whose bytes do not hash to its path: a manifest (image left out), a layer (verify mismatch)', async () => {
    const d = copy('tampered-manifest');
    appendFileSync(join(d, blobOf(base.digest)), ' ');
    expect(await partial(d, blobOf(base.digest), ['library/base:1.0'])).toMatch(/hashes to sha256:[0-9a-f]{64}, not to the digest it is stored under/);
    const e = copy('tampered-layer');
    const layer = base.layers![0]!.digest;
    appendFileSync(join(e, blobOf(layer)), 'x');
    const v = await runInProcess(['verify', e, '--json', '--no-trunc']);
    expect(v.code).toBe(1);
    const [doc] = JSON.parse(v.stdout) as { images: { checks: { check: string; subject: string; ok: boolean; expected: string }[] }[] }[];
    const bad = doc!.images.flatMap((i) => i.checks).filter((c) => !c.ok);
    expect(bad.some((c) => c.check === 'layer digest' && c.subject.endsWith(`${layer.slice(7)}/data`) && c.expected === layer)).toBe(true);
  });
});
