#!/usr/bin/env node
import { main } from '../dist/cli/main.js';

// `layerdig … | head` closes the pipe early: that is not an error
process.stdout.on('error', (e) => {
  if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
});
await main();
