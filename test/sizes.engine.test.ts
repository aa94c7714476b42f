import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, ROOT, run, runInProcess, runJsonFast } from './helpers/cli.js';
import { humanSize } from '../src/report/text.js';

/**
 * Sizes against a real Docker engine (fixtures/engine/make.sh: Docker 20.10 `docker load`
 * of every real docker-archive, `docker history`/`docker images`/`docker image inspect`).
 * DiffSize depends on the layer content only, so the truth recorded for an image's
 * docker-archive holds for every other format of the same image.
 */
interface TruthImage {
  Id: string;
  RepoTags: string[];
  Size: number;
  RootFS: { Layers: string[] };
  /** `docker history --no-trunc -H=false`, newest first */
  history: { ID: string; CreatedBy: string; Size: string }[];
  /** the same rows' SIZE as `docker history` prints it */
  historyHuman: string[];
}
interface TruthFile { archive: string; dockerLoad: string[]; images: TruthImage[] }
interface InspectDoc { Id: string; Size: number | null; BlobSize: number; RootFS: { Layers: string[] } }
interface HistoryDoc { image: { id: string }; history: { emptyLayer: boolean; layerIndex: number | null; diffId: string | null; size: number | null; blobSize: number }[] }
interface ImagesRow { archive: string; id: string; size: number | null; blobSize: number }

const TRUTH = join(ROOT, 'fixtures', 'engine', 'truth');
const truthFiles = readdirSync(TRUTH).filter((f) => f.endsWith('.json') && f !== 'images.json')
  .map((f) => JSON.parse(readFileSync(join(TRUTH, f), 'utf8')) as TruthFile);
const truthImages = truthFiles.flatMap((t) => t.images);
/** the engine's image for a chain of diffIDs (format-independent) */
const byChain = new Map(truthImages.map((i) => [i.RootFS.Layers.join(','), i]));
const engineList = JSON.parse(readFileSync(join(TRUTH, 'images.json'), 'utf8')) as { ID: string; Repository: string; Tag: string; Size: string }[];
const realArchives = (JSON.parse(readFileSync(join(FIXTURES, 'real', 'index.json'), 'utf8')) as { archives: { archive: string }[] })
  .archives.map((a) => join('fixtures', 'real', a.archive));

/** Columns of a layerdig table row (cells are separated by at least three spaces). */
const cells = (line: string) => line.split(/ {3,}/);

describe('sizes are formatted as Docker prints them (go-units HumanSizeWithPrecision(…, 3))', () => {
  it('every size the engine printed in `docker history` and `docker images`', () => {
    const pairs: [number, string][] = [];
    for (const img of truthImages) img.history.forEach((h, i) => pairs.push([Number(h.Size), img.historyHuman[i]!]));
    for (const row of engineList) pairs.push([truthImages.find((i) => i.Id === row.ID)!.Size, row.Size]);
    // the truth covers the interesting cases, so this test cannot pass vacuously
    for (const s of ['0B', '7B', '494B', '1.54kB', '2kB', '2.55kB', '123kB', '263kB', '1e+03kB', '1MB', '1.05MB', '2.1MB']) {
      expect(pairs.map((p) => p[1])).toContain(s);
    }
    expect(pairs.map(([n]) => humanSize(n))).toEqual(pairs.map(([, s]) => s));
  });

  it("ties round to even, as Go's strconv does (1.125 is exact in binary; 1.135 is 1.13500000000000000888…)", () => {
    expect([1125, 1135, 100500, 101500, 999499].map(humanSize)).toEqual(['1.12kB', '1.14kB', '100kB', '102kB', '999kB']);
  });
});

describe('history and images SIZE equal the engine on its own saves and docker loads', () => {
  it.each(truthFiles.map((t) => [t.archive, t] as const))('%s', async (archive, t) => {
    const hist = await runJsonFast<HistoryDoc[]>(['history', archive, '-q']);
    const imgs = await runJsonFast<ImagesRow[]>(['images', archive, '-q']);
    const docs = await runJsonFast<InspectDoc[]>(['inspect', archive, '-q']);
    for (const want of t.images) {
      const h = hist.find((d) => d.image.id === want.Id)!;
      // docker history lists newest first
      expect(h.history.map((e) => e.size).reverse()).toEqual(want.history.map((e) => Number(e.Size)));
      expect(imgs.find((r) => r.id === want.Id)!.size).toBe(want.Size);
      expect(docs.find((d) => d.Id === want.Id)!.Size).toBe(want.Size);
    }
  });

  it('the tables print the engine\'s strings under SIZE', () => {
    const archive = 'fixtures/engine/small-multi.docker-archive.tar';
    const t = truthFiles.find((f) => f.archive === archive)!;
    const out = run(['history', archive]);
    expect(out.code).toBe(0);
    const blocks = out.stdout.trim().split('\n\n');
    for (const [i, want] of t.images.entries()) {
      const [, head, ...rows] = blocks[i]!.split('\n');
      const col = cells(head!).indexOf('SIZE');
      expect(col).toBeGreaterThan(0);
      expect(rows.map((r) => cells(r)[col])).toEqual(want.historyHuman);
    }
    const table = run(['images', archive, '--no-trunc']).stdout.trim().split('\n');
    const col = cells(table[0]!).indexOf('SIZE');
    const idCol = cells(table[0]!).indexOf('IMAGE ID');
    for (const r of table.slice(1)) {
      expect(cells(r)[col]).toBe(engineList.find((e) => e.ID === cells(r)[idCol])!.Size);
    }
  });
});

describe('the same figures on every other format of the same image', () => {
  it('history and images of all real variants (OCI, OCI gzip/zstd, oci-archive, dir, whole-gzipped save)', async () => {
    // the engine's image for each (archive, image): by its chain of diffIDs, read from history
    const want = new Map<string, TruthImage>();
    for (const archive of realArchives) {
      for (const h of await runJsonFast<HistoryDoc[]>(['history', archive, '-q'])) {
        const layers = h.history.filter((e) => e.layerIndex !== null).sort((a, b) => a.layerIndex! - b.layerIndex!);
        const truth = byChain.get(layers.map((e) => e.diffId).join(','));
        expect(truth, `${archive}: an image the engine loaded`).toBeDefined();
        // docker history lists newest first
        expect(h.history.map((e) => e.size).reverse(), archive).toEqual(truth!.history.map((e) => Number(e.Size)));
        want.set(`${archive}\0${h.image.id}`, truth!);
      }
    }
    expect(want.size).toBeGreaterThanOrEqual(realArchives.length);
    const rows = await runJsonFast<ImagesRow[]>(['images', ...realArchives, '-q']);
    expect(new Set(rows.map((r) => `${r.archive}\0${r.id}`))).toEqual(new Set(want.keys()));
    for (const r of rows) expect(r.size, r.archive).toBe(want.get(`${r.archive}\0${r.id}`)!.Size);
  }, 180_000);
});

describe('--no-content: the stored size, under a header that says so', () => {
  const archive = 'fixtures/real/base/base.oci-gzip';
  const truth = JSON.parse(readFileSync(join(FIXTURES, 'real', 'base', 'base.oci-gzip.truth.json'), 'utf8')) as
    { images: { layers: { blob_size: number }[] }[] };
  const blobs = truth.images[0]!.layers.map((l) => l.blob_size);

  it('images: BLOB SIZE column, JSON size null and blobSize the sum of the stored blobs', async () => {
    const [row] = await runJsonFast<ImagesRow[]>(['images', archive, '--no-content']);
    expect(row).toMatchObject({ size: null, blobSize: blobs.reduce((s, b) => s + b, 0) });
    const head = cells(run(['images', archive, '--no-content']).stdout.split('\n')[0]!);
    expect(head).toContain('BLOB SIZE');
    expect(head).not.toContain('SIZE');
  });

  it('history: BLOB SIZE column; JSON keeps the stored size as blobSize, size null for layers', async () => {
    const [doc] = await runJsonFast<HistoryDoc[]>(['history', archive, '--no-content']);
    const layers = doc!.history.filter((e) => e.layerIndex !== null);
    expect(layers.map((e) => e.blobSize)).toEqual(blobs);
    expect(layers.every((e) => e.size === null)).toBe(true);
    expect(doc!.history.filter((e) => e.layerIndex === null).every((e) => e.size === 0 && e.blobSize === 0)).toBe(true);
    const head = cells(run(['history', archive, '--no-content']).stdout.split('\n')[1]!);
    expect(head).toContain('BLOB SIZE');
    expect(head).not.toContain('SIZE');
  });
});

describe('ci and the HTML report use the same Docker figure', () => {
  const archive = 'fixtures/real/app1/app1.oci-zstd';
  const want = byChain.get(truthImages.find((i) => i.RepoTags.includes('localhost/rw/app1:latest'))!.RootFS.Layers.join(','))!.Size;

  it('maxImageSize passes at the engine\'s Size and fails one byte below', async () => {
    const at = await runInProcess(['ci', archive, '--maxImageSize', String(want), '--json', '-q']);
    const below = await runInProcess(['ci', archive, '--maxImageSize', String(want - 1), '--json', '-q']);
    expect([at.code, below.code]).toEqual([0, 1]);
  });

  it('the page shows the engine\'s Size as docker does, and its script formats with the same function', async () => {
    const r = await runInProcess(['report', archive, '-o', '-', '--no-verify', '-q']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`size (as docker images)</span><b>${engineList.find((e) => e.Repository === 'localhost/rw/app1')!.Size}</b>`);
    const at = r.stdout.indexOf('var fmt=');
    const src = r.stdout.slice(at + 'var fmt='.length, r.stdout.indexOf('\n  function show(', at)).trim().replace(/;$/, '');
    const fmt = new Function(`return ${src}`)() as (n: number) => string;
    const pairs = truthImages.flatMap((i) => i.history.map((h, k) => [Number(h.Size), i.historyHuman[k]!] as const));
    expect(pairs.map(([n]) => fmt(n))).toEqual(pairs.map(([, s]) => s));
  });

  it('report data: image.size is the engine\'s Size', async () => {
    const r = await runInProcess(['report', archive, '--json', '--no-verify', '-q']);
    expect((JSON.parse(r.stdout) as { image: { size: number } }).image.size).toBe(want);
  });
});
