import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cpSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { FIXTURES } from './helpers/cli.js';
import { tempDir } from './helpers/synth.js';
import { main } from '../src/cli/main.js';

/**
 * Fuzz: real fixtures mutated at random (bit flips, truncation, byte runs,
 * spliced and re-checksummed tar headers, edited digests and sizes in JSON),
 * for a fixed seed. Each case runs `verify` (which reads every member and blob)
 * and one other command in this process, through the same `main()` as the
 * binary. Whatever the bytes, the outcome must be a documented exit code with
 * messages on stderr — never an internal error (exit 70), an exception that
 * escapes, or a hang.
 *
 * A case is reproducible from its number alone: case N uses PRNG seed
 * BASE_SEED + N. Seeds that once found a bug are kept in REGRESSIONS.
 */
const BASE_SEED = Number(process.env.LAYERDIG_FUZZ_SEED ?? 0x1a7e6d19);
const CASES = Number(process.env.LAYERDIG_FUZZ_CASES ?? 2000);
/** a case that takes longer than this is a hang (the slowest normal case takes well under a second) */
const CASE_TIMEOUT_MS = 10_000;
// 5: partial (one image of several unreadable, named on stderr; the others answered)
const ALLOWED_EXIT = new Set([0, 1, 3, 4, 5]);
const OTHER_COMMANDS = ['images', 'layers', 'history', 'inspect'] as const;

/** Case numbers that found a crash once; they run first, every time. */
const REGRESSIONS: { n: number; note: string }[] = [
  // a directory header whose size field claims bytes: tar-stream's body stream for it never ended,
  // so the layer pass (and the compressed store's pass) waited forever and Node exited quietly
  { n: 356, note: 'oci-archive: directory entry var/ with size 0o77777777777 in a layer' },
  { n: 3293, note: 'docker-archive: the same in a legacy layer' },
  { n: 3257, note: 'docker save | gzip: the same, inside the gzipped tar' },
  { n: 635, note: 'gnutar oci-archive: the same in a GNU-format layer' },
  // a symlink member whose base-256 size field claims a huge body in a gzipped save: the archive
  // ends inside it, and tar-stream destroyed the unlistened body stream with that error (uncaught)
  { n: 535, note: 'docker save | gzip: symlink layer.tar with size 0xc8… (base-256)' },
];

// ---------------------------------------------------------------------------------------------
// PRNG (mulberry32): small, fast, the same sequence on every machine

type Rng = { next(): number; int(n: number): number; pick<T>(a: readonly T[]): T; chance(p: number): boolean };
function rng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const int = (n: number) => Math.floor(next() * n);
  return { next, int, pick: (arr) => arr[int(arr.length)]!, chance: (p) => next() < p };
}

// ---------------------------------------------------------------------------------------------
// mutators: each takes the bytes of one file and returns new bytes

/** 512-aligned offsets of blocks that look like tar headers (ustar magic, or a GNU/v7 name and a valid checksum) */
function tarHeaders(b: Buffer): number[] {
  const out: number[] = [];
  for (let at = 0; at + 512 <= b.length; at += 512) {
    if (b.toString('latin1', at + 257, at + 262) === 'ustar') out.push(at);
  }
  return out;
}

function rechecksum(b: Buffer, at: number): void {
  b.fill(0x20, at + 148, at + 156);
  let sum = 0;
  for (let i = at; i < at + 512; i++) sum += b[i]!;
  Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `, 'latin1').copy(b, at + 148);
}

type Mutator = (b: Buffer, r: Rng) => Buffer;

const bitFlips: Mutator = (b, r) => {
  const out = Buffer.from(b);
  for (let i = 1 + r.int(16); i > 0 && out.length; i--) out[r.int(out.length)]! ^= 1 << r.int(8);
  return out;
};

const truncate: Mutator = (b, r) => {
  if (!b.length) return b;
  // half the time at or near a 512-byte block boundary, where tar readers decide things
  const at = r.chance(0.5) ? Math.min(b.length - 1, r.int(Math.ceil(b.length / 512)) * 512 + r.pick([0, 0, 1, -1, 100, 257])) : r.int(b.length);
  return b.subarray(0, Math.max(0, at));
};

const byteRun: Mutator = (b, r) => {
  if (!b.length) return b;
  const out = Buffer.from(b);
  const start = r.int(out.length);
  const len = 1 + r.int(r.chance(0.8) ? 64 : 4096);
  out.fill(r.pick([0x00, 0xff, 0x20, 0x30, 0x37, 0x7b, 0x5b, r.int(256)]), start, Math.min(out.length, start + len));
  return out;
};

/** Tar header surgery that keeps the checksum valid, so the reader goes past it. */
const spliceHeader: Mutator = (b, r) => {
  const hs = tarHeaders(b);
  if (!hs.length) return bitFlips(b, r);
  const out = Buffer.from(b);
  const at = r.pick(hs);
  switch (r.int(7)) {
    case 0: { // the size field lies: bigger, smaller, huge, base-256, garbage
      const choices = [
        Buffer.from(`${r.int(0o77777777777).toString(8).padStart(11, '0')}\0`, 'latin1'),
        Buffer.from('77777777777\0', 'latin1'),
        Buffer.from('00000000000\0', 'latin1'),
        Buffer.from([0x80, 0, 0, 0, 0, 0, 0, 0, r.int(256), r.int(256), r.int(256), r.int(256)]),
        Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
        Buffer.from('  12x45\0\0\0\0\0', 'latin1'),
      ];
      r.pick(choices).copy(out, at + 124);
      break;
    }
    case 1: // the type flag: symlink, hard link, dir, fifo, PAX, GNU long name, sparse, garbage
      out[at + 156] = r.pick([0x31, 0x32, 0x33, 0x35, 0x36, 0x78, 0x67, 0x4c, 0x4b, 0x53, 0x00, r.int(256)]);
      break;
    case 2: { // the name or link name: `..`, absolute, empty, the name of another member
      const names = ['../../../etc/passwd', '/etc/passwd', '', 'manifest.json', 'index.json', './', '.', 'a/../../b'];
      const other = r.pick(hs);
      const name = r.chance(0.3) ? out.subarray(other, other + 100) : Buffer.from(r.pick(names));
      const field = r.chance(0.7) ? 0 : 157;
      out.fill(0, at + field, at + field + 100);
      Buffer.from(name).copy(out, at + field, 0, 100);
      break;
    }
    case 3: { // another header copied over this one (duplicate members, bodies misaligned)
      const from = r.pick(hs);
      b.copy(out, at, from, from + 512);
      break;
    }
    case 4: { // a header block inserted or removed
      const from = r.pick(hs);
      return r.chance(0.5)
        ? Buffer.concat([out.subarray(0, at), b.subarray(from, from + 512), out.subarray(at)])
        : Buffer.concat([out.subarray(0, at), out.subarray(at + 512)]);
    }
    case 5: // the mode, uid or mtime fields: random octal or junk
      out.fill(r.pick([0x37, 0x30, 0xff, 0x20]), at + r.pick([100, 108, 116, 136]), at + r.pick([104, 112, 120, 140]));
      break;
    default: { // the header's body is cut out (the next header lands where the body was)
      const size = parseInt(out.toString('latin1', at + 124, at + 135), 8);
      if (Number.isFinite(size) && size > 0) {
        const end = at + 512 + Math.ceil(size / 512) * 512;
        return rechecksumAll(Buffer.concat([out.subarray(0, at + 512), out.subarray(Math.min(end, out.length) - 512 * r.int(2))]), at);
      }
    }
  }
  rechecksum(out, at);
  return out;
};

function rechecksumAll(b: Buffer, at: number): Buffer {
  rechecksum(b, at);
  return b;
}

/** Semantic edits of JSON text in place, keeping its length (so tar sizes stay true): digests, sizes, keys. */
const jsonEdit: Mutator = (b, r) => {
  const text = b.toString('latin1');
  const targets: number[] = [];
  const re = /sha256:[0-9a-f]{64}|"(size|Size|schemaVersion)":\s*\d+|"(Layers|layers|diff_ids|manifests|Config|config|RepoTags|mediaType|history)"|\b(null|true|false)\b/g;
  for (let m = re.exec(text); m && targets.length < 5000; m = re.exec(text)) targets.push(m.index, m[0].length);
  if (!targets.length) return byteRun(b, r);
  const i = r.int(targets.length / 2) * 2;
  const at = targets[i]!;
  const len = targets[i + 1]!;
  const out = Buffer.from(b);
  const s = text.slice(at, at + len);
  if (s.startsWith('sha256:')) {
    out[at + 7 + r.int(64)] = r.pick([0x30, 0x66, 0x41, 0x22, 0x2f]); // a digit, an uppercase, a quote, a slash
  } else if (/^"\w+":/.test(s)) {
    const digits = s.replace(/^"\w+":\s*/, '');
    const d0 = at + len - digits.length;
    for (let k = 0; k < digits.length; k++) out[d0 + k] = r.chance(0.2) ? 0x39 : 0x30 + r.int(10);
  } else if (s.startsWith('"')) {
    out[at + 1 + r.int(len - 2)] = r.pick([0x5f, 0x58, 0x6c]); // rename the key
  } else {
    out.write(r.pick(['null', 'true', 'fals']).slice(0, len).padEnd(len, ' '), at, 'latin1');
  }
  return out;
};

const MUTATORS: [Mutator, number][] = [[bitFlips, 3], [truncate, 2], [byteRun, 2], [spliceHeader, 4], [jsonEdit, 3]];
const WEIGHT = MUTATORS.reduce((n, [, w]) => n + w, 0);
function mutate(b: Buffer, r: Rng): Buffer {
  let out = b;
  for (let k = 1 + (r.chance(0.3) ? r.int(3) : 0); k > 0; k--) {
    let x = r.int(WEIGHT);
    const [m] = MUTATORS.find(([, w]) => (x -= w) < 0)!;
    out = m(out, r);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// seeds: small real archives of every layout

interface Seed { name: string; path: string; dir: boolean }
const SEED_PATHS = [
  'real/base/base.docker-archive.tar',
  'real/base/base.docker-archive-gz.tar.gz',
  'real/base/base.oci-archive.tar',
  'real/base/base.oci-archive-gzip.tar',
  'real/base/base.oci-archive-zstd.tar',
  'real/base/base.oci-gzip',
  'real/base/base.dir-zstd',
  'real/base/base.dir-v2s2-gzip',
  'real/gnutar/gnutar.oci-archive.tar',
  'real/opaque/opaque.docker-archive.tar',
  'real/multi/multi.oci-gzip',
  'external/dive/test-oci-estargz-image.tar',
  'external/dive/test-oci-uncompressed-image.tar',
  'external/go-containerregistry/test_link.tar',
  'external/go-containerregistry/hello-world-v25.tar',
  'external/go-containerregistry/whiteout_dir.tar',
];

let work: string;
const seeds: Seed[] = [];
interface Failure { n: number; seed: string; what: string; detail: string }
const failures: Failure[] = [];
const stats = { cases: 0, runs: 0, exits: new Map<number, number>(), ms: 0 };

// One sink for everything the commands print; a hung case leaves its promise behind, never the patch.
let sink: { out: string[]; err: string[] } = { out: [], err: [] };
const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
let caseNow = -1;
const escaped: { n: number; e: unknown }[] = [];
const onEscape = (e: unknown) => { escaped.push({ n: caseNow, e }); };

async function runCase(args: string[]): Promise<{ code: number; out: string; err: string } | 'timeout'> {
  sink = { out: [], err: [] };
  const mine = sink;
  process.exitCode = undefined;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((res) => { timer = setTimeout(() => res('timeout'), CASE_TIMEOUT_MS); });
  const r = await Promise.race([main(args).then(() => 'done' as const), timeout]);
  clearTimeout(timer);
  if (r === 'timeout') return r;
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.exitCode = undefined;
  return { code, out: mine.out.join(''), err: mine.err.join('') };
}

/** Mutate seed `s` for case `n`, run two commands, record what went wrong. */
async function fuzzCase(n: number): Promise<void> {
  const r = rng(BASE_SEED + n);
  const s = r.pick(seeds);
  let target: string;
  let restore = () => {};
  if (s.dir) {
    // mutate one file of a working copy of the layout, then put it back
    const files = listFiles(s.path);
    const f = r.pick(files);
    const original = readFileSync(f);
    writeFileSync(f, mutate(original, r));
    restore = () => writeFileSync(f, original);
    target = s.path;
  } else {
    let bytes: Buffer = readFileSync(s.path);
    if (s.path.endsWith('.gz') && r.chance(0.7)) bytes = gzipSync(mutate(gunzipSync(bytes), r)); // reach the tar inside
    else bytes = mutate(bytes, r);
    target = join(work, `case-${n}-${basename(s.path)}`);
    writeFileSync(target, bytes);
    if (process.env.LAYERDIG_FUZZ_DUMP) writeFileSync(join(process.env.LAYERDIG_FUZZ_DUMP, basename(target)), bytes);
    restore = () => rmSync(target, { force: true });
  }
  caseNow = n;
  try {
    for (const cmd of ['verify', r.pick(OTHER_COMMANDS)]) {
      const args = [cmd, target, ...(r.chance(0.5) && cmd !== 'inspect' ? ['--json'] : []),
        // images/history/inspect read layers for Docker's sizes; every other case checks their metadata-only path
        ...(n % 2 === 1 && cmd !== 'verify' && cmd !== 'layers' ? ['--no-content'] : [])];
      const t0 = Date.now();
      const res = await runCase(args);
      stats.ms += Date.now() - t0;
      stats.runs++;
      const fail = (what: string, detail = '') => failures.push({ n, seed: s.name, what: `${args.join(' ')}: ${what}`, detail });
      if (res === 'timeout') {
        fail(`no answer after ${CASE_TIMEOUT_MS} ms (a hang)`);
        return; // its promise is still pending: a second command would share state with it
      }
      stats.exits.set(res.code, (stats.exits.get(res.code) ?? 0) + 1);
      if (!ALLOWED_EXIT.has(res.code)) fail(`exit ${res.code}`, res.err.slice(0, 2000));
      else if (/internal error/.test(res.err)) fail('internal error on stderr', res.err.slice(0, 2000));
      else if (res.code === 5 && !res.err.includes(basename(target))) fail('partial result without a line naming the archive', res.err.slice(0, 2000));
      else if (res.code === 3 || res.code === 4) {
        // the error is one sentence naming the input (the archive), prefixed by the tool's name
        const last = res.err.trim().split('\n').pop() ?? '';
        if (!last.startsWith('layerdig: ') || !last.includes(basename(target))) {
          if (cmd !== 'verify') fail('error message does not name the archive', res.err.slice(0, 2000));
        }
      }
    }
  } finally {
    restore();
    stats.cases++;
  }
}

function listFiles(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile()) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

beforeAll(() => {
  work = tempDir('layerdig-fuzz-');
  for (const rel of SEED_PATHS) {
    const src = join(FIXTURES, rel);
    if (statSync(src).isDirectory()) {
      const copy = join(work, `seed-${basename(rel)}`);
      cpSync(src, copy, { recursive: true });
      seeds.push({ name: rel, path: copy, dir: true });
    } else {
      seeds.push({ name: rel, path: src, dir: false });
    }
  }
  process.on('uncaughtException', onEscape);
  process.on('unhandledRejection', onEscape);
  process.stdout.write = ((c: string | Uint8Array) => { sink.out.push(String(c)); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => { sink.err.push(String(c)); return true; }) as typeof process.stderr.write;
});

afterAll(() => {
  process.stdout.write = realOut;
  process.stderr.write = realErr;
  process.off('uncaughtException', onEscape);
  process.off('unhandledRejection', onEscape);
  if (work) rmSync(work, { recursive: true, force: true });
});

function summary(list: Failure[]): string {
  return list.slice(0, 8).map((f) => `case ${f.n} (seed ${BASE_SEED} + ${f.n}, ${f.seed}): ${f.what}\n${f.detail}`).join('\n---\n');
}

describe('fuzz: mutated real archives', () => {
  it('the seeds themselves are read without error (so mutations start from sane input)', async () => {
    for (const s of seeds) {
      const r = await runCase(['verify', s.path]);
      expect(r, s.name).not.toBe('timeout');
      if (r !== 'timeout') expect(r.code, `${s.name}\n${r.out}\n${r.err}`).toBe(0);
    }
  });

  it('regression seeds', async () => {
    for (const { n } of REGRESSIONS) await fuzzCase(n);
    const mine = failures.splice(0);
    expect(mine, summary(mine)).toEqual([]);
  });

  it(`${CASES} cases: documented exit codes, no internal error, no escaped exception, no hang`, async () => {
    // LAYERDIG_FUZZ_ONLY=356,635 reruns chosen cases (with LAYERDIG_FUZZ_DUMP=dir to keep their inputs)
    const only = process.env.LAYERDIG_FUZZ_ONLY?.split(',').map(Number);
    for (const n of only ?? Array.from({ length: CASES }, (_, i) => i)) await fuzzCase(n);
    // what the mutations reached: most cases must fail to read, but some must still pass or mismatch
    const exits = Object.fromEntries([...stats.exits].sort());
    realErr(`fuzz: ${stats.cases} cases, ${stats.runs} runs in ${stats.ms} ms; exit codes ${JSON.stringify(exits)}\n`);
    expect(failures, summary(failures)).toEqual([]);
    expect(escaped.map((x) => `case ${x.n}: ${String((x.e as Error)?.stack ?? x.e)}`)).toEqual([]);
    if (only) return;
    expect(stats.exits.get(3) ?? 0, 'mutations reach unreadable input').toBeGreaterThan(CASES / 10);
    expect((stats.exits.get(0) ?? 0) + (stats.exits.get(1) ?? 0), 'some mutations leave a readable archive').toBeGreaterThan(CASES / 20);
  }, 600_000);
});
