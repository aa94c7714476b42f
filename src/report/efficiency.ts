import type { Image } from '../image/model.js';
import type { DiveEfficiency } from '../analysis/efficiency.js';
import type { DeadBytes } from '../analysis/deadbytes.js';
import { describeImage } from '../image/select.js';
import { imageRef } from './images.js';
import { ellipsis, humanSize } from './text.js';
import { table } from './table.js';

/** The instruction that made layer k, from the history entries paired with layers. */
export function createdByOf(img: Image, k: number): string | null {
  return img.history.find((h) => h.layerIndex === k)?.createdBy ?? null;
}

/** JSON numbers cannot be NaN or Infinity: those become null. */
const num = (v: number): number | null => (Number.isFinite(v) ? v : null);

export function efficiencyReport(img: Image, dive: DiveEfficiency, dead: DeadBytes) {
  return {
    image: imageRef(img),
    efficiency: dive.efficiency,
    sizeBytes: dive.sizeBytes,
    userSizeBytes: dive.userSizeBytes,
    wastedBytes: dive.wastedBytes,
    userWastedPercent: num(dive.userWastedPercent),
    inefficiencies: dive.inefficiencies.map((i) => ({ path: i.path, count: i.count, cumulativeSize: i.cumulativeSize })),
    deadBytes: dead.total,
    deadByLayer: dead.byLayer.map((l) => ({ ...l, createdBy: createdByOf(img, l.layerIndex) })),
    dead: dead.paths.map((p) => ({ path: p.path, layerIndex: p.layerIndex, size: p.size, cause: p.cause, byLayer: p.byLayer })),
    notes: dive.notes,
  };
}

export type EfficiencyReport = ReturnType<typeof efficiencyReport>;

export function percent(v: number | null): string {
  if (v === null) return 'n/a';
  return `${(v * 100).toFixed(4).replace(/\.?0+$/, '')} %`;
}

export function renderEfficiency(img: Image, r: EfficiencyReport, opts: { top: number; full: boolean }): string {
  const out: string[] = [`IMAGE ${describeImage(img)}`];
  out.push(`dive: efficiency ${percent(r.efficiency)}   size ${humanSize(r.sizeBytes)} (user ${humanSize(r.userSizeBytes)})   `
    + `wasted ${humanSize(r.wastedBytes)} (${r.wastedBytes} bytes)   user wasted ${percent(r.userWastedPercent)}`);
  for (const n of r.notes) out.push(`note: ${n}`);

  const ineff = r.inefficiencies;
  if (ineff.length === 0) {
    out.push('', 'no path is counted in more than one layer');
  } else {
    const shown = opts.top > 0 ? ineff.slice(0, opts.top) : ineff;
    out.push('', `paths counted in several layers, as dive lists them${shown.length < ineff.length ? ` (top ${shown.length} of ${ineff.length}; --top 0 shows all)` : ''}:`);
    out.push(table(['COUNT', 'WASTED', 'PATH'], shown.map((i) => [i.count, humanSize(i.cumulativeSize), i.path])));
  }

  out.push('', `dead bytes: ${humanSize(r.deadBytes)} (${r.deadBytes} bytes) stored in layers but not visible in the final filesystem`);
  const layers = r.deadByLayer.filter((l) => l.bytes > 0 || l.causedBytes > 0);
  if (layers.length) {
    out.push(table(['LAYER', 'DEAD STORED', 'MADE DEAD', 'CREATED BY'], layers.map((l) => [
      l.layerIndex, humanSize(l.bytes), humanSize(l.causedBytes), ellipsis(l.createdBy ?? '-', 60, opts.full),
    ])));
    const shown = opts.top > 0 ? r.dead.slice(0, opts.top) : r.dead;
    out.push('', `dead paths${shown.length < r.dead.length ? ` (top ${shown.length} of ${r.dead.length})` : ''}:`);
    out.push(table(['PATH', 'LAYER', 'SIZE', 'CAUSE', 'BY LAYER'], shown.map((d) => [`/${d.path}`, d.layerIndex, humanSize(d.size), d.cause, d.byLayer])));
  }
  return out.join('\n');
}
