import { EXIT, exitCodeFor, LayerdigError } from '../errors.js';
import { COMMANDS } from './commands/index.js';
import { resolve, UsageError, type Outcome, type Program } from './argv/program.js';
import { namesOf } from './argv/shape.js';
import { printable } from '../report/text.js';
import { usageMessage } from './usage.js';
import { finalExitCode, resetOutcome } from '../app/outcome.js';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { completionScript } from './completion.js';
import { setTableLayout } from '../report/table-layout.js';

/** this install's bin file, so completion calls the very layerdig that printed its script (from the bundle or from dist/cli) */
const BIN = ['../bin/layerdig.js', '../../bin/layerdig.js'].map((r) => fileURLToPath(new URL(r, import.meta.url))).find((p) => existsSync(p)) ?? 'layerdig';
import { VERSION } from '../version.js';
import { resetStdin } from '../app/stdin.js';

function report(err: unknown): number {
  if (err instanceof LayerdigError) {
    process.stderr.write(`layerdig: ${printable(err.message)}\n`);
    if (err.candidates.length) process.stderr.write(`candidates:\n${err.candidates.map((c) => `  ${printable(c)}`).join('\n')}\n`);
    return exitCodeFor(err);
  }
  const e = err as Error;
  process.stderr.write(`layerdig: internal error: ${printable(e?.message ?? String(err))}\n`);
  if (process.env.LAYERDIG_DEBUG) process.stderr.write(`${e?.stack}\n`);
  return EXIT.internal;
}

/** The program: every command (each module loaded only when its command runs), `completion`, the top-level help. */
function program(): Program {
  const completion = {
    command: 'completion',
    describe: 'print a bash/zsh completion script (add it to ~/.bashrc or ~/.zshrc)',
    handler: () => { process.stdout.write(completionScript(process.execPath, BIN)); },
  };
  return {
    commands: [...COMMANDS, { name: 'completion', ...completion, load: async () => completion }],
    // yargs printed its own script for `__completions`; the one script is `completion`'s
    hidden: { __completions: 'completion' },
    usage: '$0 <command> [options]\n\nOpen container image archives offline: docker save, OCI layout, skopeo dir:.',
    examples: [
      ['$0 layers app.tar', 'what each layer is: diffID, chainID, digest, content, size'],
      ['$0 report app.tar -o report.html', 'a self-contained HTML page to attach to a ticket'],
      ['$0 completion >> ~/.bashrc', 'tab completion of commands and options'],
    ],
    version: VERSION,
    wrap: Math.min(110, process.stdout.columns || 100),
  };
}

/** A usage error worded for a person (usage.ts), from what the parser knew. */
function usageFailure(err: UsageError, argv: string[], commands: string[]): LayerdigError {
  const shape = err.shape;
  const options = shape ? [...shape.options] : [];
  return new LayerdigError('E_USAGE', usageMessage(err.message, {
    argv,
    commands,
    command: shape?.name ?? null,
    commandUsage: shape?.usage ?? null,
    options: options.flatMap(([k, o]) => namesOf(k, o)),
    aliases: Object.fromEntries(options.map(([k, o]) => [k, [o.alias ?? []].flat()])),
    booleans: options.filter(([, o]) => o.type === 'boolean').map(([k]) => k),
  }));
}

/** Run one command line; sets process.exitCode. The bin wrapper is the only caller that exits. */
export async function main(argv = process.argv.slice(2)): Promise<void> {
  resetOutcome();
  resetStdin();
  const prog = program();
  let outcome: Outcome;
  try {
    outcome = await resolve(prog, argv);
  } catch (err) {
    // a usage error, or a chunk missing from a broken install (one line and exit 70, never a stack trace)
    process.exitCode = report(err instanceof UsageError ? usageFailure(err, argv, prog.commands.map((c) => c.name)) : err);
    return;
  }
  if (outcome.kind === 'print') {
    process.stdout.write(outcome.text);
    return;
  }
  // tables fit the terminal (not a pipe, not --no-trunc); absolute paths under the working directory shown relative
  setTableLayout({ width: process.stdout.isTTY && outcome.args.trunc !== false ? process.stdout.columns ?? null : null, cwd: process.cwd() });
  try {
    await outcome.handler(outcome.args);
    // findings (1) outrank inputs left out (5) outrank success (0): app/outcome.ts
    process.exitCode = finalExitCode(process.exitCode as number | undefined);
  } catch (err) {
    process.exitCode = report(err);
  }
}
