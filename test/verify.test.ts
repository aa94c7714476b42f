import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FIXTURES, run, runInProcess } from './helpers/cli.js';
import { expectedExternal, realArchives, type Truth } from './helpers/truth.js';
import { changeCharIn, flipByte, swapFiles, tampered, tarMemberData } from './helpers/tamper.js';
import { config, gz, hex, json, sha, tarBuffer, tempDir, twoLayers, writeTree } from './helpers/synth.js';
import { verifyPath } from '../src/app/verify.js';

interface CheckDoc { check: string; subject: string; expected: string | number | null; actual: string | number | null; ok: boolean }
interface VerifyDoc { archive: string; ok: boolean; images: { id: string | null; ok: boolean; checks: CheckDoc[] }[]; artifacts: number; blobs: number; notes: string[] }

async function verifyJson(path: string): Promise<{ code: number; doc: VerifyDoc; stderr: string }> {
  const r = await runInProcess(['verify', path, '--json', '--no-trunc']);
  const docs = JSON.parse(r.stdout) as VerifyDoc[];
  expect(docs).toHaveLength(1);
  return { code: r.code, doc: docs[0]!, stderr: r.stderr };
}

const failed = (d: VerifyDoc) => d.images.flatMap((i) => i.checks.filter((c) => !c.ok));

describe('verify passes on every fixture', () => {
  const all = new Map<string, VerifyDoc>();
  let code = -1;
  beforeAll(async () => {
    // the closed corpus with truth files; generated inputs made to fail live in the other folders of fixtures/
    const dirs = ['real', 'external'].map((d) => join(FIXTURES, d));
    const r = await runInProcess(['verify', ...dirs, '--json', '--no-trunc', '-q']);
    code = r.code;
    for (const d of JSON.parse(r.stdout) as VerifyDoc[]) all.set(d.archive, d);
  });

  it('exit 0 over fixtures/ (real and external), JSON with exactly the issue\'s keys', () => {
    expect(code).toBe(0);
    const docs = [...all.values()];
    const external = Object.keys(expectedExternal()).filter((k) => /\.tar$/.test(k));
    expect(docs.length).toBe(realArchives().length + external.length);
    for (const d of docs) {
      expect(Object.keys(d)).toEqual(['archive', 'ok', 'images', 'artifacts', 'blobs', 'notes']);
      expect(d.artifacts).toBe(0);
      expect(d.ok).toBe(true);
      for (const i of d.images) {
        expect(Object.keys(i)).toEqual(['id', 'ok', 'checks']);
        for (const c of i.checks) expect(Object.keys(c)).toEqual(['check', 'subject', 'expected', 'actual', 'ok']);
      }
    }
  });

  // what verify compares against is what independent tools say the archive declares
  it.each(realArchives())('$name: checks every layer digest, diffID, config and manifest its truth file lists', ({ path, truth }) => {
    const doc = all.get(path);
    expect(doc, path).toBeDefined();
    const checks = doc!.images.flatMap((i) => i.checks);
    const has = (check: string, subject: string, expected: unknown) =>
      checks.some((c) => c.check === check && c.subject === subject && c.expected === expected && c.ok);
    for (const t of truth.images) {
      expect(doc!.images.find((i) => i.id === t.image_id), t.image_id).toBeDefined();
      for (const l of t.layers) {
        expect(has('layer diffID', l.blob_path, l.diff_id), `${l.blob_path} diffID`).toBe(true);
        if (!truth.kind.startsWith('docker-archive')) {
          expect(has('layer digest', l.blob_path, l.blob_digest), `${l.blob_path} digest`).toBe(true);
          expect(has('layer size', l.blob_path, l.blob_size), `${l.blob_path} size`).toBe(true);
        }
      }
      if (truth.kind.startsWith('docker-archive')) {
        expect(has('image ID', t.config_path, t.image_id)).toBe(true);
      } else {
        expect(has('config digest', t.config_path, t.config_digest)).toBe(true);
        expect(has('config size', t.config_path, t.config_size)).toBe(true);
      }
      expect(has('layer count', t.config_path, t.layer_count)).toBe(true);
      if (truth.kind.startsWith('oci')) {
        expect(has('manifest digest', `blobs/sha256/${t.manifest_digest.slice(7)}`, t.manifest_digest)).toBe(true);
        expect(has('manifest size', `blobs/sha256/${t.manifest_digest.slice(7)}`, t.manifest_size)).toBe(true);
      }
    }
  });
});

/** The variants of one image the tamper tests run on, with their truth. */
const VARIANTS = ['docker-archive', 'docker-archive-gz', 'oci', 'oci-archive', 'oci-archive-gzip', 'oci-zstd', 'dir', 'dir-gzip'];
function variant(image: string, v: string): { path: string; truth: Truth } {
  const truth = JSON.parse(readFileSync(join(FIXTURES, 'real', image, `${image}.${v}.truth.json`), 'utf8')) as Truth;
  return { path: join(FIXTURES, 'real', image, truth.archive), truth };
}

function expectFailureNaming(r: { code: number; doc: VerifyDoc }, member: string, label: string): void {
  expect(r.code, label).toBe(1);
  expect(r.doc.ok).toBe(false);
  const names = failed(r.doc).map((c) => `${c.subject} ${c.actual}`);
  expect(names.some((n) => n.includes(member)), `${label}: ${names.join(' | ')}`).toBe(true);
}

describe.each(VARIANTS)('verify fails on tampered copies of app1.%s', (v) => {
  const { path, truth } = variant('app1', v);
  const t = truth.images[0]!;
  const layerBlobs = [...new Set(t.layers.map((l) => l.blob_path))];
  const manifestMember = truth.kind.startsWith('oci') ? `blobs/sha256/${t.manifest_digest.slice(7)}` : 'manifest.json';

  it('one byte changed in each layer blob', async () => {
    for (const blob of layerBlobs) {
      const copy = tampered(path, (root) => flipByte(join(root, blob)));
      expectFailureNaming(await verifyJson(copy), blob, blob);
    }
  });

  it('one byte changed in the config', async () => {
    const copy = tampered(path, (root) => flipByte(join(root, t.config_path)));
    expectFailureNaming(await verifyJson(copy), t.config_path, 'config');
  });

  it('one byte changed in the manifest', async () => {
    // a plain docker-archive's manifest.json is covered by no digest: change a layer's name in it
    const copy = tampered(path, (root) => (manifestMember === 'manifest.json'
      ? changeCharIn(join(root, 'manifest.json'), t.layers[2]!.blob_path.replace(/^blobs\/sha256\//, ''), 5)
      : flipByte(join(root, manifestMember))));
    const r = await verifyJson(copy);
    expect(r.code).toBe(1);
    expect(failed(r.doc).length).toBeGreaterThan(0);
    if (manifestMember !== 'manifest.json') expectFailureNaming(r, manifestMember, 'manifest');
  });

  it.skipIf(!truth.kind.startsWith('oci'))('one byte changed in index.json', async () => {
    const copy = tampered(path, (root) => changeCharIn(join(root, 'index.json'), t.manifest_digest.slice(7), 10));
    const r = await verifyJson(copy);
    expect(r.code).toBe(1);
    expect(failed(r.doc).some((c) => c.check === 'manifest present' && c.subject.startsWith('blobs/sha256/'))).toBe(true);
  });

  it('two layer blobs swapped', async () => {
    const [a, b] = [layerBlobs[0]!, layerBlobs[2]!];
    const copy = tampered(path, (root) => swapFiles(join(root, a), join(root, b)));
    const r = await verifyJson(copy);
    expectFailureNaming(r, a, 'swap a');
    expectFailureNaming(r, b, 'swap b');
  });

  it('a layer removed', async () => {
    const blob = t.layers[3]!.blob_path;
    const copy = tampered(path, (root) => {
      if (truth.kind.startsWith('docker-archive')) {
        // drop it from manifest.json's Layers: the config still lists its diffID
        const m = JSON.parse(readFileSync(join(root, 'manifest.json'), 'utf8')) as { Layers: string[] }[];
        m[0]!.Layers.splice(3, 1);
        writeFileSync(join(root, 'manifest.json'), JSON.stringify(m));
      } else {
        rmSync(join(root, blob));
      }
    });
    const r = await verifyJson(copy);
    expect(r.code).toBe(1);
    const names = failed(r.doc).map((c) => `${c.check} ${c.subject} ${c.actual}`).join(' | ');
    expect(names).toMatch(truth.kind.startsWith('docker-archive') ? /lists 5 diffIDs but the manifest has 4 layers/ : new RegExp(blob));
  });
});

describe('every single-byte change in a JSON member is caught', () => {
  /** Flip bit 0 of every byte of `member` in a copy of `archive`; return the offsets verify still calls verified. */
  async function sweep(archive: string, member: string, stride = 1): Promise<{ missed: number[]; text: string }> {
    const copy = tampered(archive, () => {});
    const file = join(copy, member);
    const orig = readFileSync(file);
    const missed: number[] = [];
    for (let i = 0; i < orig.length; i += stride) {
      const b = Buffer.from(orig);
      b[i] = b[i]! ^ 1;
      writeFileSync(file, b);
      if ((await verifyPath(copy)).ok) missed.push(i);
    }
    writeFileSync(file, orig);
    expect((await verifyPath(copy)).ok).toBe(true);
    return { missed, text: orig.toString('latin1') };
  }

  /** The same for a member of a tar (or tar.gz), flipped in place at the offset Python's tarfile gives. */
  async function sweepTar(archive: string, member: string, stride = 1): Promise<{ missed: number[]; text: string }> {
    const gzipped = archive.endsWith('.gz');
    const plain = gzipped ? gunzipSync(readFileSync(archive)) : readFileSync(archive);
    const dir = tempDir();
    const plainPath = join(dir, 'plain.tar');
    writeFileSync(plainPath, plain);
    const { offset, size } = tarMemberData(plainPath, member);
    const out = join(dir, gzipped ? 'x.tar.gz' : 'x.tar');
    const missed: number[] = [];
    for (let i = 0; i < size; i += stride) {
      const b = Buffer.from(plain);
      b[offset + i] = b[offset + i]! ^ 1;
      writeFileSync(out, gzipped ? gzipSync(b, { level: 1 }) : b);
      if ((await verifyPath(out)).ok) missed.push(i);
    }
    return { missed, text: plain.subarray(offset, offset + size).toString('latin1') };
  }

  /** Offsets inside `"key": <value>` for the keys no digest covers and nothing checks (names, tags). */
  function unprotected(text: string, keys: string[]): Set<number> {
    const out = new Set<number>();
    for (const k of keys) {
      const re = new RegExp(`"${k}"\\s*:\\s*("[^"]*"|\\{[^}]*\\}|\\[[^\\]]*\\]|null)`, 'g');
      for (let m = re.exec(text); m; m = re.exec(text)) for (let i = m.index; i < m.index + m[0].length; i++) out.add(i);
    }
    return out;
  }

  const base = (v: string) => variant('base', v);

  // every byte of the manifest; configs (larger, the same mechanism) at a stride coprime with JSON's structure
  it('content-addressed members: the OCI manifest, OCI config, skopeo config, docker-archive config', async () => {
    const oci = base('oci');
    const dir = base('dir');
    const da = base('docker-archive');
    const members: [string, string, number][] = [
      [oci.path, `blobs/sha256/${oci.truth.images[0]!.manifest_digest.slice(7)}`, 1],
      [oci.path, oci.truth.images[0]!.config_path, 7],
      [dir.path, dir.truth.images[0]!.config_path, 7],
    ];
    for (const [archive, member, stride] of members) {
      const { missed } = await sweep(archive, member, stride);
      expect(missed, `${archive} ${member}`).toEqual([]);
    }
    const cfg = await sweepTar(da.path, da.truth.images[0]!.config_path, 3);
    expect(cfg.missed).toEqual([]);
  });

  it('roots no digest covers: index.json and oci-layout, a skopeo manifest.json — all but names', async () => {
    const oci = base('oci');
    const index = await sweep(oci.path, 'index.json');
    const allowed = unprotected(index.text, ['annotations']);
    expect(index.missed.filter((i) => !allowed.has(i))).toEqual([]);
    expect((await sweep(oci.path, 'oci-layout')).missed).toEqual([]);

    for (const v of ['dir', 'dir-zstd']) {
      const m = await sweep(base(v).path, 'manifest.json', v === 'dir' ? 1 : 5);
      // the manifest's own top-level mediaType key is optional for OCI manifests: renaming it cannot be told from omitting it
      const optional = new Set<number>();
      const at = m.text.indexOf('"mediaType"');
      for (let i = at; i < at + '"mediaType"'.length; i++) optional.add(i);
      expect(m.missed.filter((i) => !optional.has(i)), v).toEqual([]);
    }
  });

  it('a docker-archive manifest.json: every byte outside RepoTags (tags are covered by nothing)', async () => {
    for (const v of ['docker-archive', 'docker-archive-gz']) {
      const m = await sweepTar(base(v).path, 'manifest.json');
      const allowed = unprotected(m.text, ['RepoTags']);
      expect(m.missed.filter((i) => !allowed.has(i)), v).toEqual([]);
    }
  });
});

describe('verify output and exit codes', () => {
  it('the table: one line per failed check (check, member, expected, actual) and a summary; exit 1', () => {
    const { path, truth } = variant('app1', 'oci');
    const blob = truth.images[0]!.layers[2]!.blob_path;
    const copy = tampered(path, (root) => flipByte(join(root, blob)));
    const r = run(['verify', copy]);
    expect(r.code).toBe(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^IMAGE\s+CHECK\s+MEMBER\s+EXPECTED\s+ACTUAL$/);
    const rows = lines.filter((l) => l.includes(blob));
    expect(rows.some((l) => /layer digest/.test(l) && l.includes(truth.images[0]!.layers[2]!.blob_digest.slice(7, 19)))).toBe(true);
    expect(lines.at(-1)).toMatch(/: MISMATCH: \d+ of \d+ checks failed \(1 image, 0 artifacts, \d+ blobs checked\)$/);
  });

  it('verified is exit 0 with a summary only; unreadable input is exit 3; a mismatch outranks it', () => {
    const base = variant('base', 'oci-archive');
    const ok = run(['verify', base.path]);
    expect(ok.code).toBe(0);
    // blobs: the manifest, the config and each layer the truth file lists
    const blobs = 2 + base.truth.images[0]!.layers.length;
    expect(ok.stdout.trim()).toMatch(new RegExp(`base\\.oci-archive\\.tar: verified: \\d+ checks passed \\(1 image, 0 artifacts, ${blobs} blobs verified\\)$`));

    const dir = tempDir();
    const truncated = join(dir, 'truncated.tar');
    const whole = readFileSync(variant('base', 'docker-archive').path);
    writeFileSync(truncated, whole.subarray(0, whole.length - 5000));
    const bad = run(['verify', truncated]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/truncated\.tar: COULD NOT READ/);

    const { path, truth } = variant('base', 'oci');
    const altered = tampered(path, (root) => flipByte(join(root, truth.images[0]!.layers[0]!.blob_path)));
    const both = run(['verify', truncated, altered, '--json']);
    expect(both.code).toBe(1);
    expect((JSON.parse(both.stdout) as VerifyDoc[]).map((d) => d.ok)).toEqual([false, false]);
  });

  it('notes, not failures: unreferenced blobs, other platforms missing by design', async () => {
    const { path } = variant('base', 'oci');
    const copy = tampered(path, (root) => writeFileSync(join(root, 'blobs/sha256', 'a'.repeat(64)), 'stray'));
    const r = await verifyJson(copy);
    expect(r.code).toBe(0);
    expect(r.doc.notes.some((n) => n.includes(`blobs/sha256/${'a'.repeat(64)}`) && /nothing in it references it/.test(n))).toBe(true);
  });
});

describe('verify on synthetic layouts', () => {
  const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
  const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
  const desc = (mediaType: string, body: Buffer | string, extra: Record<string, unknown> = {}) =>
    ({ mediaType, digest: sha(body), size: Buffer.byteLength(body), ...extra });

  async function image() {
    const L = await twoLayers();
    const blobs = L.layers.map(gz);
    const cfg = config(L.diffIds);
    const manifest = json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc('application/vnd.oci.image.config.v1+json', cfg),
      layers: blobs.map((b) => desc('application/vnd.oci.image.layer.v1.tar+gzip', b)) });
    const files: Record<string, Buffer | string> = { [`blobs/sha256/${hex(cfg)}`]: cfg, [`blobs/sha256/${hex(manifest)}`]: manifest, 'oci-layout': '{"imageLayoutVersion":"1.0.0"}' };
    for (const b of blobs) files[`blobs/sha256/${hex(b)}`] = b;
    return { files, manifest, cfg, blobs };
  }

  it('a containerd save without the other platforms verifies, with a note; a missing top-level manifest is a mismatch', async () => {
    const a = await image();
    const absent = json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: {}, layers: [] });
    const list = json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [
      desc(OCI_MANIFEST, a.manifest, { platform: { os: 'linux', architecture: 'amd64' } }),
      desc(OCI_MANIFEST, absent, { platform: { os: 'linux', architecture: 'arm64' } }),
    ] });
    const good = writeTree(tempDir(), { ...a.files, [`blobs/sha256/${hex(list)}`]: list,
      'index.json': json({ schemaVersion: 2, manifests: [desc(OCI_INDEX, list)] }) });
    const r = await verifyJson(good);
    expect(r.code).toBe(0);
    expect(r.doc.notes.some((n) => /linux\/arm64\) is referenced by .* but not in the archive/.test(n))).toBe(true);
    expect(r.doc.images[0]!.checks.some((c) => c.check === 'index digest' && c.ok)).toBe(true);

    const bad = writeTree(tempDir(), { ...a.files,
      'index.json': json({ schemaVersion: 2, manifests: [desc(OCI_MANIFEST, a.manifest), desc(OCI_MANIFEST, absent)] }) });
    const r2 = await verifyJson(bad);
    expect(r2.code).toBe(1);
    expect(failed(r2.doc)).toEqual([expect.objectContaining({ check: 'manifest present', subject: `blobs/sha256/${hex(absent)}` })]);
  });

  it('Docker 25: manifest.json entries must agree with index.json', async () => {
    const a = await image();
    const index = json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [desc(OCI_MANIFEST, a.manifest, { annotations: { 'io.containerd.image.name': 'docker.io/library/app:1.0', 'org.opencontainers.image.ref.name': '1.0' } })] });
    const entry = (layers: Buffer[], tags: string[]) => json([{ Config: `blobs/sha256/${hex(a.cfg)}`, RepoTags: tags, Layers: layers.map((b) => `blobs/sha256/${hex(b)}`) }]);
    const write = async (manifestJson: string) => {
      const dir = writeTree(tempDir(), { ...a.files, 'index.json': index, 'manifest.json': manifestJson });
      const tarPath = join(tempDir(), 'd25.tar');
      expect(spawnSync('tar', ['-cf', tarPath, '-C', dir, '.']).status).toBe(0);
      return tarPath;
    };
    expect((await verifyJson(await write(entry(a.blobs, ['app:1.0'])))).code).toBe(0);
    const reversed = await verifyJson(await write(entry([...a.blobs].reverse(), ['app:1.0'])));
    expect(reversed.code).toBe(1);
    expect(failed(reversed.doc).some((c) => c.check === 'manifest.json agrees with index.json' && c.subject === 'manifest.json[0].Layers[0]')).toBe(true);
    const retagged = await verifyJson(await write(entry(a.blobs, ['app:2.0'])));
    expect(retagged.code).toBe(1);
    expect(failed(retagged.doc)).toEqual([expect.objectContaining({ check: 'manifest.json agrees with index.json', subject: 'manifest.json[0].RepoTags', actual: 'app:2.0' })]);
  });

  it('links that leave the archive, names used twice and ../ names are archive-wide failures', async () => {
    const L = await twoLayers();
    const cfg = config(L.diffIds);
    const tarPath = join(tempDir(), 'odd.tar');
    writeFileSync(tarPath, await tarBuffer([
      { name: 'a.tar', body: L.layers[0]! }, { name: 'b.tar', body: L.layers[1]! }, { name: `${hex(cfg)}.json`, body: cfg },
      { name: 'manifest.json', body: json([{ Config: `${hex(cfg)}.json`, RepoTags: ['x:1'], Layers: ['a.tar', 'b.tar'] }]) },
      { name: 'escape', type: 'symlink', linkname: '../../etc/passwd' },
      { name: 'extra.txt', body: 'one' }, { name: 'extra.txt', body: 'two' },
      { name: '../up.txt', body: 'up' },
    ]));
    const r = await verifyJson(tarPath);
    expect(r.code).toBe(1);
    const f = failed(r.doc);
    expect(r.doc.images[0]!.id).toBeNull();
    expect(f).toEqual(expect.arrayContaining([
      expect.objectContaining({ check: 'link', subject: 'escape' }),
      expect.objectContaining({ check: 'member name', subject: 'extra.txt', actual: 'several' }),
      expect.objectContaining({ check: 'member name', subject: '../up.txt' }),
    ]));
    expect(r.doc.images[1]!.ok).toBe(true);
  });
});
