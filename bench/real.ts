import { createHash } from 'node:crypto';
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { join } from 'node:path';
import { dockerArchive, ociArchive, randomStream, sh, sha256File, twoAtATime, type LayerInfo } from './gen.js';

/**
 * The benchmark's real image, built once under .bench-cache/real/ (issue 13): a
 * Debian bookworm `debootstrap --variant=minbase` rootfs (apt's caches removed, as
 * Debian's own images do), then the layer mix of ordinary images — a copy of
 * /usr/share/doc, 64 MiB of random data (deterministic), a small config layer and
 * a layer that deletes. Layer tars are written by GNU tar, compressed by gzip -6
 * and zstd -3, and exported as
 *   docker-gzip.tar   docker save layout, gzip layers (as `skopeo copy … docker-archive:` writes)
 *   docker.tar        docker save layout, plain tar layers
 *   oci-gzip.tar      OCI layout (as a tar), gzip layers
 *   oci-zstd.tar      OCI layout (as a tar), zstd layers
 * The rootfs tarball is cached: debootstrap (about a minute, needs Debian's mirror) runs once.
 */
export const REAL_VERSION = 'bench-real/1';
const MIRROR = process.env.BENCH_DEBIAN_MIRROR ?? 'http://deb.debian.org/debian';

export interface Real {
  version: string;
  dir: string;
  layers: LayerInfo[];
  archives: { dockerGzip: string; docker: string; ociGzip: string; ociZstd: string };
  totalLayerBytes: number;
  debian: string;
}

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
/** GNU tar, reproducible for our own staged layers */
const TAR = 'tar --sort=name --numeric-owner --format=gnu';
const STAMP = '--mtime=2024-01-01T00:00:00Z --owner=0 --group=0';

export async function buildReal(dir: string, log: (s: string) => void = () => {}): Promise<Real> {
  const stamp = join(dir, 'real.json');
  if (existsSync(stamp)) {
    const r = JSON.parse(readFileSync(stamp, 'utf8')) as Real;
    if (r.version === REAL_VERSION && Object.values(r.archives).every((p) => existsSync(p))) return r;
  }
  mkdirSync(join(dir, 'layers'), { recursive: true });
  const rootfsTar = join(dir, 'rootfs.tar');
  const rootfs = join(dir, 'rootfs');
  if (!existsSync(rootfsTar)) {
    if (!existsSync(join(rootfs, 'etc', 'debian_version'))) {
      log(`debootstrap --variant=minbase bookworm from ${MIRROR} (once; about a minute)…`);
      rmSync(rootfs, { recursive: true, force: true });
      await sh(`debootstrap --variant=minbase bookworm ${q(rootfs)} ${MIRROR} > ${q(join(dir, 'debootstrap.log'))} 2>&1`);
    }
    // what Debian's images leave out: downloaded packages and apt's lists
    await sh(`cd ${q(rootfs)} && rm -rf var/cache/apt/archives/*.deb var/cache/apt/*.bin var/lib/apt/lists/* var/log/* dev/* proc/* sys/*`);
    await sh(`${TAR} -C ${q(rootfs)} -cf ${q(rootfsTar)} $(cd ${q(rootfs)} && ls -A)`);
  }
  const staging = join(dir, 'staging');
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging);
  try {
    // the docs copy needs /usr/share/doc out of the cached rootfs tarball
    await sh(`mkdir -p ${q(join(staging, 'doc'))} && tar -C ${q(join(staging, 'doc'))} -xf ${q(rootfsTar)} usr/share/doc`);
    mkdirSync(join(staging, 'data', 'opt', 'data'), { recursive: true });
    const rnd = randomStream('real-image-random');
    const fd = openSync(join(staging, 'data', 'opt', 'data', 'random.bin'), 'w');
    for (let left = 64 << 20; left > 0; left -= 1 << 20) writeSync(fd, rnd(1 << 20));
    closeSync(fd);
    mkdirSync(join(staging, 'conf', 'etc', 'app'), { recursive: true });
    for (let i = 0; i < 20; i++) writeFileSync(join(staging, 'conf', 'etc', 'app', `part-${i}.conf`), `# part ${i}\nkey${i} = value${i}\n`.repeat(40));
    mkdirSync(join(staging, 'del', 'opt', 'data'), { recursive: true });
    mkdirSync(join(staging, 'del', 'opt', 'doc'), { recursive: true });
    writeFileSync(join(staging, 'del', 'opt', 'data', '.wh.random.bin'), '');
    for (const p of ['apt', 'bash', 'coreutils', 'libc6', 'perl-base']) writeFileSync(join(staging, 'del', 'opt', 'doc', `.wh.${p}`), '');

    const plans: { createdBy: string; tar: string }[] = [
      { createdBy: '/bin/sh -c #(nop) ADD file:debian-bookworm-minbase-rootfs.tar in / ', tar: `cp ${q(rootfsTar)} OUT` },
      { createdBy: '/bin/sh -c #(nop) COPY dir:usr-share-doc in /opt/doc ',
        tar: `${TAR} ${STAMP} -C ${q(join(staging, 'doc', 'usr', 'share'))} --transform 's,^doc,opt/doc,' -cf OUT doc` },
      { createdBy: '/bin/sh -c head -c 64M /dev/urandom > /opt/data/random.bin', tar: `${TAR} ${STAMP} -C ${q(join(staging, 'data'))} -cf OUT opt` },
      { createdBy: '/bin/sh -c #(nop) COPY dir:conf in /etc/app ', tar: `${TAR} ${STAMP} -C ${q(join(staging, 'conf'))} -cf OUT etc` },
      { createdBy: '/bin/sh -c rm -rf /opt/data/random.bin /opt/doc/apt /opt/doc/bash /opt/doc/coreutils /opt/doc/libc6 /opt/doc/perl-base',
        tar: `${TAR} ${STAMP} -C ${q(join(staging, 'del'))} -cf OUT opt` },
    ];
    const layers: LayerInfo[] = [];
    for (const [i, p] of plans.entries()) {
      const tar = join(dir, 'layers', `layer-${i}.tar`);
      await sh(p.tar.replace('OUT', q(tar)));
      const files = Number((capture(`tar -tf ${q(tar)} | wc -l`)).trim());
      layers.push({ index: i, createdBy: p.createdBy, tar, gz: `${tar}.gz`, zst: `${tar}.zst`, diffId: '', gzDigest: '', zstDigest: '',
        size: statSync(tar).size, gzSize: 0, zstSize: 0, files });
    }
    log('compressing the real image\'s layers (gzip -6, zstd -3)…');
    await twoAtATime(layers.flatMap((l) => [
      () => sh(`gzip -6 -n -c ${q(l.tar)} > ${q(l.gz)}`),
      () => sh(`zstd -3 -q -c --no-progress ${q(l.tar)} > ${q(l.zst)}`),
    ]));
    for (const l of layers) {
      [l.diffId, l.gzDigest, l.zstDigest] = await Promise.all([sha256File(l.tar), sha256File(l.gz), sha256File(l.zst)]);
      l.gzSize = statSync(l.gz).size;
      l.zstSize = statSync(l.zst).size;
    }
    const created = '2024-01-01T00:00:00Z';
    const config = Buffer.from(JSON.stringify({
      architecture: 'amd64', os: 'linux', created,
      config: { Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'], Cmd: ['bash'] },
      rootfs: { type: 'layers', diff_ids: layers.map((l) => l.diffId) },
      history: [
        { created, created_by: layers[0]!.createdBy },
        { created, created_by: '/bin/sh -c #(nop)  CMD ["bash"]', empty_layer: true },
        ...layers.slice(1).map((l) => ({ created, created_by: l.createdBy })),
      ],
    }));
    const configDigest = `sha256:${createHash('sha256').update(config).digest('hex')}`;
    const archives = {
      dockerGzip: join(dir, 'docker-gzip.tar'), docker: join(dir, 'docker.tar'),
      ociGzip: join(dir, 'oci-gzip.tar'), ociZstd: join(dir, 'oci-zstd.tar'),
    };
    log('writing the real image\'s archives…');
    const tag = 'bench/debian-real:bookworm';
    dockerArchive(archives.dockerGzip, layers, config, configDigest, 'gzip', tag);
    dockerArchive(archives.docker, layers, config, configDigest, 'plain', tag);
    ociArchive(archives.ociGzip, layers, config, configDigest, 'gzip', tag);
    ociArchive(archives.ociZstd, layers, config, configDigest, 'zstd', tag);
    const r: Real = {
      version: REAL_VERSION, dir, layers, archives, totalLayerBytes: layers.reduce((s, l) => s + l.size, 0),
      debian: (capture(`tar -xOf ${q(rootfsTar)} etc/debian_version`)).trim(),
    };
    writeFileSync(stamp, JSON.stringify(r, null, 2));
    return r;
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function capture(cmd: string): string {
  return execSync(cmd, { shell: '/bin/bash', encoding: 'utf8' });
}
