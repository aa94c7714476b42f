import { sep } from 'node:path';
import { printable } from './text.js';
import { tableLayout } from './table-layout.js';
import { displayWidth } from './width.js';

export { setTableLayout, type TableLayout } from './table-layout.js';

const GAP = 3;
/** no column is squeezed below this: ids (12) and sizes stay whole */
const MIN_COL = 16;

/** `/long/path/to/a/file` → `/long/pa…a/file`: both ends of a path say the most. */
export function middleEllipsis(s: string, max: number): string {
  const chars = [...s];
  if (chars.length <= max) return s;
  const keep = max - 1;
  const head = Math.ceil(keep / 2);
  return `${chars.slice(0, head).join('')}…${chars.slice(chars.length - (keep - head)).join('')}`;
}

function relative(cell: string, cwd: string | null): string {
  if (!cwd) return cell;
  const root = cwd.endsWith(sep) ? cwd : cwd + sep;
  return cell.startsWith(root) ? cell.slice(root.length) : cell;
}

/** Column widths that fit `width`: the widest columns give way first, none below MIN_COL. */
export function fitWidths(natural: number[], width: number): number[] {
  const w = [...natural];
  const total = () => w.reduce((a, b) => a + b, 0) + GAP * (w.length - 1);
  while (total() > width) {
    let widest = -1;
    for (let i = 0; i < w.length; i++) if (w[i]! > MIN_COL && (widest < 0 || w[i]! > w[widest]!)) widest = i;
    if (widest < 0) break; // cannot shrink further: the row stays wider than the terminal
    const others = total() - w[widest]!;
    w[widest] = Math.max(MIN_COL, Math.min(w[widest]! - 1, width - others));
  }
  return w;
}

/**
 * Plain, borderless tables like `docker images`: columns as wide as their widest cell
 * (in terminal columns), 3 spaces apart, left-aligned, no trailing spaces. Byte for byte
 * what cli-table3 printed here before (fixtures/table-layout), at a fraction of the load.
 */
export function table(head: string[], rows: (string | number)[][]): string {
  const layout = tableLayout();
  let cells = rows.map((r) => r.map((c) => relative(printable(String(c)), layout.cwd)));
  if (layout.width) {
    const natural = head.map((h, i) => Math.max([...h].length, ...cells.map((r) => [...(r[i] ?? '')].length)));
    const fit = fitWidths(natural, layout.width);
    cells = cells.map((r) => r.map((c, i) => middleEllipsis(c, fit[i] ?? c.length)));
  }
  const all = head.length ? [head, ...cells] : cells;
  const widths: number[] = [];
  // a column is at least one wide, as cli-table3 made it
  for (const r of all) r.forEach((c, i) => { widths[i] = Math.max(widths[i] ?? 1, displayWidth(c)); });
  return all.filter((r) => r.length)
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(widths[i]! - displayWidth(c)))).join(' '.repeat(GAP)).trimEnd())
    .join('\n');
}
