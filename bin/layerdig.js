#!/usr/bin/env node
import { readFileSync, statSync } from 'node:fs';
import module from 'node:module';

// `layerdig --version` alone answers without loading the CLI (start-up, README "Performance")
if (process.argv.length === 3 && process.argv[2] === '--version') {
  process.stdout.write(`${JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version}\n`);
  process.exit(0);
}
// Node >= 22.1 can keep compiled code between runs; Node 20 has no such cache
module.enableCompileCache?.();

// Start-up (README "Performance"): the bundle dist/layerdig.js loads as one file; it is used only when
// it is at least as new as the compiled modules, so a plain `tsc` after an edit never runs stale code.
const fresh = (() => {
  try {
    return statSync(new URL('../dist/layerdig.js', import.meta.url)).mtimeMs >= statSync(new URL('../dist/cli/main.js', import.meta.url)).mtimeMs;
  } catch {
    return false;
  }
})();
const { main } = await import(fresh ? '../dist/layerdig.js' : '../dist/cli/main.js');

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
