import { cpSync, existsSync, mkdirSync, rmSync, utimesSync } from 'node:fs';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tmp.js';
import { FIXTURES, ROOT, run } from './helpers/cli.js';
import { realArchives } from './helpers/truth.js';
import { registryLayerTruths, truthPool } from './helpers/truth-pool.js';
import { Catalog } from '../src/catalog/catalog.js';
import { openArchive } from '../src/app/archive.js';
import { LayerReader } from '../src/layer/reader.js';
import type { LayerEntry } from '../src/layer/entry.js';
import { defaultDbPath } from '../src/catalog/fingerprint.js';

let tmp: string;
let env: NodeJS.ProcessEnv;
const pool = truthPool();

beforeAll(() => {
  tmp = tempDir('layerdig-cat-');
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

describe('file --db: the listings recorded by index --files, through the same analysis as a direct scan', () => {
  let db: string;
  // fixtures/registry's layers too, as GNU tar lists them
  const truths = [...realArchives(), ...registryLayerTruths()] as ReturnType<typeof realArchives>;

  beforeAll(() => {
    db = join(tmp, 'files.db');
    const r = cli(['index', 'fixtures/', '--db', db, '--files', '--json', '-q']);
    expect(r.code).toBe(0);
  });

  it('lists each distinct layer once (by diffID), and a re-run lists none', () => {
    // every image of fixtures/ (real, external, synthetic: the truth pool)
    const distinct = new Set(pool.flatMap((p) => p.diffIds));
    const again = json<IndexDoc>(['index', 'fixtures/', '--db', db, '--files', '-q']);
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

  it('a listing reads back as the layer pass produced it, in stored order, whiteouts and opaque markers rebuilt', async () => {
    const ar = await openArchive(join(FIXTURES, 'real/opaque/opaque.docker-archive.tar'));
    const cat = Catalog.open(db, { create: false });
    try {
      const reader = new LayerReader();
      let markers = 0;
      for (const l of ar.images[0]!.layers) {
        const { entries } = await reader.listing(ar.store, l);
        const strip = ({ xattrs: _x, device: _d, unsafe: _u, ...e }: LayerEntry) => e;
        expect(cat.layerEntries(l.diffId)).toEqual(entries.map(strip));
        markers += entries.filter((e) => e.whiteout !== undefined || e.opaque !== undefined).length;
      }
      expect(markers).toBeGreaterThan(0);
      expect(cat.layerEntries('sha256:0000000000000000000000000000000000000000000000000000000000000000')).toBeNull();
    } finally {
      cat.close();
      ar.close();
    }
  });

  interface Hit { image: { archive: string; id: string }; layerIndex: number; diffId: string; path: string; change: string }
  /** (diffID, archive, layer index) of every layer whose truth member list has a member `test` accepts */
  const truthHits = (test: (m: string) => boolean) => [...new Set(truths.flatMap(({ path, truth }) => truth.images.flatMap((img) => img.layers
    .filter((l) => l.members.some((m) => test(m.replace(/^\.\//, '').replace(/\/$/, ''))))
    .map((l) => `${l.diff_id} ${relative(ROOT, path)} ${l.index}`))))].sort();
  const layersOf = (hits: Hit[], deleted: boolean) => [...new Set(hits.filter((h) => (h.change === 'deleted') === deleted)
    .map((h) => `${h.diffId} ${h.image.archive} ${h.layerIndex}`))].sort();

  it.each([
    ['/etc/os-release', (m: string) => m === 'etc/os-release'],
    ['os-rel*', (m: string) => /(^|\/)os-rel[^/]*$/.test(m)],
    ['usr/bin/*', (m: string) => m.startsWith('usr/bin/') && m.length > 8 && !m.slice(8).includes('/')],
    ['**', null],
  ] as const)('file %s fixtures/ and file %s --db give the same JSON; the layers are those whose truth member list has it', (pattern, test) => {
    const direct = cli(['file', pattern, 'fixtures/', '--json', '-q']);
    const fromDb = cli(['file', pattern, '--db', db, '--json', '-q']);
    expect(direct.code).toBe(0);
    expect(fromDb.code).toBe(0);
    expect(fromDb.stderr).toBe('');
    expect(fromDb.stdout).toBe(direct.stdout);
    if (test) expect(layersOf(JSON.parse(fromDb.stdout) as Hit[], false)).toEqual(truthHits(test));
    // narrowed to a directory: the same as a direct scan of it
    const narrow = cli(['file', pattern, 'fixtures/real/opaque', '--db', db, '--json', '-q']);
    expect(narrow.stdout).toBe(cli(['file', pattern, 'fixtures/real/opaque', '--json', '-q']).stdout);
  });

  it('a deletion: the layer whose truth member list has the whiteout deletes the path', () => {
    const r = cli(['file', 'srv/other/gone.txt', '--db', db, '--json', '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(cli(['file', 'srv/other/gone.txt', 'fixtures/', '--json', '-q']).stdout);
    const hits = JSON.parse(r.stdout) as Hit[];
    expect(layersOf(hits, true)).toEqual(truthHits((m) => m === 'srv/other/.wh.gone.txt'));
    expect(layersOf(hits, true).length).toBeGreaterThan(0);
  });

  it('images with a layer indexed without --files are not searched, and stderr says how to fix it', () => {
    const part = join(tmp, 'partial.db');
    expect(cli(['index', 'fixtures/real/base', '--db', part, '--files', '-q']).code).toBe(0);
    expect(cli(['index', 'fixtures/real/app2/app2.oci', '--db', part, '-q']).code).toBe(0);
    const r = cli(['file', 'etc/os-release', '--db', part, '--json']);
    expect(r.code).toBe(0);
    // app2's base layer is listed (by diffID, from base), its own layers are not
    const app2 = truths.find((t) => t.name === 'app2/app2.oci')!.truth.images[0]!;
    const missing = app2.diff_ids.filter((d) => !truths.filter((t) => t.name.startsWith('base/')).some((t) => t.truth.images.some((i) => i.diff_ids.includes(d))));
    expect(missing.length).toBeGreaterThan(0);
    expect(r.stderr).toContain(`1 image not searched: ${missing.length} of its layers ${missing.length === 1 ? 'has' : 'have'} no file listing in the catalog`);
    expect(r.stderr).toContain(`run \`layerdig index --files fixtures/real/app2/app2.oci --db ${part}\``);
    const archives = new Set((JSON.parse(r.stdout) as Hit[]).map((h) => h.image.archive));
    expect([...archives].every((a) => a.startsWith('fixtures/real/base/'))).toBe(true);
    // the command it gives fixes it
    expect(cli(['index', '--files', 'fixtures/real/app2/app2.oci', '--db', part, '-q']).code).toBe(0);
    const fixed = cli(['file', 'etc/os-release', '--db', part, '--json']);
    expect(fixed.stderr).toBe('');
    expect(fixed.stdout).toBe(cli(['file', 'etc/os-release', 'fixtures/real/base', 'fixtures/real/app2/app2.oci', '--json', '-q']).stdout);
  });

  it('a changed archive is reported and left out, like the other --db commands', () => {
    const dir = join(tmp, 'file-stale');
    mkdirSync(dir, { recursive: true });
    const tar = join(dir, 'base.docker-archive.tar');
    cpSync(join(FIXTURES, 'real/base/base.docker-archive.tar'), tar);
    const sdb = join(tmp, 'file-stale.db');
    expect(cli(['index', dir, '--db', sdb, '--files', '-q']).code).toBe(0);
    expect((JSON.parse(cli(['file', 'etc/os-release', '--db', sdb, '--json']).stdout) as Hit[]).map((h) => h.image.archive)).toEqual([tar]);
    utimesSync(tar, new Date(), new Date(Date.now() + 5000));
    const r = cli(['file', 'etc/os-release', '--db', sdb, '--json']);
    expect(r.code).toBe(4);
    expect(JSON.parse(r.stdout)).toEqual([]);
    expect(r.stderr).toContain(`${tar}: in the catalog but changed since it was indexed: not used`);
  });

  it('--content with --db is refused: the catalog holds no bytes', () => {
    const r = cli(['file', '--content', 'README.md', 'fixtures/real/base', '--db', db]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--content needs the files\' bytes and the catalog records only listings');
  });
});
