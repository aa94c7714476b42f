import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { run, ROOT, FIXTURES } from './helpers/cli.js';
import { COMMANDS } from '../src/cli/commands/index.js';
import { ProgressView } from '../src/cli/progress.js';
import { colourEnabled, paint } from '../src/cli/color.js';

const BIN = join(ROOT, 'bin', 'layerdig.js');
const SAMPLE = join(FIXTURES, 'real', 'fixture', 'fixture.oci-gzip');
const ESC = '\x1b';

describe('help and completion', () => {
  const names = COMMANDS.map((c) => String(c.command).split(' ')[0]!);

  it('registers the commands we document', () => {
    expect(names).toEqual(expect.arrayContaining(['images', 'inspect', 'layers', 'history', 'report']));
  });

  it.each(names)('%s --help shows at least one example', (name) => {
    const r = run([name, '--help']);
    expect(r.code).toBe(0);
    const examples = r.stdout.split('Examples:')[1];
    expect(examples, `${name} --help has no Examples section`).toBeDefined();
    expect(examples).toContain(`layerdig ${name}`);
  });

  it('the top-level --help lists every command and shows examples', () => {
    const r = run(['--help']);
    for (const n of [...names, 'completion']) expect(r.stdout).toContain(`layerdig ${n}`);
    expect(r.stdout).toContain('Examples:');
  });

  it('completion prints a bash completion script that asks layerdig for candidates', () => {
    const r = run(['completion']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('complete -o bashdefault -o default -F _layerdig_completions layerdig');
    expect(r.stdout).toMatch(/bin\/layerdig\.js' --get-yargs-completions/);
    // bash accepts the script
    const syntax = spawnSync('bash', ['-n'], { input: r.stdout, encoding: 'utf8' });
    expect(syntax.status, syntax.stderr).toBe(0);
    const cmds = run(['--get-yargs-completions', 'layerdig', '']).stdout.split('\n');
    for (const n of names) expect(cmds).toContain(n);
    const opts = run(['--get-yargs-completions', 'layerdig', 'layers', '--']).stdout.split('\n');
    expect(opts).toEqual(expect.arrayContaining(['--json', '--no-content', '--jobs', '--image']));
  });
});

describe('progress and colour', () => {
  it('nothing but the result on stdout, and nothing drawn on stderr in a pipe', () => {
    const r = run(['layers', SAMPLE, '--json', '--jobs', '2'], { env: { LAYERDIG_PROGRESS_DELAY_MS: '0', NO_COLOR: '' } });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toHaveLength(1);
    expect(r.stderr).toBe('');
  });

  const pty = existsSync('/usr/bin/script');
  /** run under a pseudo-terminal (util-linux `script`): stdout and stderr are both the terminal */
  const onTty = (args: string[], env: Record<string, string> = {}) => spawnSync('script', ['-qefc', [process.execPath, BIN, ...args].map((a) => `'${a}'`).join(' '), '/dev/null'], {
    encoding: 'utf8', cwd: ROOT, env: { ...process.env, LAYERDIG_PROGRESS_DELAY_MS: '0', COLUMNS: '120', ...env }, timeout: 60_000,
  });

  it.skipIf(!pty)('on a terminal: progress is drawn, then erased before the JSON, which stays whole', () => {
    const r = onTty(['layers', SAMPLE, '--json'], { NO_COLOR: '' });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/reading(\x1b\[0m)? \d\/6 layers/); // 7 layers, 6 distinct blobs
    expect(r.stdout).toContain(`${ESC}[2mreading`); // dim: colour on a terminal
    const afterErase = r.stdout.slice(r.stdout.lastIndexOf(`${ESC}[J`) + 3).replace(/\r\n/g, '\n');
    expect(JSON.parse(afterErase)[0].layers).toHaveLength(7);
    expect(afterErase).not.toContain(ESC);
  });

  it.skipIf(!pty)('on a terminal: nothing with --quiet; no colour with NO_COLOR', () => {
    const quiet = onTty(['layers', SAMPLE, '--json', '-q']);
    expect(quiet.status).toBe(0);
    expect(quiet.stdout).not.toContain('reading');
    expect(quiet.stdout).not.toContain(ESC);
    const plain = onTty(['layers', SAMPLE], { NO_COLOR: '1' });
    expect(plain.stdout).toContain('reading');
    expect(plain.stdout).not.toMatch(/\x1b\[[0-9;]*m/);
  });

  it('colour only on a TTY, never with NO_COLOR set and not empty, never on TERM=dumb', () => {
    expect(colourEnabled({ isTTY: true }, {})).toBe(true);
    expect(colourEnabled({ isTTY: false }, {})).toBe(false);
    expect(colourEnabled({}, {})).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '1' })).toBe(false);
    expect(colourEnabled({ isTTY: true }, { NO_COLOR: '' })).toBe(true);
    expect(colourEnabled({ isTTY: true }, { TERM: 'dumb' })).toBe(false);
    expect(paint({ isTTY: true }, 'yellow', 'W', {})).toBe('\x1b[33mW\x1b[0m');
    expect(paint({ isTTY: false }, 'yellow', 'W', {})).toBe('W');
  });

  it('a frame: per-layer bytes done / total and rate, overall bytes, rate and ETA; erased on clear', () => {
    let t = 0;
    let out = '';
    const v = new ProgressView({ isTTY: true, columns: 200, write: (s) => { out += s; return true; } }, { now: () => t, delayMs: 0, env: { NO_COLOR: '1' } });
    v.plan([{ where: 'a.tar!l0', total: 100 * 1024 * 1024, label: 'layer 0' }, { where: 'a.tar!l1', total: 300 * 1024 * 1024, label: 'layer 1' }]);
    v.update('a.tar!l0', 0, 100 * 1024 * 1024);
    t = 2000;
    v.update('a.tar!l0', 50 * 1024 * 1024, 100 * 1024 * 1024);
    const f = v.frame();
    expect(f).toHaveLength(2); // one active layer + the overall line
    expect(f[0]).toBe('[##########..........] layer 0  50.0 MiB / 100.0 MiB  25.0 MiB/s  a.tar!l0');
    // 50 MiB of 400 MiB in 2 s: 25 MiB/s, 350 MiB left: 14 s
    expect(f[1]).toBe('reading 0/2 layers  50.0 MiB / 400.0 MiB  25.0 MiB/s  ETA 14s');
    v.render();
    v.update('a.tar!l1', 10, 300 * 1024 * 1024);
    v.render();
    expect(out).toContain(`${ESC}[1A\r${ESC}[J`); // the 2-line frame redrawn in place
    v.done('a.tar!l0');
    v.done('a.tar!l1');
    expect(out.endsWith(`\r${ESC}[J`)).toBe(true); // all done: erased
  });
});
