import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { run, FIXTURES } from './helpers/cli.js';
import { changeCharIn, tampered } from './helpers/tamper.js';

/**
 * §2: one unreadable archive or image never hides the others. A directory of
 * three real archives (skopeo/docker-written, with truth files) and one cut
 * short with `head -c`; an archive whose manifest lists one layer too many for
 * one of its four images (edited with jq and re-packed with GNU tar).
 */
interface Truth { images: { image_id: string; repo_tags: string[]; config_path: string; diff_ids: string[] }[] }
const truthOf = (archive: string) => JSON.parse(readFileSync(archive.replace(/\.tar(\.gz)?$/, '.truth.json'), 'utf8')) as Truth;

const GOOD = [
  join(FIXTURES, 'real', 'app1', 'app1.docker-archive.tar'),
  join(FIXTURES, 'real', 'base', 'base.oci-archive.tar'),
  join(FIXTURES, 'real', 'app2', 'app2.docker-archive-gz.tar.gz'),
];
const MULTI = join(FIXTURES, 'real', 'multi', 'multi.docker-archive.tar');

let dir: string;
let broken: string;
const cleanup: string[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'layerdig-partial-'));
  cleanup.push(dir);
  for (const g of GOOD) copyFileSync(g, join(dir, basename(g)));
  broken = join(dir, 'broken.tar');
  const cut = spawnSync('head', ['-c', '100000', GOOD[0]!]);
  writeFileSync(broken, cut.stdout);
});
afterAll(() => {
  for (const d of cleanup) rmSync(d, { recursive: true, force: true });
});

const goodIds = () => [...new Set(GOOD.flatMap((g) => truthOf(g).images.map((i) => i.image_id)))].sort();
/** stderr lines that are not notes */
const lines = (s: string) => s.trimEnd().split('\n').filter(Boolean);

describe('a directory of good archives and one truncated one', () => {
  it('images: the good ones as their truth files say, one line naming the broken one, exit 5', () => {
    const r = run(['images', dir, '--json']);
    expect(r.code, r.stderr).toBe(5);
    const rows = JSON.parse(r.stdout) as { id: string }[];
    expect([...new Set(rows.map((x) => x.id))].sort()).toEqual(goodIds());
    // --json: the error is one JSON line on stderr, in a stable shape
    const errs = lines(r.stderr).filter((l) => l.startsWith('{'));
    expect(errs).toHaveLength(1);
    const e = (JSON.parse(errs[0]!) as { error: { input: string; code: string; message: string } }).error;
    expect(e.input).toBe(broken);
    expect(e.code).toBe('E_BAD_ARCHIVE');
    expect(e.message).toMatch(new RegExp(`^${broken}!\\S+\\.tar: truncated`));
  });

  it('-q never hides it: one human line naming archive and member', () => {
    const r = run(['images', dir, '-q']);
    expect(r.code).toBe(5);
    const errs = lines(r.stderr);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(new RegExp(`^layerdig: ERROR: ${broken}!\\S+\\.tar: truncated.*\\(left out; results for the rest\\)$`));
    for (const id of goodIds()) expect(r.stdout).toContain(id.slice(7, 19));
  });

  it('relation, file and verify go on with the rest and exit 5', () => {
    const diffId = truthOf(GOOD[0]!).images[0]!.diff_ids[0]!;
    const rel = run(['relation', diffId, dir, '--json', '-q']);
    expect(rel.code, rel.stderr).toBe(5);
    expect(lines(rel.stderr).filter((l) => l.includes(broken))).toHaveLength(1);

    const file = run(['file', 'etc/os-release', dir, '--json', '-q']);
    expect(file.code, file.stderr).toBe(5);
    const archives = new Set((JSON.parse(file.stdout) as { image: { archive: string } }[]).map((h) => basename(h.image.archive)));
    expect([...archives].sort()).toEqual(GOOD.map((g) => basename(g)).sort());

    const v = run(['verify', dir, '--json', '-q']);
    expect(v.code, v.stderr).toBe(5);
    const docs = JSON.parse(v.stdout) as { archive: string; ok: boolean }[];
    expect(docs.filter((d) => d.ok).map((d) => basename(d.archive)).sort()).toEqual(GOOD.map((g) => basename(g)).sort());
    expect(docs.find((d) => d.archive === broken)?.ok).toBe(false);
  });

  it('index records the good ones and exits 5', () => {
    const db = join(mkdtempSync(join(tmpdir(), 'layerdig-partial-')), 'c.db');
    cleanup.push(dirname(db));
    const r = run(['index', dir, '--db', db, '--json', '-q']);
    expect(r.code, r.stderr).toBe(5);
    // the catalog holds the three good archives: base's first layer is in each of them
    const rel = run(['relation', truthOf(GOOD[1]!).images[0]!.diff_ids[0]!, '--db', db, '-q']);
    expect(rel.code, rel.stderr).toBe(0);
    for (const g of GOOD) expect(rel.stdout).toContain(basename(g));
    expect(rel.stdout).not.toContain('broken.tar');
  });

  it('nothing readable at all is exit 3, as before (one input: its one sentence)', () => {
    const one = run(['images', broken]);
    expect(one.code).toBe(3);
    expect(lines(one.stderr)).toHaveLength(1);
    expect(run(['layers', broken]).code).toBe(3);
  });
});

describe('one broken image inside an archive does not hide its siblings', () => {
  let multi: string;
  let bad: Truth['images'][number];
  beforeAll(() => {
    const t = truthOf(MULTI);
    bad = t.images.find((i) => i.repo_tags.includes('localhost/rw/app2:latest'))!;
    // app2's manifest entry lists its first layer once more: its config's diff_ids no longer match
    multi = tampered(MULTI, (root) => {
      const m = join(root, 'manifest.json');
      const jq = spawnSync('jq', ['-c', `map(if .Config == "${bad.config_path}" then .Layers += [.Layers[0]] else . end)`, m], { encoding: 'utf8' });
      expect(jq.status, jq.stderr).toBe(0);
      writeFileSync(m, jq.stdout);
    });
    cleanup.push(dirname(multi));
  });

  it.each([['images'], ['history'], ['layers'], ['efficiency'], ['inspect']])('%s: the other images, one error line, exit 5', (cmd) => {
    const r = run([cmd, multi, '--json', '-q']);
    expect(r.code, r.stderr).toBe(5);
    const ids = (JSON.parse(r.stdout) as ({ id?: string; image?: { id: string }; Id?: string })[]).map((d) => d.image?.id ?? d.id ?? d.Id);
    const want = [...new Set(truthOf(MULTI).images.filter((i) => i.image_id !== bad.image_id).map((i) => i.image_id))].sort();
    expect([...new Set(ids)].sort()).toEqual(want);
    const errs = lines(r.stderr);
    expect(errs).toHaveLength(1);
    expect(JSON.parse(errs[0]!).error.message).toContain(`${multi}!${bad.config_path}: the config lists ${bad.diff_ids.length} diffIDs but the manifest has ${bad.diff_ids.length + 1} layers`);
  });
});

describe('verify still fails an archive whose one image cannot be built', () => {
  it('the layer count contradiction is a failed check: exit 1, as when the archive held only that image', () => {
    const t = truthOf(MULTI);
    const bad = t.images.find((i) => i.repo_tags.includes('localhost/rw/app2:latest'))!;
    const copy = tampered(MULTI, (root) => {
      const m = join(root, 'manifest.json');
      const jq = spawnSync('jq', ['-c', `map(if .Config == "${bad.config_path}" then .Layers += [.Layers[0]] else . end)`, m], { encoding: 'utf8' });
      writeFileSync(m, jq.stdout);
    });
    cleanup.push(dirname(copy));
    const r = run(['verify', copy, '--json', '-q']);
    expect(r.code, r.stderr).toBe(1);
    const doc = (JSON.parse(r.stdout) as { ok: boolean; images: { id: string | null; checks: { ok: boolean; actual: string }[] }[] }[])[0]!;
    expect(doc.ok).toBe(false);
    expect(doc.images.find((i) => i.id === null)!.checks.filter((c) => !c.ok).map((c) => c.actual))
      .toEqual([`${copy}!${bad.config_path}: the config lists ${bad.diff_ids.length} diffIDs but the manifest has ${bad.diff_ids.length + 1} layers`]);
  });
});

describe('one diffID-mismatch policy: warn, print the result, exit 1', () => {
  let copy: string;
  beforeAll(() => {
    const t = truthOf(GOOD[0]!).images[0]!;
    // the config declares another diffID for the top layer than its bytes hash to
    copy = tampered(GOOD[0]!, (root) => changeCharIn(join(root, t.config_path), t.diff_ids[3]!.slice(7), 10));
    cleanup.push(dirname(copy));
  });

  it.each([['efficiency'], ['report', '--json'], ['ls'], ['layers'], ['audit']])('%s', (cmd, ...rest) => {
    const r = run([cmd, copy, ...rest]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout.length).toBeGreaterThan(0);
    expect(r.stderr).toMatch(/WARNING: .*layer 3 hashes to sha256:6787e0f521e5\S+ but the config declares diffID sha256:\S+ — the archive does not match its config/);
  });

  it('with a broken archive beside it, the finding (1) outranks partial (5)', () => {
    const d = mkdtempSync(join(tmpdir(), 'layerdig-partial-'));
    cleanup.push(d);
    copyFileSync(copy, join(d, 'mismatch.tar'));
    copyFileSync(broken, join(d, 'broken.tar'));
    const r = run(['file', 'etc/os-release', d, '-q']);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stderr).toMatch(/broken\.tar!\S+: truncated/);
  });
});
