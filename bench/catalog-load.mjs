// In-process: how long getting every image summary takes, by a direct scan of the
// archives (JSON members only) and from the catalog, without node's start-up.
// Usage: node bench/catalog-load.mjs <dir> <db> [runs=7]   (after npm run build and layerdig index <dir> --db <db>)
import { openInputs } from '../dist/app/inputs.js';
import { summarize } from '../dist/analysis/summary.js';
import { Catalog } from '../dist/catalog/catalog.js';

const [dir, db, runsArg] = process.argv.slice(2);
const runs = Number(runsArg ?? 7);
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function direct() {
  const t = performance.now();
  let n = 0;
  for await (const ar of openInputs([dir], { recursive: true, onSkip() {} })) {
    n += ar.images.map(summarize).length;
    ar.close();
  }
  return [performance.now() - t, n];
}
function catalog() {
  const t = performance.now();
  const cat = Catalog.open(db, { create: false });
  const { images, stale } = cat.summaries([dir]);
  cat.close();
  if (stale.length) throw new Error(`${stale.length} stale entries: index ${dir} first`);
  return [performance.now() - t, images.length];
}

const d = [], c = [];
let nd = 0, nc = 0;
for (let i = 0; i < runs; i++) {
  const [td, a] = await direct();
  const [tc, b] = catalog();
  d.push(td); c.push(tc); nd = a; nc = b;
}
if (nd !== nc) throw new Error(`direct scan saw ${nd} images, the catalog ${nc}`);
console.log(`${dir}: ${nd} images; direct scan ${median(d).toFixed(0)} ms, catalog ${median(c).toFixed(0)} ms, ${(median(d) / median(c)).toFixed(1)}× (median of ${runs})`);
