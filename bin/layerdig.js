#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// If a stream stalls so that nothing is left to run, Node would exit quietly (status 13, or 0)
// before the command finished: say so, as the internal error it is.
let finished = false;
// `layerdig … | head` closes the pipe early: that is not an error
process.stdout.on('error', (e) => {
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
