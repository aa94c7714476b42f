#!/usr/bin/env node
import { statSync } from 'node:fs';
import module from 'node:module';

// Node >= 22.1 can keep compiled code between runs (start-up, README "Performance"); Node 20 has no such cache
module.enableCompileCache?.();

// The bundle dist/layerdig.js (+ its chunks, one per command) is used only when it is at least as new
// as the compiled modules, so a plain `tsc` after an edit never runs stale code. Both are
// src/cli/run.ts: `--version` answers before the CLI loads, a command loads only its own module.
const fresh = (() => {
  try {
    return statSync(new URL('../dist/layerdig.js', import.meta.url)).mtimeMs >= statSync(new URL('../dist/cli/main.js', import.meta.url)).mtimeMs;
  } catch {
    return false;
  }
})();
await import(fresh ? '../dist/layerdig.js' : '../dist/cli/run.js');
