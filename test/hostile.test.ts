import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ROOT } from './helpers/cli.js';
import { tempDir } from './helpers/synth.js';
import { CASES, prepare, type Command, type HostileCase } from './helpers/hostile.js';

/**
 * The hostile-archive corpus, run through the real CLI binary: for every case and
 * command, the documented exit code, one sentence on stderr naming the archive
 * (and the member), no stack trace or internal error, done in seconds, bounded
 * memory, and nothing written anywhere.
 */
const BIN = join(ROOT, 'bin', 'layerdig.js');
const TIME = '/usr/bin/time';
const COMMANDS: Command[] = ['images', 'history', 'layers', 'verify'];
const TIMEOUT_MS = 30_000;
/** resident memory a command may reach on any of these inputs (Node itself is ~50 MB) */
const MAX_RSS_KB = 400 * 1024;

interface Outcome { code: number | null; stdout: string; stderr: string; ms: number; rssKb: number | null; signal: string | null }

function runCli(args: string[], cwd: string): Promise<Outcome> {
  const rssFile = join(cwd, '..', `rss-${process.pid}-${Math.random().toString(36).slice(2)}`);
  const useTime = existsSync(TIME);
  const cmd = useTime ? TIME : process.execPath;
  const argv = useTime ? ['-f', '%M', '-o', rssFile, process.execPath, BIN, ...args] : [BIN, ...args];
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(cmd, argv, { cwd, env: { ...process.env, NO_COLOR: '1', LAYERDIG_DEBUG: '' } });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    // a spawn that fails (ENOENT) emits 'error' and maybe no 'close': answer instead of hanging the hook
    child.on('error', (e) => {
      clearTimeout(timer);
      resolve({ code: null, signal: null, stdout: '', stderr: `spawn failed: ${e.message}`, ms: Date.now() - started, rssKb: null });
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      let rssKb: number | null = null;
      if (useTime && existsSync(rssFile)) {
        const n = Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop());
        rssKb = Number.isFinite(n) ? n : null;
        rmSync(rssFile);
      }
      // /usr/bin/time reports "Command exited with non-zero status N" in its own file, not on stderr
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), ms: Date.now() - started, rssKb });
    });
  });
}

/** Run jobs two at a time (the machine has two cores). */
async function pooled<T>(jobs: (() => Promise<T>)[], width = 2): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]!();
    }
  }));
  return out;
}

let dir: string;
let cwd: string;
const inputs = new Map<string, string>();
const results = new Map<string, Outcome>();

beforeAll(async () => {
  dir = tempDir('layerdig-hostile-');
  cwd = join(dir, 'cwd');
  mkdirSync(cwd);
  await prepare(dir);
  for (const c of CASES) inputs.set(c.name, await c.build(dir));
  const jobs = CASES.flatMap((c) => COMMANDS.map((cmd) => async () => {
    results.set(`${c.name}\0${cmd}`, await runCli([cmd, inputs.get(c.name)!, ...(c.args ?? [])], cwd));
  }));
  await pooled(jobs);
}, 600_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(CASES)('$name', (c: HostileCase) => {
  it.each(COMMANDS)('%s', (cmd) => {
    const r = results.get(`${c.name}\0${cmd}`)!;
    const label = `${cmd} ${c.name}\n--- stderr:\n${r.stderr}\n--- stdout:\n${r.stdout.slice(0, 1500)}`;
    expect(r.signal, `${label}\nkilled after ${r.ms} ms`).toBeNull();
    expect(r.code, label).toBe(c.exit[cmd]);
    expect(r.stderr, label).not.toMatch(/internal error|\n\s+at .*\.(js|ts):\d+/);
    expect(r.ms, label).toBeLessThan(20_000);
    if (r.rssKb !== null) expect(r.rssKb, `${label}\nmax RSS ${r.rssKb} KB`).toBeLessThan(MAX_RSS_KB);
    // output is one line per thing: no raw control characters from names reach the terminal
    expect(r.stdout + r.stderr, label).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f]/);
    if (c.warning && cmd !== 'verify') {
      // the answer comes, with one warning line naming the member(s)
      const warnings = r.stderr.split('\n').filter((l) => /WARNING/.test(l));
      expect(warnings, label).toHaveLength(1);
      expect(warnings[0], label).toMatch(c.warning);
      expect(r.stdout.trim().split('\n').length, label).toBeGreaterThan(1);
    }
    if (r.code === 3 || r.code === 4) {
      const errors = r.stderr.trim().split('\n').filter((l) => !/^layerdig: (skipped|WARNING)/.test(l) && !/: .*(skipped|is in the archive but|nothing in the archive declares)/.test(l));
      expect(errors, label).toHaveLength(1);
      const archive = basename(inputs.get(c.name)!);
      if (cmd !== 'verify') {
        expect(errors[0], label).toMatch(/^layerdig: /);
        expect(errors[0], label).toContain(archive);
        if (c.member) expect(errors[0], label).toMatch(c.member);
      }
    }
    if (cmd === 'verify' && c.exit.verify !== 0) {
      // the verify table names what failed; its summary names the archive
      expect(r.stdout, label).toMatch(/(MISMATCH|COULD NOT READ): \d+ of \d+ checks failed/);
      if (c.member && c.exit.verify === 3) expect(r.stdout.replace(/\s+/g, ' '), label).toMatch(new RegExp(c.member.source.split(': ')[0]!.replace(/ /g, '\\s+')));
    }
  });
});

describe('hostile corpus: nothing written, and what a sane reader should show', () => {
  it('no command wrote a file: the working directory is still empty', () => {
    expect(readdirSync(cwd)).toEqual([]);
  });

  it('names with control characters are printed escaped, one row each', () => {
    const r = results.get(`${CASES.find((c) => c.name.startsWith('non-UTF-8'))!.name}\0layers`)!;
    expect(r.stdout).toContain('esc\\x1b[2J\\x1b[31mred');
    expect(r.stdout).toContain('new\\x0aline');
    expect(r.stdout).toContain('bad\ufffd\ufffd.txt');
  });

  it('a symlink-looped directory tree is searched once, finding its one image', () => {
    const name = CASES.find((c) => c.name.startsWith('a directory tree with symlink loops'))!.name;
    const r = results.get(`${name}\0images`)!;
    expect(r.stdout.trim().split('\n')).toHaveLength(2); // header + one image
    expect(results.get(`${name}\0verify`)!.stdout).toMatch(/verified: \d+ checks passed \(1 image, 0 artifacts, \d+ blobs verified\)/);
  });

  it('bombs stop fast: each in a few seconds, with the limit named', () => {
    for (const c of CASES.filter((x) => /bomb/.test(x.name))) {
      const r = results.get(`${c.name}\0layers`)!;
      expect(r.ms, c.name).toBeLessThan(15_000);
      expect(r.stderr, c.name).toMatch(/decompression bomb/);
    }
  });
});
