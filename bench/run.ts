import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { generate, type Generated } from './gen.js';
import { buildReal, type Real } from './real.js';
import { dataRootRows } from './dataroot.js';

/**
 * `npm run bench`: build (once, cached under .bench-cache/) a real Debian image
 * (bench/real.ts) and the generated ~1 GB image (bench/gen.ts), then time
 * layerdig against baselines and peers on the same files, in one run, runs
 * interleaved (median of BENCH_REPEAT, default 3):
 *   content pass  vs gzip -dc | sha256sum, zstd -dc | sha256sum, tar -xOf | sha256sum
 *   cold start    vs node -e '': --version and the metadata commands (images, history,
 *                 inspect, all --no-content), BENCH_COLD_REPEAT rounds (default 21); the
 *                 minimum of each is the number to hold against the targets (+50 ms, +80 ms):
 *                 other processes on a shared machine only ever add time to a run
 *   peers         skopeo inspect (metadata), skopeo copy oci-archive: → oci: (a digest-checking read)
 *   peak RSS of every command (/usr/bin/time -f %M)
 * Prints a table and writes bench/results.json. Not a unit test.
 */
const ROOT = process.cwd();
const BIN = join(ROOT, 'bin', 'layerdig.js');
const REPEAT = Math.max(1, Number(process.env.BENCH_REPEAT ?? 3));
/** the generated image's 1 GB passes: one run each by default, to keep the bench near 10 minutes on a shared machine */
const GEN_REPEAT = Math.max(1, Number(process.env.BENCH_GEN_REPEAT ?? 1));
/** cold-start runs are short and their spread on a shared machine is wide: many rounds, and the minimum */
const COLD_REPEAT = Math.max(1, Number(process.env.BENCH_COLD_REPEAT ?? 21));
/** BENCH_GENERATED=0: the real image only (a quick check of the bench itself; the README's table needs both) */
const WITH_GENERATED = process.env.BENCH_GENERATED !== '0';
const TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const scratch = mkdtempSync(join(tmpdir(), 'layerdig-bench-'));

interface Run { seconds: number; rssMB: number | null; cpuSeconds: number | null }
interface Measure { name: string; cmd: string; runs: Run[]; seconds: number; minSeconds: number; rssMB: number | null; cores: number | null }

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor((s.length - 1) / 2)]!; };

/** Run a shell command line, stdout to /dev/null; wall time and peak RSS (of the largest process). */
function runOnce(cmd: string, env: NodeJS.ProcessEnv = {}): Run {
  const rssFile = join(scratch, 'rss');
  const line = TIME ? `${TIME} -f '%M %U %S' -o ${rssFile} bash -c ${q(`set -o pipefail; ${cmd}`)}` : cmd;
  const t0 = process.hrtime.bigint();
  const r = spawnSync('bash', ['-c', `set -o pipefail; ${line} > /dev/null`], {
    env: { ...process.env, NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20,
  });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`bench: ${cmd} exited ${r.status}: ${r.stderr.toString().slice(-2000)}`);
  let rssMB: number | null = null;
  let cpuSeconds: number | null = null;
  if (TIME) {
    const [kb, user, sys] = readFileSync(rssFile, 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    rssMB = Number.isFinite(kb) ? kb! / 1024 : null;
    cpuSeconds = Number.isFinite(user) && Number.isFinite(sys) ? user! + sys! : null;
  }
  return { seconds, rssMB, cpuSeconds };
}

/** Several measurements run round-robin, `repeat` rounds; each gets the median of its rounds. */
function measureInterleaved(specs: [key: string, name: string, cmds: string[]][], repeat: number): (Measure & { key: string })[] {
  const runs = specs.map(() => [] as Run[]);
  for (let i = 0; i < repeat; i++) {
    specs.forEach(([, , cmds], k) => {
      let seconds = 0;
      let rss: number | null = null;
      let cpu: number | null = null;
      for (const c of cmds) {
        const r = runOnce(c);
        seconds += r.seconds;
        if (r.rssMB !== null) rss = Math.max(rss ?? 0, r.rssMB);
        if (r.cpuSeconds !== null) cpu = (cpu ?? 0) + r.cpuSeconds;
      }
      runs[k]!.push({ seconds, rssMB: rss, cpuSeconds: cpu });
    });
  }
  return specs.map(([key, name, cmds], k) => {
    const rs = runs[k]!;
    const m = {
      key, name, cmd: cmds.length === 1 ? cmds[0]! : `${cmds[0]} (+${cmds.length - 1} more, times added)`, runs: rs,
      seconds: median(rs.map((r) => r.seconds)),
      minSeconds: Math.min(...rs.map((r) => r.seconds)),
      rssMB: rs.every((r) => r.rssMB === null) ? null : Math.max(...rs.map((r) => r.rssMB ?? 0)),
      cores: coresOf(rs),
    };
    process.stderr.write(`bench: ${name.padEnd(44)} ${m.seconds.toFixed(3).padStart(8)} s (min ${m.minSeconds.toFixed(3)})  ${m.rssMB === null ? '' : `${m.rssMB.toFixed(0)} MB`}  (${rs.map((r) => r.seconds.toFixed(2)).join(' ')})\n`);
    return m;
  });
}

/** CPU time over wall time: how many cores a command kept busy (median over runs). */
function coresOf(runs: Run[]): number | null {
  if (runs.some((r) => r.cpuSeconds === null)) return null;
  return median(runs.map((r) => r.cpuSeconds! / r.seconds));
}

const ld = (args: string) => `node ${q(BIN)} ${args}`;

interface Ratio {
  image: 'real' | 'generated'; name: string; archive: string; layerdig: string; baseline: string;
  ratio: number; cpuRatio?: number | null; target: string | null; met: boolean | null;
}

const has = (bin: string) => spawnSync('bash', ['-c', `command -v ${bin}`]).status === 0;
const load = () => loadavg().map((x) => +x.toFixed(2));

async function main(): Promise<void> {
  const t0 = Date.now();
  const loads: { at: string; load: number[] }[] = [{ at: 'start', load: load() }];
  const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
  const r: Real = await buildReal(join(ROOT, '.bench-cache', 'real'), log);
  const g: Generated | null = WITH_GENERATED ? await generate(join(ROOT, '.bench-cache', 'generated'), log) : null;
  const buildSeconds = (Date.now() - t0) / 1000;
  const ms: Record<string, Measure> = {};
  const ratios: Ratio[] = [];
  const measure = (specs: [string, string, string[]][], repeat = REPEAT) => {
    for (const m of measureInterleaved(specs, repeat)) ms[m.key] = m;
  };
  const sec = (k: string) => ms[k]!.seconds;
  /** CPU seconds (user+sys, children included) of the baseline over layerdig's: what load from other processes hardly changes */
  const cpuRatio = (base: string, ours: string) => {
    const cpu = (k: string) => (ms[k]!.cores === null ? null : ms[k]!.cores! * ms[k]!.seconds);
    const b = cpu(base);
    const o = cpu(ours);
    return b === null || o === null ? null : b / o;
  };
  const R = r.archives;
  const perLayer = (files: string[], cmd: (f: string) => string) => files.map(cmd);

  // ---------- real image: content pass ----------
  loads.push({ at: 'real content', load: load() });
  const realContent = [
    { key: 'real:gzip', path: R.dockerGzip, what: 'docker-archive, gzip layers', baselineName: 'gzip -dc | sha256sum', target: 2.0,
      baseline: perLayer(r.layers.map((l) => l.gz), (f) => `gzip -dc ${q(f)} | sha256sum`),
      extra: [[`real:gzip:igzip`, 'real gzip: layers, LAYERDIG_GZIP=igzip', [`LAYERDIG_GZIP=igzip ${ld(`layers ${q(R.dockerGzip)} --json --no-trunc`)}`]],
        ...(has('igzip') ? [[`real:gzip:igzip-shell`, 'real gzip: igzip -dc | sha256sum', perLayer(r.layers.map((l) => l.gz), (f) => `igzip -dc < ${q(f)} | sha256sum`)]] : [])] as [string, string, string[]][] },
    { key: 'real:zstd', path: R.ociZstd, what: 'OCI archive, zstd layers', baselineName: 'zstd -dc | sha256sum', target: 1.5,
      baseline: perLayer(r.layers.map((l) => l.zst), (f) => `zstd -dc ${q(f)} | sha256sum`), extra: [] as [string, string, string[]][] },
    { key: 'real:plain', path: R.docker, what: 'docker-archive, plain layers', baselineName: 'sha256sum', target: null,
      baseline: perLayer(r.layers.map((l) => l.tar), (f) => `sha256sum ${q(f)}`), extra: [] as [string, string, string[]][] },
  ];
  // what the hash thread and the lanes each give (docs/performance.md): one thread for everything, and two lanes
  for (const c of realContent.slice(0, 2)) {
    for (const j of [1, 2]) c.extra.push([`${c.key}:j${j}`, `${c.key}: layers --jobs ${j}`, [ld(`layers ${q(c.path)} --json --no-trunc --jobs ${j}`)]]);
  }
  for (const c of realContent) {
    measure([
      [`${c.key}:baseline`, `${c.key}: ${c.baselineName}`, c.baseline],
      [`${c.key}:layers`, `${c.key}: layers --json --no-trunc`, [ld(`layers ${q(c.path)} --json --no-trunc`)]],
      ...c.extra,
    ]);
    const base = sec(`${c.key}:baseline`);
    ratios.push({ image: 'real', name: `content pass (${c.what}) vs ${c.baselineName}`, archive: c.key, layerdig: 'layers --json --no-trunc', baseline: c.baselineName,
      ratio: base / sec(`${c.key}:layers`), cpuRatio: cpuRatio(`${c.key}:baseline`, `${c.key}:layers`),
      target: c.target === null ? null : `≥ ${c.target}×`, met: c.target === null ? null : base / sec(`${c.key}:layers`) >= c.target });
  }
  for (const [key, what] of [['real:gzip', 'gzip'], ['real:zstd', 'zstd']] as const) {
    for (const j of [1, 2]) {
      ratios.push({ image: 'real', name: `layers --jobs ${j} vs layers (default: one lane + its hash thread), ${what}`, archive: key, layerdig: `layers --jobs ${j}`,
        baseline: 'layers', ratio: sec(`${key}:layers`) / sec(`${key}:j${j}`), target: null, met: null });
    }
  }
  ratios.push({ image: 'real', name: 'igzip vs zlib inside layerdig (gzip layers)', archive: 'real:gzip', layerdig: 'layers, LAYERDIG_GZIP=igzip', baseline: 'layers (zlib)',
    ratio: sec('real:gzip:layers') / sec('real:gzip:igzip'), target: null, met: null });

  // ---------- real image: cold start, metadata, peers ----------
  // Metadata commands read JSON members only (--no-content; by default images/history/inspect also
  // read every layer for Docker's SIZE, a content pass). Tables as a person sees them, not --json.
  loads.push({ at: 'real metadata', load: load() });
  const meta: [key: string, args: string][] = [['images', 'images --no-content'], ['history', 'history --no-content'], ['inspect', 'inspect --no-content']];
  measure([
    ['node', "node -e ''", [`node -e ''`]],
    ['version', 'layerdig --version', [ld('--version')]],
    ...meta.map(([k, args]) => [`real:${k}`, `real: ${args} (docker-archive, gzip)`, [ld(`${args} ${q(R.dockerGzip)}`)]] as [string, string, string[]]),
    ...(has('skopeo') ? [['real:skopeo-inspect', 'real: skopeo inspect docker-archive:', [`skopeo inspect docker-archive:${q(R.dockerGzip)}`]] as [string, string, string[]]] : []),
  ], COLD_REPEAT);
  const lo = (k: string) => ms[k]!.minSeconds;
  const cold: [key: string, name: string, target: number][] = [['version', '--version', 0.05], ...meta.map(([k, args]) => [`real:${k}`, args, 0.08] as [string, string, number])];
  for (const [k, name, target] of cold) {
    ratios.push({ image: 'real', name: `${name}: min minus node -e '' min`, archive: k === 'version' ? '-' : 'real:docker-gzip', layerdig: name, baseline: "node -e ''",
      ratio: lo(k) - lo('node'), target: `≤ +${target.toFixed(3)} s`, met: lo(k) - lo('node') <= target });
    ratios.push({ image: 'real', name: `${name}: median minus node -e '' median`, archive: k === 'version' ? '-' : 'real:docker-gzip', layerdig: name, baseline: "node -e ''",
      ratio: sec(k) - sec('node'), target: null, met: null });
    // CPU (user+sys) hardly depends on what else runs: the number to read on a loaded machine
    const cpuMin = (key: string) => Math.min(...ms[key]!.runs.map((r) => r.cpuSeconds ?? Infinity));
    if (Number.isFinite(cpuMin(k)) && Number.isFinite(cpuMin('node'))) {
      ratios.push({ image: 'real', name: `${name}: CPU min minus node -e '' CPU min`, archive: k === 'version' ? '-' : 'real:docker-gzip', layerdig: name, baseline: "node -e ''",
        ratio: cpuMin(k) - cpuMin('node'), target: null, met: null });
    }
  }
  if (ms['real:skopeo-inspect']) {
    ratios.push({ image: 'real', name: 'skopeo inspect / layerdig inspect (time ratio; > 1: layerdig faster)', archive: 'real:docker-gzip', layerdig: 'inspect', baseline: 'skopeo inspect',
      ratio: lo('real:skopeo-inspect') / lo('real:inspect'), target: null, met: null });
  }
  if (has('skopeo')) {
    const out = join(scratch, 'oci-copy');
    measure([
      ['real:skopeo-copy', 'real: skopeo copy oci-archive: oci: (zstd)', [`rm -rf ${q(out)} && skopeo copy -q oci-archive:${q(R.ociZstd)} oci:${q(out)}:x`]],
      ['real:verify', 'real: layerdig verify (zstd)', [ld(`verify ${q(R.ociZstd)} --json`)]],
    ]);
    rmSync(out, { recursive: true, force: true });
    ratios.push({ image: 'real', name: 'skopeo copy oci-archive:→oci: / layerdig verify (a full digest-checking read; > 1: layerdig faster)', archive: 'real:zstd', layerdig: 'verify', baseline: 'skopeo copy',
      ratio: sec('real:skopeo-copy') / sec('real:verify'), target: null, met: null });
    ratios.push({ image: 'real', name: 'skopeo copy oci-archive:→oci: / layerdig layers (zstd)', archive: 'real:zstd', layerdig: 'layers', baseline: 'skopeo copy',
      ratio: sec('real:skopeo-copy') / sec('real:zstd:layers'), target: null, met: null });
  }

  // ---------- Docker data-root: layerdig offline beside a live engine on the same data ----------
  loads.push({ at: 'data-root', load: load() });
  const dr = await dataRootRows({ scratch, archive: R.docker, ld, q, measure: (specs) => measure(specs), sec, log });
  if (dr.skipped) log(`data-root rows skipped: ${dr.skipped}`);
  for (const x of dr.ratios) ratios.push({ image: 'real', archive: 'real:data-root', target: null, met: null, ...x });

  // ---------- generated image: content pass (one run each way, interleaved) ----------
  loads.push({ at: 'generated content', load: load() });
  const genContent = g === null ? [] : [
    { key: 'gen:gzip', path: g.archives.ociGzip, baselineName: 'gzip -dc | sha256sum', target: 2.0, baseline: g.layers.map((l) => `gzip -dc ${q(l.gz)} | sha256sum`) },
    { key: 'gen:zstd', path: g.archives.ociZstd, baselineName: 'zstd -dc | sha256sum', target: 1.5, baseline: g.layers.map((l) => `zstd -dc ${q(l.zst)} | sha256sum`) },
  ];
  for (const c of genContent) {
    measure([
      [`${c.key}:baseline`, `${c.key}: ${c.baselineName}`, c.baseline],
      [`${c.key}:layers`, `${c.key}: layers --json --no-trunc`, [ld(`layers ${q(c.path)} --json --no-trunc`)]],
    ], GEN_REPEAT);
    const ratio = sec(`${c.key}:baseline`) / sec(`${c.key}:layers`);
    ratios.push({ image: 'generated', name: `content pass vs ${c.baselineName}`, archive: c.key, layerdig: 'layers --json --no-trunc', baseline: c.baselineName,
      ratio, cpuRatio: cpuRatio(`${c.key}:baseline`, `${c.key}:layers`), target: c.target === null ? null : `≥ ${c.target}×`, met: c.target === null ? null : ratio >= c.target });
  }
  loads.push({ at: 'end', load: load() });

  // ---------- report ----------
  const layerdigKeys = Object.keys(ms).filter((k) => !/baseline|skopeo|igzip-shell/.test(k) && k !== 'node');
  const peak = Math.max(...layerdigKeys.map((k) => ms[k]!.rssMB ?? 0));
  const machine = {
    cpu: cpus()[0]?.model ?? 'unknown', cores: availableParallelism(), memoryGB: +(totalmem() / 1024 ** 3).toFixed(1), node: process.version,
    tools: Object.fromEntries(['gzip --version', 'igzip --version', 'zstd --version', 'tar --version', 'sha256sum --version', 'skopeo --version']
      .map((c) => [c.split(' ')[0], spawnSync('bash', ['-c', `${c} 2>&1 | head -1`]).stdout.toString().trim()])),
  };
  const imageOf = (layers: { index: number; size: number; gzSize: number; zstSize: number; files: number; createdBy: string }[]) =>
    layers.map((l) => ({ index: l.index, bytes: l.size, gzipBytes: l.gzSize, zstdBytes: l.zstSize, files: l.files, createdBy: l.createdBy }));
  const results = {
    date: new Date().toISOString(), machine, repeat: REPEAT, loadavg: loads, buildSeconds: +buildSeconds.toFixed(1),
    images: {
      real: { what: `Debian ${r.debian} debootstrap --variant=minbase + /usr/share/doc copy + 64 MiB random + config + delete layer`, layers: imageOf(r.layers), totalLayerBytes: r.totalLayerBytes },
      ...(g ? { generated: { what: 'bench/gen.ts: small files, node_modules, random data, logs, app, delete', layers: imageOf(g.layers), totalLayerBytes: g.totalLayerBytes } } : {}),
    },
    measurements: Object.fromEntries(Object.entries(ms).map(([k, m]) => [k, { ...m, seconds: +m.seconds.toFixed(4), minSeconds: +m.minSeconds.toFixed(4), cores: m.cores === null ? null : +m.cores.toFixed(2) }])),
    coldRepeat: COLD_REPEAT,
    genRepeat: GEN_REPEAT,
    ratios: ratios.map((x) => ({ ...x, ratio: +x.ratio.toFixed(3), ...(x.cpuRatio != null ? { cpuRatio: +x.cpuRatio.toFixed(3) } : {}) })),
    peakRssMB: +peak.toFixed(1), rssTargetMB: 200, rssMet: peak < 200,
    totalSeconds: +((Date.now() - t0) / 1000).toFixed(1),
  };
  writeFileSync(join(ROOT, 'bench', 'results.json'), `${JSON.stringify(results, null, 2)}\n`);

  const out: string[] = [];
  out.push(`\nlayerdig benchmark — real image ${(r.totalLayerBytes / 1e6).toFixed(0)} MB in ${r.layers.length} layers (Debian ${r.debian}); ${g ? `generated image ${(g.totalLayerBytes / 1e6).toFixed(0)} MB in ${g.layers.length} layers` : 'generated image left out (BENCH_GENERATED=0)'}`);
  out.push(`${machine.cores} cores, ${machine.cpu}, Node ${machine.node}; median of ${REPEAT} (cold start: min and median of ${COLD_REPEAT}; generated image: ${GEN_REPEAT}), runs interleaved`);
  out.push(`load average: ${loads.map((l) => `${l.at} ${l.load[0]}`).join(', ')} (above ${machine.cores}: other processes shared the CPU)\n`);
  out.push(`${'measurement'.padEnd(52)}${'median s'.padStart(9)}${'min s'.padStart(9)}${'RSS MB'.padStart(8)}${'cores'.padStart(7)}`);
  for (const m of Object.values(ms)) {
    out.push(`${m.name.padEnd(52)}${m.seconds.toFixed(3).padStart(9)}${m.minSeconds.toFixed(3).padStart(9)}${(m.rssMB === null ? '-' : m.rssMB.toFixed(0)).padStart(8)}${(m.cores === null ? '-' : m.cores.toFixed(2)).padStart(7)}`);
  }
  out.push(`\n${'ratio'.padEnd(84)}${'value'.padStart(9)}${'target'.padStart(13)}  met  (CPU-time ratio)`);
  for (const x of ratios) {
    const v = x.name.includes(' minus ') ? `${x.ratio >= 0 ? '+' : ''}${x.ratio.toFixed(3)} s` : `${x.ratio.toFixed(2)}×`;
    out.push(`${`${x.image} ${x.archive}: ${x.name}`.slice(0, 83).padEnd(84)}${v.padStart(9)}${(x.target ?? '').padStart(13)}  ${(x.met === null ? '' : x.met ? 'yes' : 'NO').padEnd(3)}  ${x.cpuRatio != null ? `${x.cpuRatio.toFixed(2)}×` : ''}`);
  }
  out.push(`\npeak RSS of layerdig commands: ${peak.toFixed(0)} MB (target < 200 MB: ${peak < 200 ? 'yes' : 'NO'})`);
  out.push(`wrote bench/results.json; total ${results.totalSeconds} s (building images ${results.buildSeconds} s)`);
  process.stdout.write(`${out.join('\n')}\n`);
  rmSync(scratch, { recursive: true, force: true });
}

await main();
