import { readdirSync, rmSync } from 'node:fs';

/**
 * `npm run build` bundles the compiled CLI into dist/layerdig.js (src/cli/run.ts:
 * `--version`, then the CLI loaded on demand), dist/worker.js (the layer worker) and
 * dist/hash-thread.js (a HashRing's thread),
 * with chunks dist/bundle-*.js: each command's module is its own dynamic import
 * (commands/index.ts), so a start loads the argument parser (cli/argv/), the command list and the one command
 * it runs, in a few files instead of ~150 modules (README "Performance").
 * bin/layerdig.js uses the bundle only when it is newer than dist/cli/main.js, so a
 * plain `tsc` never runs stale code. `package.json` `files` ships dist/ whole.
 * tar-stream stays external: pax.ts patches its headers module in place, which
 * must be the same module instance the pass uses (layer/tar-stream.ts loads it).
 */
for (const f of readdirSync('dist')) if (/^bundle-.*\.js$/.test(f)) rmSync(`dist/${f}`);

export default {
  input: { layerdig: 'dist/cli/run.js', worker: 'dist/layer/worker.js', 'hash-thread': 'dist/layer/hash-thread.js' },
  platform: 'node',
  external: [/^node:/, 'tar-stream', 'yaml', 'better-sqlite3', 'zstd-napi'],
  output: { dir: 'dist', format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'bundle-[hash].js', minify: false },
};
