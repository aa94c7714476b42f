/**
 * The column layout yargs' help used (cliui 9 with wrap-ansi 9, no colours): rows of
 * columns with padding and widths, words wrapped greedily, long words broken; a "span"
 * row lets the next row's first line join its last line when it fits. Ported for the
 * help text to stay as users knew it, byte for byte (fixtures/cli-argv/truth.json).
 */

export interface Col { text: string; width?: number; padding?: [number, number, number, number]; align?: 'right' }
interface Row { cols: Col[]; span: boolean }
interface Line { text: string; span: boolean; hidden?: boolean }

const width = (s: string) => [...s].length;

/** wrap-ansi's exec with { hard: true } for text without escapes. */
function wrapLine(line: string, columns: number): string {
  if (line.trim() === '') return '';
  const words = line.split(' ');
  const rows = [''];
  for (const [index, word] of words.entries()) {
    rows[rows.length - 1] = rows.at(-1)!.trimStart();
    let rowLength = width(rows.at(-1)!);
    if (index !== 0 && rowLength > 0) {
      rows[rows.length - 1] += ' ';
      rowLength++;
    }
    const len = width(word);
    if (len > columns) {
      const remaining = columns - rowLength;
      const breaksThisLine = 1 + Math.floor((len - remaining - 1) / columns);
      const breaksNextLine = Math.floor((len - 1) / columns);
      if (breaksNextLine < breaksThisLine) rows.push('');
      breakWord(rows, word, columns);
      continue;
    }
    if (rowLength + len > columns && rowLength > 0 && len > 0) rows.push('');
    rows[rows.length - 1] += word;
  }
  return rows.map(trimSpacesRight).join('\n');
}

function breakWord(rows: string[], word: string, columns: number): void {
  const chars = [...word];
  let visible = width(rows.at(-1)!);
  for (const [i, ch] of chars.entries()) {
    if (visible + 1 <= columns) rows[rows.length - 1] += ch;
    else {
      rows.push(ch);
      visible = 0;
    }
    visible++;
    if (visible === columns && i < chars.length - 1) {
      rows.push('');
      visible = 0;
    }
  }
  if (!visible && rows.at(-1)!.length > 0 && rows.length > 1) rows[rows.length - 2] += rows.pop();
}

function trimSpacesRight(s: string): string {
  const words = s.split(' ');
  let last = words.length;
  while (last > 0 && width(words[last - 1]!) === 0) last--;
  return last === words.length ? s : words.slice(0, last).join(' ') + words.slice(last).join('');
}

const wrap = (text: string, columns: number) => text.split('\n').map((l) => wrapLine(l, columns)).join('\n');

export class Layout {
  private readonly rows: Row[] = [];
  constructor(private readonly width: number) {}

  /** a row; a plain string is one column padded by its own surrounding spaces */
  div(...cols: (Col | string)[]): void {
    this.rows.push({ cols: (cols.length ? cols : ['']).map((c) => (typeof c === 'string' ? { text: c, padding: [0, 0, 0, 0] } : c)), span: false });
  }

  /** a row whose last line the next row's first line may join */
  span(...cols: (Col | string)[]): void {
    this.div(...cols);
    this.rows.at(-1)!.span = true;
  }

  toString(): string {
    const lines: Line[] = [];
    for (const row of this.rows) this.render(row, lines);
    return lines.filter((l) => !l.hidden).map((l) => l.text).join('\n');
  }

  private widths(cols: Col[]): number[] {
    let unset = cols.length;
    let remaining = this.width;
    for (const c of cols) {
      if (c.width) {
        unset--;
        remaining -= c.width;
      }
    }
    const each = unset ? Math.floor(remaining / unset) : 0;
    return cols.map((c) => c.width || Math.max(each, 1 + (c.padding?.[3] ?? 0) + (c.padding?.[1] ?? 0)));
  }

  private render(row: Row, lines: Line[]): void {
    const widths = this.widths(row.cols);
    const inner = (c: Col, w: number) => w - (c.padding?.[3] ?? 0) - (c.padding?.[1] ?? 0);
    const raster: string[][] = [];
    row.cols.forEach((c, ci) => {
      const wrapped = [...new Array<string>(c.padding?.[0] ?? 0).fill(''), ...wrap(c.text, inner(c, widths[ci]!)).split('\n')];
      wrapped.forEach((s, r) => {
        raster[r] ??= [];
        while (raster[r]!.length < ci) raster[r]!.push('');
        raster[r]!.push(s);
      });
    });
    raster.forEach((rr, r) => {
      let str = '';
      rr.forEach((text, ci) => {
        const c = row.cols[ci]!;
        const w = inner(c, widths[ci]!);
        let ts = text;
        if (w > width(ts)) ts += ' '.repeat(w - width(ts));
        if (c.align === 'right') {
          const t = ts.trim();
          ts = width(t) < w ? ' '.repeat(w - width(t)) + t : t;
        }
        str += ' '.repeat(c.padding?.[3] ?? 0) + ts + ' '.repeat(c.padding?.[1] ?? 0);
        if (r === 0 && lines.length > 0) str = joinSpan(str, lines.at(-1)!);
      });
      lines.push({ text: str.replace(/ +$/, ''), span: row.span });
    });
  }
}

/** cliui's renderInline: a row after a span joins the span's last line when its text starts past it. */
function joinSpan(source: string, previous: Line): string {
  if (!previous.span) return source;
  const lead = /^ */.exec(source)![0].length;
  const target = previous.text.trimEnd();
  if (lead < width(target)) return source;
  previous.hidden = true;
  return target + ' '.repeat(lead - width(target)) + source.trimStart();
}
