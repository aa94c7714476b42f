import { join } from 'node:path';
import { generate } from './gen.js';
import { buildReal } from './real.js';

const dir = join(process.cwd(), '.bench-cache');
const t0 = Date.now();
const log = (s: string) => process.stderr.write(`bench: ${s}\n`);
const g = await generate(join(dir, 'generated'), log);
log(`generated image: ${g.layers.length} layers, ${(g.totalLayerBytes / 1e6).toFixed(0)} MB, ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
const r = await buildReal(join(dir, 'real'), log);
log(`real image (Debian ${r.debian}): ${r.layers.length} layers, ${(r.totalLayerBytes / 1e6).toFixed(0)} MB, ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
