import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { EXIT, exitCodeFor, LayerdigError } from '../errors.js';
import { COMMANDS } from './commands/index.js';
import { printable } from '../report/format.js';
import { VERSION } from '../version.js';

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

/** Run one command line; sets process.exitCode. The bin wrapper is the only caller that exits. */
export async function main(argv = hideBin(process.argv)): Promise<void> {
  let usageError = false;
  const cli = yargs(argv)
    .scriptName('layerdig')
    .usage('$0 <command> [options]\n\nOpen container image archives offline: docker save, OCI layout, skopeo dir:.')
    .command(COMMANDS)
    .completion('completion', 'print a bash/zsh completion script (add it to ~/.bashrc or ~/.zshrc)')
    .example('$0 layers app.tar', 'what each layer is: diffID, chainID, digest, content, size')
    .example('$0 report app.tar -o report.html', 'a self-contained HTML page to attach to a ticket')
    .example('$0 completion >> ~/.bashrc', 'tab completion of commands and options')
    .demandCommand(1, 'name a command')
    .strict()
    .help()
    .alias('h', 'help')
    .version(VERSION)
    .wrap(Math.min(110, process.stdout.columns || 100))
    // --help, --version and completion return instead of exiting, so the bin sees the command finish
    .exitProcess(false)
    .fail((msg, err, y) => {
      if (err) throw err;
      usageError = true;
      process.stderr.write(`${y.help() && ''}layerdig: ${msg}\nRun 'layerdig --help' for usage.\n`);
    });
  // yargs renders the command's whole help text after starting its handler, to show it should the
  // handler fail; ours never shows it (fail() above rethrows): skipping that saves start-up time
  const usage = (cli as unknown as { getInternalMethods?: () => { getUsageInstance?: () => { cacheHelpMessage?: () => void } } })
    .getInternalMethods?.().getUsageInstance?.();
  if (usage?.cacheHelpMessage) usage.cacheHelpMessage = () => {};
  try {
    await cli.parseAsync();
    if (usageError) process.exitCode = EXIT.usage;
  } catch (err) {
    process.exitCode = report(err);
  }
}
