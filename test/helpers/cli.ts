import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const FIXTURES = join(ROOT, 'fixtures');
const BIN = join(ROOT, 'bin', 'layerdig.js');

export interface RunResult { code: number; stdout: string; stderr: string }

/** Run the built CLI as a user would (`npm test` builds first). */
export function run(args: string[], opts: { input?: string; env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {}): RunResult {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    encoding: 'utf8', input: opts.input, cwd: opts.cwd ?? ROOT,
    env: { ...process.env, NO_COLOR: '1', ...opts.env }, timeout: opts.timeoutMs ?? 60_000, maxBuffer: 256 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export function runJson<T = unknown>(args: string[]): T {
  const r = run([...args, '--json']);
  if (r.code !== 0) throw new Error(`layerdig ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}

/**
 * Run the CLI in this process (much faster than spawning node for hundreds of
 * truth checks). Same code path as the binary after argument parsing.
 */
export async function runInProcess(args: string[]): Promise<RunResult> {
  const { main } = await import('../../src/cli/main.js');
  const out: string[] = [];
  const err: string[] = [];
  const ow = process.stdout.write.bind(process.stdout);
  const ew = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((c: string | Uint8Array) => { out.push(String(c)); return true; }) as typeof process.stdout.write;
  process.stderr.write = ((c: string | Uint8Array) => { err.push(String(c)); return true; }) as typeof process.stderr.write;
  process.exitCode = undefined;
  try {
    await main(args);
  } finally {
    process.stdout.write = ow;
    process.stderr.write = ew;
  }
  const code = typeof process.exitCode === 'number' ? process.exitCode : 0;
  process.exitCode = undefined;
  return { code, stdout: out.join(''), stderr: err.join('') };
}

export async function runJsonFast<T = unknown>(args: string[]): Promise<T> {
  const r = await runInProcess([...args, '--json']);
  if (r.code !== 0) throw new Error(`layerdig ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
