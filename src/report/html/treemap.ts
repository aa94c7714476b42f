/**
 * Squarified treemap layout (Bruls, Huizing, van Wijk 2000). Pure: values in,
 * rectangles out, in the same order as the values (which must be sorted
 * descending and positive).
 */
export interface Rect { x: number; y: number; w: number; h: number }

function worst(row: number[], side: number): number {
  let sum = 0;
  let max = 0;
  let min = Infinity;
  for (const a of row) {
    sum += a;
    if (a > max) max = a;
    if (a < min) min = a;
  }
  const s2 = side * side;
  const sum2 = sum * sum;
  return Math.max((s2 * max) / sum2, sum2 / (s2 * min));
}

export function squarify(values: number[], rect: Rect): Rect[] {
  const out: Rect[] = [];
  const total = values.reduce((s, v) => s + v, 0);
  if (total <= 0 || rect.w <= 0 || rect.h <= 0) return values.map(() => ({ x: rect.x, y: rect.y, w: 0, h: 0 }));
  const scale = (rect.w * rect.h) / total;
  const areas = values.map((v) => v * scale);
  let { x, y, w, h } = rect;
  let i = 0;
  while (i < areas.length) {
    const side = Math.min(w, h);
    const row: number[] = [areas[i]!];
    let j = i + 1;
    while (j < areas.length && worst([...row, areas[j]!], side) <= worst(row, side)) {
      row.push(areas[j]!);
      j++;
    }
    const rowSum = row.reduce((s, a) => s + a, 0);
    if (w >= h) {
      // a column on the left
      const cw = h > 0 ? rowSum / h : 0;
      let cy = y;
      for (const a of row) {
        const ch = cw > 0 ? a / cw : 0;
        out.push({ x, y: cy, w: cw, h: ch });
        cy += ch;
      }
      x += cw;
      w -= cw;
    } else {
      // a row on top
      const rh = w > 0 ? rowSum / w : 0;
      let cx = x;
      for (const a of row) {
        const cw = rh > 0 ? a / rh : 0;
        out.push({ x: cx, y, w: cw, h: rh });
        cx += cw;
      }
      y += rh;
      h -= rh;
    }
    i = j;
  }
  return out;
}
