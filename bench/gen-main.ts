import { join } from 'node:path';
import { generate } from './gen.js';

const dir = join(process.cwd(), '.bench-cache');
const t0 = Date.now();
const g = await generate(dir, (s) => process.stderr.write(`bench: ${s}\n`));
process.stderr.write(`bench: ${g.layers.length} layers, ${(g.totalLayerBytes / 1e6).toFixed(0)} MB, ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
