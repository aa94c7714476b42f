import yargs, { type Argv } from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, exitCodeFor, LayerdigError } from '../errors.js';
import { COMMANDS, type AnyCommand, type CommandEntry } from './commands/index.js';
import { printable } from '../report/text.js';
import { usageMessage } from './usage.js';
import { finalExitCode, resetOutcome } from '../app/outcome.js';
import { fileURLToPath } from 'node:url';
import { existsSync } from 'node:fs';
import { cleanCompletions, completionScript } from './completion.js';
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

/**
 * The commands for this command line: the full module (options, handler) of every command it
 * names, and for the others only the usage line and description that --help and completion list
 * (their modules are never loaded: start-up, issue 13). A word that names a command as an
 * argument of another (`relation images …`) loads one module more, nothing worse.
 */
async function commandsFor(argv: string[]): Promise<AnyCommand[]> {
  const named = new Set(argv);
  return Promise.all(COMMANDS.map(async (c): Promise<AnyCommand> => (named.has(c.name) ? c.load() : unloaded(c))));
}

/** A command this command line does not name: listed, never run (its handler loads it, should yargs ever pick it). */
function unloaded(c: CommandEntry): AnyCommand {
  return { command: c.command, describe: c.describe, handler: async (a) => { await (await c.load()).handler(a); } };
}

/** The parts of yargs' instance its typings leave out: the options and the command being parsed. */
interface YargsInternals {
  getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]>; boolean: string[]; number: string[] };
  getInternalMethods(): { getContext(): { commands: string[] } };
}

/**
 * yargs' parser turns a lone `-` argument into an empty string (or drops it from
 * a variadic positional): carry it through under another name and give it back.
 */
const DASH = '\u0000stdin';
function restoreDash(args: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(args)) {
    if (v === DASH) args[k] = '-';
    else if (Array.isArray(v)) args[k] = v.map((x) => (x === DASH ? '-' : x));
  }
}

/** The yargs program: every command, completion, the checks; usage errors thrown as LayerdigError. */
function buildCli(argv: string[], commands: AnyCommand[]) {
  const cli: Argv = yargs(argv.map((t) => (t === '-' ? DASH : t)))
    .scriptName('layerdig')
    // yargs' own messages are parsed into ours (usage.ts): never translated by $LANG
    .locale('en')
    .usage('$0 <command> [options]\n\nOpen container image archives offline: docker save, OCI layout, skopeo dir:.')
    .command(commands)
    .command({
      command: 'completion',
      describe: 'print a bash/zsh completion script (add it to ~/.bashrc or ~/.zshrc)',
      handler: () => { process.stdout.write(completionScript(process.execPath, BIN)); },
    })
    // candidates for the script above (`--get-yargs-completions`), cleaned of what is not a real option
    .completion('__completions', false, (_current: string, _argv: unknown,
      defaults: (cb: (err: Error | null, list: string[] | undefined) => void) => void, done: (list: string[]) => void) => {
      defaults((_err, list) => {
        const negatable = new Set(Object.entries((cli as unknown as YargsInternals).getOptions().key)
          .filter(([k]) => ['trunc', 'content', 'human'].includes(k)).map(([k]) => k));
        done(cleanCompletions(list ?? [], negatable));
      });
    })
    // tables fit the terminal (not a pipe, not --no-trunc); absolute paths under the working directory shown relative
    .middleware((args) => {
      setTableLayout({ width: process.stdout.isTTY && args.trunc !== false ? process.stdout.columns ?? null : null, cwd: process.cwd() });
    })
    .example('$0 layers app.tar', 'what each layer is: diffID, chainID, digest, content, size')
    .example('$0 report app.tar -o report.html', 'a self-contained HTML page to attach to a ticket')
    .example('$0 completion >> ~/.bashrc', 'tab completion of commands and options')
    .middleware(restoreDash as never, true)
    .demandCommand(1, 'name a command')
    .strict()
    // a number option given a word (`--top many`) is a usage error, not NaN reaching the command
    .check((args) => {
      const bad = (cli as unknown as YargsInternals).getOptions().number.find((k) => typeof args[k] === 'number' && Number.isNaN(args[k]));
      return bad === undefined ? true : `--${bad} must be a number`;
    })
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .wrap(Math.min(110, process.stdout.columns || 100))
    // --help, --version and completion return instead of exiting, so the bin sees the command finish
    .exitProcess(false)
    .fail((msg, err) => usageFailure(cli, argv, msg, err));
  return cli;
}

/**
 * yargs validates (strict options, required arguments, checks) just before it calls the
 * handler, and calls its fail function on a problem. A fail function that returns is taken as
 * "handled": yargs then runs the handler anyway. Throwing is the only way to stop it, so every
 * usage error stops here, in one place, before any command has read, judged or written anything.
 */
function usageFailure(cli: Argv, argv: string[], msg: string | null | undefined, err: unknown): never {
  // a handler's own error passes through; yargs' validation errors (YError, or a check's string) are usage
  if (err && typeof err !== 'string' && (err as Error).name !== 'YError') throw err;
  const y = cli as unknown as YargsInternals;
  const command = y.getInternalMethods().getContext().commands[0] ?? null;
  const opts = y.getOptions();
  throw new LayerdigError('E_USAGE', usageMessage(msg ?? String(err ?? 'usage error'), {
    argv,
    commands: [...COMMANDS.map((c) => c.name), 'completion'],
    command,
    commandUsage: command === null ? null : COMMANDS.find((c) => c.name === command)?.command ?? command,
    options: [...Object.keys(opts.key), ...Object.values(opts.alias).flat()],
    aliases: opts.alias,
    booleans: opts.boolean,
  }));
}

/** Run one command line; sets process.exitCode. The bin wrapper is the only caller that exits. */
export async function main(argv = hideBin(process.argv)): Promise<void> {
  let commands: AnyCommand[];
  try {
    commands = await commandsFor(argv);
  } catch (err) {
    // a chunk missing from a broken install: one line and exit 70, never a stack trace
    process.exitCode = report(err);
    return;
  }
  const cli = buildCli(argv, commands);
  resetOutcome();
  // yargs renders the command's whole help text after starting its handler, to show it should the
  // handler fail; ours never shows it (fail() above rethrows): skipping that saves start-up time
  const usage = (cli as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } })
    .getInternalMethods?.().getUsageInstance?.();
  if (usage?.cacheHelpMessage) usage.cacheHelpMessage = () => {};
  resetStdin();
  try {
    await cli.parseAsync();
    // findings (1) outrank inputs left out (5) outrank success (0): app/outcome.ts
    process.exitCode = finalExitCode(process.exitCode as number | undefined);
  } catch (err) {
    process.exitCode = report(err);
  }
}
