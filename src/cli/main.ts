import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, exitCodeFor, LayerdigError } from '../errors.js';
import { COMMANDS } from './commands/index.js';
import { printable } from '../report/format.js';
import { usageMessage } from './usage.js';
import { finalExitCode, resetOutcome } from '../app/outcome.js';

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

const commandName = (c: (typeof COMMANDS)[number]) => String(c.command).split(' ')[0]!;

/** The parts of yargs' instance its typings leave out: the options and the command being parsed. */
interface YargsInternals {
  getOptions(): { key: Record<string, unknown>; alias: Record<string, string[]>; boolean: string[]; number: string[] };
  getInternalMethods(): { getContext(): { commands: string[] } };
}

/** Run one command line; sets process.exitCode. The bin wrapper is the only caller that exits. */
export async function main(argv = hideBin(process.argv)): Promise<void> {
  const cli = yargs(argv)
    .scriptName('layerdig')
    // yargs' own messages are parsed into ours (usage.ts): never translated by $LANG
    .locale('en')
    .usage('$0 <command> [options]\n\nOpen container image archives offline: docker save, OCI layout, skopeo dir:.')
    .command(COMMANDS)
    .completion('completion', 'print a bash/zsh completion script (add it to ~/.bashrc or ~/.zshrc)')
    .example('$0 layers app.tar', 'what each layer is: diffID, chainID, digest, content, size')
    .example('$0 report app.tar -o report.html', 'a self-contained HTML page to attach to a ticket')
    .example('$0 completion >> ~/.bashrc', 'tab completion of commands and options')
    .demandCommand(1, 'name a command')
    .strict()
    // a number option given a word (`--top many`) is a usage error, not NaN reaching the command
    .check((args) => {
      const bad = (cli as unknown as YargsInternals).getOptions().number.find((k) => typeof args[k] === 'number' && Number.isNaN(args[k]));
      return bad === undefined ? true : `--${bad} must be a number`;
    })
    .help()
    .alias('h', 'help')
    .version()
    .wrap(Math.min(110, process.stdout.columns || 100))
    // --help, --version and completion return instead of exiting, so the bin sees the command finish
    .exitProcess(false)
    // yargs validates (strict options, required arguments, checks) just before it calls the
    // handler, and calls this on a problem. A fail function that returns is taken as "handled":
    // yargs then runs the handler anyway. Throwing is the only way to stop it, so every usage
    // error stops here, in one place, before any command has read, judged or written anything.
    .fail((msg, err) => {
      // a handler's own error passes through; yargs' validation errors (YError, or a check's string) are usage
      if (err && typeof err !== 'string' && err.name !== 'YError') throw err;
      const y = cli as unknown as YargsInternals;
      const command = y.getInternalMethods().getContext().commands[0] ?? null;
      const opts = y.getOptions();
      throw new LayerdigError('E_USAGE', usageMessage(msg ?? String(err ?? 'usage error'), {
        argv,
        commands: [...COMMANDS.map(commandName), 'completion'],
        command,
        commandUsage: command === null ? null : String(COMMANDS.find((c) => commandName(c) === command)?.command ?? command),
        options: [...Object.keys(opts.key), ...Object.values(opts.alias).flat()],
        aliases: opts.alias,
        booleans: opts.boolean,
      }));
    });
  resetOutcome();
  try {
    await cli.parseAsync();
    // findings (1) outrank inputs left out (5) outrank success (0): app/outcome.ts
    process.exitCode = finalExitCode(process.exitCode as number | undefined);
  } catch (err) {
    process.exitCode = report(err);
  }
}
