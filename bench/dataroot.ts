import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The Docker data-root rows of `npm run bench`: a live Docker engine (Debian's
 * docker.io + containerd, started here on a private data-root under the bench's
 * scratch directory) loads the real image; then `docker images -a` and `docker
 * history` of that live daemon are timed beside layerdig's `images -a`,
 * `history` and `verify` reading the very same data-root directory offline.
 * Skipped (with the reason) without root or without dockerd/containerd.
 */
export interface DataRootBench {
  scratch: string;
  /** the real image's docker-archive */
  archive: string;
  ld: (args: string) => string;
  q: (s: string) => string;
  measure: (specs: [string, string, string[]][]) => void;
  sec: (key: string) => number;
  log: (s: string) => void;
}

export interface DataRootRatio { name: string; layerdig: string; baseline: string; ratio: number }

const has = (bin: string) => spawnSync('bash', ['-c', `command -v ${bin}`]).status === 0;

export async function dataRootRows(b: DataRootBench): Promise<{ skipped: string | null; ratios: DataRootRatio[] }> {
  if (process.getuid?.() !== 0) return { skipped: 'needs root to run a Docker engine', ratios: [] };
  if (!has('dockerd') || !has('containerd') || !has('docker')) return { skipped: 'dockerd, containerd or docker not installed', ratios: [] };
  const R = join(b.scratch, 'engine');
  mkdirSync(R, { recursive: true });
  const sock = `unix://${R}/d.sock`;
  const D = `docker -H ${sock}`;
  const procs: ChildProcess[] = [];
  const start = (cmd: string, args: string[]) => {
    const p = spawn(cmd, args, { stdio: 'ignore' });
    procs.push(p);
  };
  try {
    start('containerd', ['--root', `${R}/ctd`, '--state', `${R}/ctds`, '--address', `${R}/ctd.sock`]);
    start('dockerd', ['--data-root', `${R}/root`, '--exec-root', `${R}/exec`, '--host', sock, '--containerd', `${R}/ctd.sock`,
      '--iptables=false', '--bridge=none', '--storage-driver', 'overlay2', '--pidfile', `${R}/d.pid`]);
    const deadline = Date.now() + 60_000;
    while (spawnSync('bash', ['-c', `${D} info >/dev/null 2>&1`]).status !== 0) {
      if (Date.now() > deadline) return { skipped: 'the Docker engine did not start within 60 s', ratios: [] };
      await new Promise((r) => setTimeout(r, 500));
    }
    b.log('data-root: docker load of the real image into a live engine');
    const load = spawnSync('bash', ['-c', `${D} load -q -i ${b.q(b.archive)}`], { encoding: 'utf8' });
    if (load.status !== 0) return { skipped: `docker load failed: ${load.stderr.trim().slice(-300)}`, ratios: [] };
    const id = spawnSync('bash', ['-c', `${D} images -q --no-trunc | head -1`], { encoding: 'utf8' }).stdout.trim();
    const root = `${R}/root`;
    b.measure([
      ['dr:docker-images', 'data-root: docker images -a (live daemon)', [`${D} images -a`]],
      ['dr:images', 'data-root: layerdig images -a (offline)', [b.ld(`images ${b.q(root)} -a`)]],
      ['dr:docker-history', 'data-root: docker history (live daemon)', [`${D} history ${id}`]],
      ['dr:history', 'data-root: layerdig history (offline)', [b.ld(`history ${b.q(root)} -i ${id}`)]],
      ['dr:verify', 'data-root: layerdig verify (tar-split rebuild)', [b.ld(`verify ${b.q(root)}`)]],
    ]);
    const ratio = (base: string, ours: string) => b.sec(base) / b.sec(ours);
    return {
      skipped: null,
      ratios: [
        { name: 'docker images -a (live daemon) / layerdig images -a (offline; > 1: layerdig faster)', layerdig: 'images -a', baseline: 'docker images -a', ratio: ratio('dr:docker-images', 'dr:images') },
        { name: 'docker history (live daemon) / layerdig history (offline)', layerdig: 'history', baseline: 'docker history', ratio: ratio('dr:docker-history', 'dr:history') },
      ],
    };
  } finally {
    for (const p of procs.reverse()) {
      p.kill('SIGTERM');
      await new Promise((r) => { if (p.exitCode !== null || p.signalCode !== null) r(null); else p.once('exit', r); });
    }
    spawnSync('bash', ['-c', `umount -R ${b.q(R)}/root/overlay2 2>/dev/null; umount ${b.q(R)}/exec/* 2>/dev/null; true`]);
    rmSync(R, { recursive: true, force: true });
  }
}
