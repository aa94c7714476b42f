import { createCipheriv, createHash } from 'node:crypto';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, createReadStream } from 'node:fs';
import { join } from 'node:path';
import { TarWriter } from './tar-writer.js';

/**
 * Generates the benchmark image once, deterministically, under .bench-cache/:
 * ~1 GB of layer content in 6 layers (many small text files, large random
 * files, large compressible logs, whiteouts), exported four ways:
 *   docker-archive.tar     docker save (≤ 24) layout, plain tar layers
 *   oci-gzip.tar           OCI image layout (as a tar) with gzip layers
 *   oci-zstd.tar           OCI image layout (as a tar) with zstd layers
 *   docker-archive.tar.gz  the docker-archive gzipped as a whole
 * Layer blobs are also kept as files (layers/) for the baselines.
 */
export const GEN_VERSION = 'bench-gen/3';

export interface LayerInfo {
  index: number;
  createdBy: string;
  tar: string;
  gz: string;
  zst: string;
  diffId: string;
  gzDigest: string;
  zstDigest: string;
  size: number;
  gzSize: number;
  zstSize: number;
  files: number;
}

export interface Generated {
  version: string;
  dir: string;
  layers: LayerInfo[];
  archives: { dockerArchive: string; ociGzip: string; ociZstd: string; dockerArchiveGz: string };
  /** members of docker-archive.tar holding each layer */
  dockerLayerMembers: string[];
  totalLayerBytes: number;
}

// ---------- deterministic content ----------

/** xorshift32: cheap deterministic choices */
class Rng {
  constructor(private s: number) { if (!s) this.s = 0x9e3779b9; }
  next(): number {
    let x = this.s;
    x ^= x << 13; x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5; x >>>= 0;
    this.s = x;
    return x;
  }
  int(n: number): number { return this.next() % n; }
}

/** AES-128-CTR keystream: deterministic incompressible bytes at GB/s. */
export function randomStream(label: string): (n: number) => Buffer {
  const key = createHash('sha256').update(label).digest().subarray(0, 16);
  const c = createCipheriv('aes-128-ctr', key, Buffer.alloc(16));
  const zeros = Buffer.alloc(1 << 20);
  return (n) => c.update(zeros.subarray(0, n));
}

const WORDS = ('the of and to in is for on with as by at from that this be are or it an was which not all can has have '
  + 'config value error warning info debug request response server client user session token cache memory disk '
  + 'layer image archive digest manifest index blob tar gzip zstd sha256 node module package function return const '
  + 'import export default class interface type string number boolean object array promise async await stream '
  + 'buffer chunk header entry file directory symlink link mode owner group size time date version build release').split(' ');

/** ~4 MiB of text-like bytes (gzip ratio ~3-4x): small files are slices of it with a unique first line. */
function makeCorpus(): Buffer {
  const rng = new Rng(12345);
  const parts: string[] = [];
  let len = 0;
  let line = 0;
  while (len < 4 << 20) {
    const n = 4 + rng.int(12);
    const words: string[] = [];
    for (let i = 0; i < n; i++) words.push(WORDS[rng.int(WORDS.length)]!);
    const s = `${line++} ${words.join(' ')} ${(rng.next() & 0xffff).toString(16)}\n`;
    parts.push(s);
    len += s.length;
  }
  return Buffer.from(parts.join(''), 'latin1');
}

function textFile(corpus: Buffer, rng: Rng, name: string, size: number): Buffer {
  const head = Buffer.from(`# ${name}\n`);
  const off = rng.int(corpus.length - size - 1);
  return Buffer.concat([head, corpus.subarray(off, off + Math.max(0, size - head.length))]);
}

/** Large compressible stream: corpus slices with changing line prefixes. */
function logStream(corpus: Buffer, seed: number): (n: number) => Buffer {
  const rng = new Rng(seed);
  let t = 1_700_000_000;
  return (n) => {
    const parts: Buffer[] = [];
    let got = 0;
    while (got < n) {
      t += rng.int(5);
      const pre = Buffer.from(`${t} host-${rng.int(64)} pid=${rng.int(40000)} `);
      const len = 2000 + rng.int(6000);
      const off = rng.int(corpus.length - len);
      parts.push(pre, corpus.subarray(off, off + len));
      got += pre.length + len;
    }
    return Buffer.concat(parts, got).subarray(0, n);
  };
}

// ---------- layers ----------

interface LayerPlan { createdBy: string; write: (w: TarWriter) => number }

function plans(corpus: Buffer): LayerPlan[] {
  const MB = 1024 * 1024;
  const smallFiles = (w: TarWriter, root: string, count: number, minSize: number, maxSize: number, seed: number) => {
    const rng = new Rng(seed);
    let files = 0;
    const perDir = 40;
    for (let d = 0; d * perDir < count; d++) {
      const dir = `${root}/pkg-${String(d).padStart(4, '0')}`;
      w.dir(dir);
      for (let i = 0; i < perDir && d * perDir + i < count; i++) {
        const name = `${dir}/file-${i}.${['txt', 'js', 'json', 'md', 'py'][i % 5]}`;
        w.file(name, textFile(corpus, rng, name, minSize + rng.int(maxSize - minSize)));
        files++;
        if (i === 0 && d % 10 === 0) { w.symlink(`${dir}/latest`, `file-${i}.txt`); files++; }
      }
    }
    return files;
  };
  return [
    {
      createdBy: '/bin/sh -c #(nop) ADD file:base-rootfs in / ',
      write: (w) => {
        for (const d of ['bin', 'etc', 'usr', 'usr/share', 'usr/share/doc', 'var', 'var/log', 'tmp']) w.dir(d);
        w.file('etc/os-release', Buffer.from('PRETTY_NAME="Bench Linux"\nID=bench\n'));
        w.file('bin/sh', randomStream('sh')(900_000), 0o755);
        w.hardlink('bin/dash', 'bin/sh');
        return 3 + smallFiles(w, 'usr/share/doc', 30_000, 200, 5000, 1);
      },
    },
    {
      createdBy: '/bin/sh -c npm ci --omit=dev',
      write: (w) => {
        w.dir('usr/lib'); w.dir('usr/lib/node_modules');
        return smallFiles(w, 'usr/lib/node_modules', 25_000, 1000, 9000, 2);
      },
    },
    {
      createdBy: '/bin/sh -c #(nop) COPY dir:data in /opt/data ',
      write: (w) => {
        w.dir('opt'); w.dir('opt/data');
        for (let i = 0; i < 4; i++) w.fileStream(`opt/data/blob-${i}.bin`, 64 * MB, randomStream(`blob-${i}`));
        return 4;
      },
    },
    {
      createdBy: '/bin/sh -c ./generate-logs.sh > /var/log/app',
      write: (w) => {
        w.dir('var/log/app');
        for (let i = 0; i < 3; i++) w.fileStream(`var/log/app/app-${i}.log`, 80 * MB, logStream(corpus, 100 + i));
        return 3;
      },
    },
    {
      createdBy: '/bin/sh -c #(nop) COPY dir:app in /app ',
      write: (w) => {
        w.dir('app');
        let n = smallFiles(w, 'app/src', 8000, 500, 6000, 4);
        w.dir('app/assets');
        for (let i = 0; i < 2; i++) w.fileStream(`app/assets/model-${i}.bin`, 40 * MB, randomStream(`model-${i}`));
        w.fileStream('app/assets/catalog.json', 80 * MB, logStream(corpus, 7));
        return n + 3;
      },
    },
    {
      createdBy: '/bin/sh -c rm -rf /usr/lib/node_modules/pkg-00* /var/log/app/app-2.log && chmod 600 /var/log/app/app-0.log',
      write: (w) => {
        w.dir('usr/lib/node_modules');
        for (let d = 0; d < 100; d++) w.file(`usr/lib/node_modules/.wh.pkg-${String(d).padStart(4, '0')}`, Buffer.alloc(0));
        w.file('var/log/app/.wh.app-2.log', Buffer.alloc(0));
        w.fileStream('var/log/app/app-0.log', 80 * MB, logStream(corpus, 100), 0o600);
        return 102;
      },
    },
  ];
}

// ---------- helpers ----------

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path, { highWaterMark: 1 << 20 }).on('data', (c) => h.update(c)).on('error', reject)
      .on('end', () => resolve(`sha256:${h.digest('hex')}`));
  });
}

export function sh(cmd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('bash', ['-c', `set -euo pipefail; ${cmd}`], { stdio: ['ignore', 'inherit', 'inherit'] });
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd}: exit ${code}`))));
  });
}

/** Run async jobs two at a time (2-core machine). */
export async function twoAtATime(jobs: (() => Promise<void>)[]): Promise<void> {
  let i = 0;
  const lane = async () => { while (i < jobs.length) await jobs[i++]!(); };
  await Promise.all([lane(), lane()]);
}

const hex = (d: string) => d.slice(7);

// ---------- archives ----------

/** A `docker save` (≤ 24) layout; `blobs: 'gzip'` stores each layer gzipped, as `skopeo copy … docker-archive:` may. */
export function dockerArchive(out: string, layers: LayerInfo[], config: Buffer, configDigest: string, blobs: 'plain' | 'gzip' = 'plain', tag = 'bench/app:1.0'): string[] {
  const w = new TarWriter(out);
  const members: string[] = [];
  let parent = '';
  for (const l of layers) {
    const id = createHash('sha256').update(`${parent}\n${l.diffId}`).digest('hex');
    w.dir(id);
    w.file(`${id}/VERSION`, Buffer.from('1.0'));
    w.file(`${id}/json`, Buffer.from(JSON.stringify({ id, ...(parent ? { parent } : {}), created: '2024-01-01T00:00:00Z' })));
    if (blobs === 'gzip') w.fileFrom(`${id}/layer.tar`, l.gz, l.gzSize);
    else w.fileFrom(`${id}/layer.tar`, l.tar, l.size);
    members.push(`${id}/layer.tar`);
    parent = id;
  }
  w.file(`${hex(configDigest)}.json`, config);
  w.file('manifest.json', Buffer.from(JSON.stringify([{ Config: `${hex(configDigest)}.json`, RepoTags: [tag], Layers: members }])));
  const [repo, version] = tag.split(':') as [string, string];
  w.file('repositories', Buffer.from(JSON.stringify({ [repo]: { [version]: parent } })));
  w.close();
  return members;
}

export function ociArchive(out: string, layers: LayerInfo[], config: Buffer, configDigest: string, kind: 'gzip' | 'zstd', tag = 'bench/app:1.0'): void {
  const w = new TarWriter(out);
  const mediaType = `application/vnd.oci.image.layer.v1.tar+${kind}`;
  const manifest = Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.length },
    layers: layers.map((l) => ({
      mediaType,
      digest: kind === 'gzip' ? l.gzDigest : l.zstDigest,
      size: kind === 'gzip' ? l.gzSize : l.zstSize,
    })),
  }));
  const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  w.file('oci-layout', Buffer.from('{"imageLayoutVersion":"1.0.0"}'));
  w.file('index.json', Buffer.from(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [{
      mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: manifestDigest, size: manifest.length,
      annotations: { 'org.opencontainers.image.ref.name': tag.split(':')[1]!, 'io.containerd.image.name': tag },
      platform: { os: 'linux', architecture: 'amd64' },
    }],
  })));
  w.dir('blobs'); w.dir('blobs/sha256');
  w.file(`blobs/sha256/${hex(manifestDigest)}`, manifest);
  w.file(`blobs/sha256/${hex(configDigest)}`, config);
  for (const l of layers) {
    if (kind === 'gzip') w.fileFrom(`blobs/sha256/${hex(l.gzDigest)}`, l.gz, l.gzSize);
    else w.fileFrom(`blobs/sha256/${hex(l.zstDigest)}`, l.zst, l.zstSize);
  }
  w.close();
}

export async function generate(dir: string, log: (s: string) => void = () => {}): Promise<Generated> {
  const stamp = join(dir, 'generated.json');
  if (existsSync(stamp)) {
    const g = JSON.parse(readFileSync(stamp, 'utf8')) as Generated;
    if (g.version === GEN_VERSION && Object.values(g.archives).every((p) => existsSync(p))) return g;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(join(dir, 'layers'), { recursive: true });
  const corpus = makeCorpus();
  const layers: LayerInfo[] = [];
  const ps = plans(corpus);
  for (const [i, p] of ps.entries()) {
    const tar = join(dir, 'layers', `layer-${i}.tar`);
    const t0 = Date.now();
    const w = new TarWriter(tar);
    const files = p.write(w);
    w.close();
    const size = statSync(tar).size;
    log(`layer ${i}: ${(size / 1e6).toFixed(0)} MB, ${files} files (${Date.now() - t0} ms)`);
    layers.push({ index: i, createdBy: p.createdBy, tar, gz: `${tar}.gz`, zst: `${tar}.zst`, diffId: '', gzDigest: '', zstDigest: '', size, gzSize: 0, zstSize: 0, files });
  }
  log('compressing layers (gzip -6, zstd -3), two at a time…');
  await twoAtATime(layers.flatMap((l) => [
    () => sh(`gzip -6 -n -c '${l.tar}' > '${l.gz}'`),
    () => sh(`zstd -3 -q -c --no-progress '${l.tar}' > '${l.zst}'`),
  ]));
  for (const l of layers) {
    [l.diffId, l.gzDigest, l.zstDigest] = await Promise.all([sha256File(l.tar), sha256File(l.gz), sha256File(l.zst)]);
    l.gzSize = statSync(l.gz).size;
    l.zstSize = statSync(l.zst).size;
  }
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z',
    config: { Env: ['PATH=/usr/local/bin:/usr/bin:/bin'], Cmd: ['node', '/app/src/index.js'], WorkingDir: '/app' },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
    history: [
      ...layers.slice(0, 2).map((l) => ({ created: '2024-01-01T00:00:00Z', created_by: l.createdBy })),
      { created: '2024-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop)  ENV NODE_ENV=production', empty_layer: true },
      ...layers.slice(2).map((l) => ({ created: '2024-01-01T00:00:00Z', created_by: l.createdBy })),
      { created: '2024-01-01T00:00:00Z', created_by: '/bin/sh -c #(nop)  CMD ["node" "/app/src/index.js"]', empty_layer: true },
    ],
  }));
  const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
  const archives = {
    dockerArchive: join(dir, 'docker-archive.tar'),
    ociGzip: join(dir, 'oci-gzip.tar'),
    ociZstd: join(dir, 'oci-zstd.tar'),
    dockerArchiveGz: join(dir, 'docker-archive.tar.gz'),
  };
  log('writing archives…');
  const dockerLayerMembers = dockerArchive(archives.dockerArchive, layers, config, configDigest);
  ociArchive(archives.ociGzip, layers, config, configDigest, 'gzip');
  ociArchive(archives.ociZstd, layers, config, configDigest, 'zstd');
  await sh(`gzip -6 -n -c '${archives.dockerArchive}' > '${archives.dockerArchiveGz}'`);
  const g: Generated = {
    version: GEN_VERSION, dir, layers, archives, dockerLayerMembers,
    totalLayerBytes: layers.reduce((s, l) => s + l.size, 0),
  };
  writeFileSync(stamp, JSON.stringify(g, null, 2));
  return g;
}
