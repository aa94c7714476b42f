import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, FIXTURES, runInProcess } from './helpers/cli.js';
import { COMMANDS } from '../src/cli/commands/index.js';

/**
 * layerdig's own argument parser against yargs 18.2, the parser it replaced (issue 13):
 * fixtures/cli-argv/truth.json holds what the yargs-based CLI answered for 650-odd
 * command lines (exit code, stdout, stderr, the arguments each handler was given),
 * recorded by fixtures/cli-argv/make.mjs before yargs was removed. Every line must
 * give the same answer byte for byte — help texts included — except the deliberate
 * changes listed in `deviation` below, each asserted on its own.
 */

interface Record { argv: string[]; exit: number; stdout: string; stderr: string; command?: string; args?: { [k: string]: unknown } }
const TRUTH = JSON.parse(readFileSync(join(FIXTURES, 'cli-argv', 'truth.json'), 'utf8')) as { undefined: string; records: Record[] };

let seen: { command: string; args: unknown } | null = null;
const saved = new Map<{ handler: unknown }, unknown>();
const columns = Object.getOwnPropertyDescriptor(process.stdout, 'columns');

beforeAll(async () => {
  // handlers record what they were given instead of opening archives
  for (const c of COMMANDS) {
    const mod = await c.load();
    saved.set(mod, mod.handler);
    mod.handler = (args: unknown) => { seen = { command: c.name, args }; };
  }
  // as in the recording: stdout a pipe, so help wraps at 100 columns
  Object.defineProperty(process.stdout, 'columns', { value: undefined, configurable: true });
});

afterAll(() => {
  for (const [mod, h] of saved) mod.handler = h;
  if (columns) Object.defineProperty(process.stdout, 'columns', columns);
  else delete (process.stdout as { columns?: number }).columns;
});

async function run(argv: string[]): Promise<Omit<Record, 'argv'>> {
  seen = null;
  const { code: exit, stdout, stderr } = await runInProcess(argv);
  const norm = (s: string) => s.split(process.execPath).join('<NODE>').split(ROOT).join('<ROOT>');
  const r: Omit<Record, 'argv'> = { exit, stdout: norm(stdout), stderr: norm(stderr) };
  if (seen) {
    const s = seen as { command: string; args: unknown };
    r.command = s.command;
    r.args = JSON.parse(JSON.stringify(s.args, (_k, v: unknown) => (v === undefined ? TRUTH.undefined : v)));
  }
  return r;
}

/**
 * Where layerdig now answers differently from yargs, on purpose:
 * - words after `--` are arguments (POSIX): yargs dropped them, so `images -- -x.tar` said
 *   "missing <inputs...>" and `layers app.tar -- --help` ignored `--help` silently;
 * - a value outside an option's choices is one plain sentence, not yargs' two lines
 *   ("Invalid values:\n  Argument: …", printed with an escaped newline);
 * - `__completions` printed yargs' own bash script (which called `layerdig` by name); it now
 *   prints the one script, `completion`'s.
 */
function deviation(r: Record): 'dash-dash' | 'choices' | 'script' | null {
  if (r.argv.includes('--') && !r.argv.includes('--get-yargs-completions') && r.argv.indexOf('--') < r.argv.length - 1) return 'dash-dash';
  if (r.stderr.includes('Invalid values:')) return 'choices';
  if (r.argv[0] === '__completions') return 'script';
  return null;
}

describe('the argument parser answers as yargs did (fixtures/cli-argv/truth.json)', () => {
  const same = TRUTH.records.filter((r) => deviation(r) === null);
  it.each(same.map((r) => [r.argv.join(' ') || '(nothing)', r] as const))('layerdig %s', async (_name, r) => {
    const got = await run(r.argv);
    expect(got).toEqual({ exit: r.exit, stdout: r.stdout, stderr: r.stderr, ...(r.args ? { command: r.command, args: r.args } : {}) });
  });
});

describe('deliberate differences from yargs', () => {
  it('words after `--` are arguments, options or not', async () => {
    const lines = TRUTH.records.filter((r) => deviation(r) === 'dash-dash');
    expect(lines.length).toBeGreaterThan(5);
    const images = await run(['images', '--', '-x.tar', '--y']);
    expect(images.exit).toBe(0);
    expect(images.args).toMatchObject({ inputs: ['-x.tar', '--y'] });
    const cat = await run(['cat', 'app.tar', '--', '--weird']);
    expect(cat.args).toMatchObject({ input: 'app.tar', path: '--weird' });
    expect(await run(['layers', '--', '-'])).toMatchObject({ exit: 0, args: { input: '-' } });
    const extra = await run(['layers', 'app.tar', '--', '--help']);
    expect(extra).toMatchObject({ exit: 2, stdout: '' });
    expect(extra.stderr).toBe("layerdig: layers: unexpected argument --help (usage: layerdig layers <input>; run 'layerdig layers --help' for usage)\n");
    // before `--`, the same line parses as yargs parsed it
    const verify = await run(['verify', 'a.tar', '--gpg-keyring', 'k1', 'k2', '--', 'c.tar']);
    expect(verify.args).toMatchObject({ inputs: ['a.tar', 'c.tar'], gpgKeyring: ['k1', 'k2'] });
  });

  it('a value outside the choices: the option, the value, the choices, in one line', async () => {
    for (const r of TRUTH.records.filter((x) => deviation(x) === 'choices')) {
      const got = await run(r.argv);
      const [, name, value, choices] = /Argument: (\w+), Given: (.*?), Choices: (.*?) \(run/.exec(r.stderr)!;
      const want = value === 'true' || value === 'false' ? `--${name} needs a value: one of ${choices}` : `--${name} must be one of ${choices}, not ${value}`;
      expect(got.exit).toBe(2);
      expect(got.stderr).toBe(`layerdig: ${r.stderr.match(/^layerdig: (\w+):/)![1]}: ${want} (run 'layerdig ${r.argv[0]} --help' for usage)\n`);
    }
  });

  it('__completions prints the completion script', async () => {
    const got = await run(['__completions']);
    const completion = TRUTH.records.find((r) => r.argv.join(' ') === 'completion')!;
    expect(got.stdout).toBe(completion.stdout);
  });
});
