import module from 'node:module';
import { VERSION } from '../version.js';

/**
 * What `layerdig` runs: bin/layerdig.js imports this (as the bundle's entry
 * dist/layerdig.js, or compiled as dist/cli/run.js). It imports nothing heavy
 * itself: `--version` answers at once, and every other command line loads the CLI
 * (the argument parser, the command list and the one command it names) only then (start-up, issue 13).
 */
if (process.argv.length === 3 && process.argv[2] === '--version') {
  process.stdout.write(`${VERSION}\n`);
} else {
  // Node >= 22.1 keeps compiled code between runs; Node 20 has no such cache (a no-op there)
  (module as { enableCompileCache?: () => unknown }).enableCompileCache?.();
  await (await import('./early.js')).startEarly(process.argv.slice(2));
  const { main } = await import('./main.js');
  // If a stream stalls so that nothing is left to run, Node would exit quietly (status 13, or 0)
  // before the command finished: say so, as the internal error it is.
  let finished = false;
  // `layerdig … | head` closes the pipe early: that is not an error
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') return;
    finished = true;
    process.exit(process.exitCode ?? 0);
  });
  process.on('exit', (code) => {
    if (finished || code !== 0 && code !== 13) return;
    process.stderr.write('layerdig: internal error: the command stopped before it finished (a stalled stream); please report it\n');
    process.exitCode = 70;
  });
  await main();
  finished = true;
}
