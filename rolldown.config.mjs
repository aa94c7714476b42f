import { readdirSync, rmSync } from 'node:fs';

/**
 * `npm run build` bundles the compiled CLI (dist/cli/main.js) and the layer
 * worker into dist/layerdig.js and dist/worker.js (+ one shared chunk): one
 * file to load instead of ~150 modules roughly halves start-up on Node 20
 * (README "Performance"). bin/layerdig.js uses the bundle only when it is newer
 * than dist/cli/main.js, so a plain `tsc` never runs stale code.
 * tar-stream stays external: pax.ts patches its headers module in place, which
 * must be the same module instance the pass uses.
 */
for (const f of readdirSync('dist')) if (/^bundle-.*\.js$/.test(f)) rmSync(`dist/${f}`);

export default {
  input: { layerdig: 'dist/cli/main.js', worker: 'dist/layer/worker.js' },
  platform: 'node',
  external: [/^node:/, 'tar-stream', 'yaml', 'better-sqlite3', 'zstd-napi'],
  output: { dir: 'dist', format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'bundle-[hash].js', minify: false },
};
