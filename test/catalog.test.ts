import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, run } from './helpers/cli.js';
import { realArchives } from './helpers/truth.js';
import { truthPool } from './helpers/truth-pool.js';
import { Catalog } from '../src/catalog/catalog.js';
import { findFiles } from '../src/catalog/files.js';
import { defaultDbPath } from '../src/catalog/fingerprint.js';

let tmp: string;
let env: NodeJS.ProcessEnv;
const pool = truthPool();

beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'layerdig-cat-'));
  env = { XDG_CACHE_HOME: join(tmp, 'cache') };
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const cli = (args: string[]) => run(args, { env });
const json = <T>(args: string[]): T => {
  const r = cli([...args, '--json']);
  if (r.code !== 0) throw new Error(`layerdig ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
};

interface IndexDoc { db: string; archives: { archive: string; status: string; images: number; layersListed: number }[] }

describe('catalog of all of fixtures/ in the default place', () => {
  let first: IndexDoc;
  beforeAll(() => {
    first = json<IndexDoc>(['index', 'fixtures/', '-q']);
  });

  it('lives under $XDG_CACHE_HOME/layerdig and records every archive', () => {
    expect(first.db).toBe(join(tmp, 'cache', 'layerdig', 'catalog.db'));
    expect(defaultDbPath(env)).toBe(first.db);
    expect(existsSync(first.db)).toBe(true);
    const archives = [...new Set(pool.map((p) => p.archive))].sort();
    expect(first.archives.map((a) => a.archive).sort()).toEqual(archives);
    expect(first.archives.every((a) => a.status === 'indexed')).toBe(true);
    const images = first.archives.reduce((s, a) => s + a.images, 0);
    expect(images).toBe(pool.length);
  });

  it('a second index run skips every archive by size+mtime', () => {
    const again = json<IndexDoc>(['index', 'fixtures/', '-q']);
    expect(again.archives.map((a) => a.status)).toEqual(first.archives.map(() => 'unchanged'));
    expect(again.archives.map((a) => a.images)).toEqual(first.archives.map((a) => a.images));
  });

  const base = pool.find((p) => p.archive.endsWith('base/base.docker-archive.tar'))!;
  const old = pool.find((p) => p.archive.endsWith('multi/multi.docker-archive.tar') && p.untagged)!;
  it.each([
    ['relation by diffID prefix', ['relation', base.diffIds[0]!.slice(7, 19)]],
    ['relation by chainID', ['relation', base.chainIds[1]!]],
    ['none <IMAGE-ID>', ['none', old.id.slice(7, 19)]],
    ['none --all', ['none', '--all']],
  ])('%s: the catalog answers exactly as the direct scan', (_what, args) => {
    const direct = cli([...args, 'fixtures/', '--json', '-q']);
    const fromDb = cli([...args, '--db', '', '--json', '-q']);
    expect(direct.code).toBe(0);
    expect(fromDb.code).toBe(0);
    expect(fromDb.stdout).toBe(direct.stdout);
    // narrowed to a directory, still the same as a direct scan of it
    const narrow = cli([...args, 'fixtures/real/multi', '--db', '', '--json', '-q']);
    expect(narrow.stdout).toBe(cli([...args, 'fixtures/real/multi', '--json', '-q']).stdout);
  });

  it('base --against fixtures/ and base --db agree', () => {
    const direct = cli(['base', 'fixtures/real/app1/app1.oci', '--against', 'fixtures/', '--json', '-q']);
    const fromDb = cli(['base', 'fixtures/real/app1/app1.oci', '--db', '', '--json', '-q']);
    expect(direct.code).toBe(0);
    expect(fromDb.stdout).toBe(direct.stdout);
    const narrowed = cli(['base', 'fixtures/real/app1/app1.oci', '--db', '', '--against', 'fixtures/real/base', '--json', '-q']);
    expect(narrowed.stdout).toBe(cli(['base', 'fixtures/real/app1/app1.oci', '--against', 'fixtures/real/base', '--json', '-q']).stdout);
  });

  it('a path the catalog does not know is reported', () => {
    const r = cli(['relation', base.diffIds[0]!, join(tmp, 'elsewhere'), '--db', '']);
    expect(r.stderr).toContain('not in the catalog');
  });
});

describe('stale entries are reported, not trusted; re-indexing fixes them', () => {
  let ev: string;
  let db: string;
  const baseTar = () => join(ev, 'base.docker-archive.tar');
  const opaqueDir = () => join(ev, 'nested', 'opaque.oci');
  const baseLayer = pool.find((p) => p.archive.endsWith('base/base.docker-archive.tar'))!.diffIds[0]!;

  beforeAll(() => {
    ev = join(tmp, 'evidence');
    mkdirSync(join(ev, 'nested'), { recursive: true });
    cpSync(join(FIXTURES, 'real/base/base.docker-archive.tar'), baseTar());
    cpSync(join(FIXTURES, 'real/opaque/opaque.oci'), opaqueDir(), { recursive: true });
    cpSync(join(FIXTURES, 'real/app2/app2.oci-archive-gzip.tar'), join(ev, 'app2.oci-archive-gzip.tar'));
    db = join(tmp, 'case.db');
    const r = cli(['index', ev, '--db', db, '--json', '-q']);
    expect(r.code).toBe(0);
  });

  const holders = () => {
    const r = cli(['relation', baseLayer, '--db', db, '--json']);
    return { archives: (JSON.parse(r.stdout) as { matches: { image: { archive: string } }[] }).matches.map((m) => m.image.archive).sort(), stderr: r.stderr };
  };

  it('all three copies hold the base layer', () => {
    expect(holders().archives).toEqual([baseTar(), join(ev, 'app2.oci-archive-gzip.tar'), opaqueDir()].sort());
  });

  it('a changed archive (new mtime) and a moved one are left out, with a warning each', () => {
    utimesSync(baseTar(), new Date(), new Date(Date.now() + 5000));
    cpSync(opaqueDir(), join(ev, 'moved.oci'), { recursive: true });
    rmSync(opaqueDir(), { recursive: true });
    const h = holders();
    expect(h.archives).toEqual([join(ev, 'app2.oci-archive-gzip.tar')]);
    expect(h.stderr).toContain(`${baseTar()}: in the catalog but changed since it was indexed: not used`);
    expect(h.stderr).toContain(`${opaqueDir()}: in the catalog but gone (moved or deleted): not used`);
  });

  it('index again: the changed one is updated, the gone one removed, the moved one indexed, the rest skipped', () => {
    const doc = JSON.parse(cli(['index', ev, '--db', db, '--json', '-q']).stdout) as IndexDoc;
    const status = Object.fromEntries(doc.archives.map((a) => [a.archive, a.status]));
    expect(status).toEqual({
      [baseTar()]: 'updated',
      [join(ev, 'app2.oci-archive-gzip.tar')]: 'unchanged',
      [join(ev, 'moved.oci')]: 'indexed',
      [opaqueDir()]: 'removed',
    });
    expect(holders().stderr).toBe('');
  });
});

describe('file listings (--files) and findFiles() for the `file` command', () => {
  let db: string;
  const subset = ['real/base/base.oci-gzip', 'real/opaque/opaque.docker-archive.tar', 'real/fixture/fixture.oci-archive-zstd.tar'];
  const truths = realArchives().filter((a) => subset.some((s) => a.path.endsWith(s)));

  beforeAll(() => {
    db = join(tmp, 'files.db');
    const r = cli(['index', ...subset.map((s) => `fixtures/${s}`), '--db', db, '--files', '--json', '-q']);
    expect(r.code).toBe(0);
  });

  it('lists each distinct layer once (by diffID), and a re-run lists none', () => {
    const distinct = new Set(truths.flatMap((t) => t.truth.images.flatMap((i) => i.diff_ids)));
    const again = json<IndexDoc>(['index', ...subset.map((s) => `fixtures/${s}`), '--db', db, '--files', '-q']);
    expect(again.archives.every((a) => a.status === 'unchanged' && a.layersListed === 0)).toBe(true);
    const cat = Catalog.open(db, { create: false });
    try {
      for (const d of distinct) expect(cat.hasLayerFiles(d)).toBe(true);
      const n = (cat.db.prepare('SELECT count(*) AS n FROM layer_files').get() as { n: number }).n;
      expect(n).toBe(distinct.size);
    } finally {
      cat.close();
    }
  });

  /** (diffID, archive, layer index) of every layer whose truth member list has `path` */
  const truthHits = (test: (m: string) => boolean) => truths.flatMap(({ path, truth }) => truth.images.flatMap((img) => img.layers
    .filter((l) => l.members.some((m) => test(m.replace(/^\.\//, '').replace(/\/$/, ''))))
    .map((l) => `${l.diff_id} ${relative(ROOT, path)} ${l.index}`))).sort();

  const hitsOf = (r: ReturnType<typeof findFiles>) => r.hits.flatMap((h) => h.uses.map((u) => `${h.diffId} ${u.archive} ${u.layerIndex}`)).sort();

  it('an exact path, a base-name glob and a path glob', () => {
    const cat = Catalog.open(db, { create: false });
    const cwd = process.cwd();
    process.chdir(ROOT);
    try {
      const exact = findFiles(cat, '/etc/os-release');
      expect(exact.unlisted).toBe(0);
      expect(hitsOf(exact)).toEqual(truthHits((m) => m === 'etc/os-release'));
      expect(exact.hits.every((h) => h.type === 'file' && h.size === 196)).toBe(true);
      const glob = findFiles(cat, 'os-rel*');
      expect(hitsOf(glob)).toEqual(truthHits((m) => /(^|\/)os-rel[^/]*$/.test(m)));
      const path = findFiles(cat, 'usr/bin/*');
      expect(hitsOf(path)).toEqual(truthHits((m) => m.startsWith('usr/bin/') && m.length > 8));
      // whiteouts are listed too: opaque deletes srv/other/gone.txt
      const wh = findFiles(cat, 'srv/other/gone.txt');
      expect(wh.hits.map((h) => [h.path, h.whiteout])).toContainEqual(['srv/other/.wh.gone.txt', 'srv/other/gone.txt']);
    } finally {
      process.chdir(cwd);
      cat.close();
    }
  });
});
