import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, FIXTURES, type RunResult } from './helpers/cli.js';
import { realArchives } from './helpers/truth.js';

/**
 * The gzip backends (Node's zlib in-process; ISA-L's `igzip -dc` in a child
 * process, LAYERDIG_GZIP forces one) and --jobs settings must give the same
 * answer byte for byte: listings, diffIDs, digests, and for bad data the same
 * sentence and exit code. Truth: diffIDs recorded by real tools (truth files)
 * and `gzip -dc | sha256sum` / `sha256sum` run here on the same blobs.
 */
const IGZIP = spawnSync('bash', ['-c', 'command -v igzip']).stdout.toString().trim();
const sh = (cmd: string) => {
  const r = spawnSync('bash', ['-c', `set -euo pipefail; ${cmd}`], { maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`${cmd}: ${r.stderr.toString()}`);
  return r.stdout;
};
const sha256sum = (cmd: string) => `sha256:${sh(`${cmd} | sha256sum`).toString().split(' ')[0]}`;

interface LayersDoc { layers: { diffId: string; digest: string; content: string[]; uncompressedSize: number }[] }

describe.skipIf(!IGZIP)('gzip backends: zlib and igzip', () => {
  const tmp = mkdtempSync(join(tmpdir(), 'layerdig-gzip-'));
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  // a PATH whose igzip logs that it ran, then is the real one: proves the child backend was used
  const bin = join(tmp, 'bin');
  const log = join(tmp, 'igzip.log');
  mkdirSync(bin);
  writeFileSync(join(bin, 'igzip'), `#!/bin/sh\necho "$@" >> '${log}'\nexec '${IGZIP}' "$@"\n`);
  chmodSync(join(bin, 'igzip'), 0o755);
  const PATH = `${bin}:${process.env.PATH}`;
  const igzipRuns = () => { try { return readFileSync(log, 'utf8').split('\n').filter(Boolean).length; } catch { return 0; } };
  const withBackend = (backend: 'zlib' | 'igzip', args: string[]): RunResult => run(args, { env: { LAYERDIG_GZIP: backend, PATH } });

  // each gzip layout once, over fixtures made by different tools
  const gzipArchives = realArchives().filter((a) => /^(app1\/app1\.(oci-gzip|dir-v2s2-gzip)|fixture\/fixture\.oci-archive-gzip\.tar|multi\/multi\.oci-gzip|opaque\/opaque\.dir-gzip)$/.test(a.name));

  it.each(gzipArchives.map((a) => [a.name, a] as const))('%s: igzip = zlib, --jobs 1 = --jobs 2, diffIDs = truth', (_n, a) => {
    const before = igzipRuns();
    const results = [
      withBackend('zlib', ['layers', a.path, '--json', '--no-trunc', '--jobs', '1']),
      withBackend('igzip', ['layers', a.path, '--json', '--no-trunc', '--jobs', '1']),
      withBackend('igzip', ['layers', a.path, '--json', '--no-trunc', '--jobs', '2']),
    ];
    expect(igzipRuns()).toBeGreaterThan(before);
    for (const r of results) expect(r).toEqual(results[0]);
    expect(results[0]!.code, results[0]!.stderr).toBe(0);
    const docs = JSON.parse(results[0]!.stdout) as LayersDoc[];
    a.truth.images.forEach((t, i) => {
      expect(docs[i]!.layers.map((l) => l.diffId)).toEqual(t.diff_ids);
      expect(docs[i]!.layers.map((l) => l.uncompressedSize)).toEqual(t.layers.map((l) => l.uncompressed_size));
    });
    // file listings too
    if (a.truth.images.length === 1) {
      const ls = (backend: 'zlib' | 'igzip') => withBackend(backend, ['ls', a.path, '--json']);
      const z = ls('zlib');
      expect(z.code, z.stderr).toBe(0);
      expect(ls('igzip')).toEqual(z);
    }
  });

  // one OCI layout whose largest gzip blob is replaced by variants made with GNU gzip
  const base = join(FIXTURES, 'real', 'app1', 'app1.oci-gzip');
  const blobsOf = (dir: string) => join(dir, 'blobs', 'sha256');
  const biggest = readdirSync(blobsOf(base)).sort((x, y) => statSync(join(blobsOf(base), y)).size - statSync(join(blobsOf(base), x)).size)[0]!;
  const original = join(blobsOf(base), biggest);
  const variant = (name: string, make: (blob: string) => string): string => {
    const dir = join(tmp, name);
    cpSync(base, dir, { recursive: true });
    const blob = join(blobsOf(dir), biggest);
    sh(`${make(original)} > '${blob}.new' && mv '${blob}.new' '${blob}'`);
    return dir;
  };
  const all = (dir: string, extra: string[] = []) => [
    withBackend('zlib', ['layers', dir, '--json', '--no-trunc', '--jobs', '1', ...extra]),
    withBackend('igzip', ['layers', dir, '--json', '--no-trunc', '--jobs', '1', ...extra]),
    withBackend('igzip', ['layers', dir, '--json', '--no-trunc', '--jobs', '2', ...extra]),
  ];
  const tarBytes = Number(sh(`gzip -dc '${original}' | wc -c`).toString().trim());
  const truthDiffId = sha256sum(`gzip -dc '${original}'`);

  it('the unchanged blob: diffID and digest = gzip -dc | sha256sum and sha256sum', () => {
    const rs = all(base);
    for (const r of rs) expect(r).toEqual(rs[0]);
    const layer = (JSON.parse(rs[0]!.stdout) as LayersDoc[])[0]!.layers.find((l) => l.digest === `sha256:${biggest}`)!;
    expect(layer.diffId).toBe(truthDiffId);
    expect(layer.digest).toBe(sha256sum(`cat '${original}'`));
  });

  it('two concatenated gzip members: the same listing and diffID (gzip -dc | sha256sum) through both', () => {
    const half = Math.floor(tarBytes / 2);
    const dir = variant('members', (b) => `{ gzip -dc '${b}' | head -c ${half} | gzip -n; gzip -dc '${b}' | tail -c +${half + 1} | gzip -n; }`);
    const rs = all(dir);
    for (const r of rs) expect(r).toEqual(rs[0]);
    const doc = JSON.parse(rs[0]!.stdout) as LayersDoc[];
    const blob = join(blobsOf(dir), biggest);
    const layer = doc[0]!.layers.find((l) => l.digest === `sha256:${biggest}`)!; // the declared digest
    expect(layer.diffId).toBe(sha256sum(`gzip -dc '${blob}'`));
    expect(layer.diffId).toBe(truthDiffId);
  });

  it.each([
    ['zeros after the member (zlib reads on and accepts them)', (b: string) => `{ cat '${b}'; head -c 1024 /dev/zero; }`],
    ['garbage after the member', (b: string) => `{ cat '${b}'; printf 'not gzip at all'; }`],
    ['a truncated blob', (b: string) => `head -c ${Math.floor(statSync(original).size / 2)} '${b}'`],
    ['a corrupt blob (bytes flipped mid-stream)', (b: string) => `{ head -c 20000 '${b}'; head -c 64 /dev/zero | tr '\\0' 'x'; tail -c +20065 '${b}'; }`],
  ])('%s: the same output, sentence and exit code through both', (name, make) => {
    const rs = all(variant(name.split(' ')[0]!, make));
    for (const r of rs) expect(r).toEqual(rs[0]);
    if (name.startsWith('zeros')) {
      expect(rs[0]!.code).toBe(1); // the blob no longer matches its digest: a finding, listing printed
    } else {
      expect(rs[0]!.code).toBe(3);
      expect(rs[0]!.stderr).toContain(biggest);
      expect(rs[0]!.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('the safety limits stop the igzip pass as they stop zlib\'s', () => {
    const rs = all(base, ['--max-layer-bytes', String(Math.floor(tarBytes / 2))]);
    const words = (r: RunResult) => ({ ...r, stderr: r.stderr.replace(/\d+/g, 'N') });
    for (const r of rs) expect(words(r)).toEqual(words(rs[0]!));
    expect(rs[0]!.code).not.toBe(0);
    expect(rs[0]!.stderr).toMatch(/decompression bomb/);
  });

  it('without igzip on PATH, LAYERDIG_GZIP=igzip falls back to zlib', () => {
    const empty = join(tmp, 'empty-path');
    mkdirSync(empty);
    const r = run(['layers', base, '--json', '--no-trunc'], { env: { LAYERDIG_GZIP: 'igzip', PATH: empty } });
    expect(r).toEqual(withBackend('zlib', ['layers', base, '--json', '--no-trunc']));
  });
});
