import { afterEach, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES } from './helpers/cli.js';
import { setTableLayout, table } from '../src/report/table.js';
import { displayWidth } from '../src/report/width.js';

/**
 * layerdig's own table layout against cli-table3 0.6.5, the renderer it replaced (issue 13):
 * fixtures/table-layout/truth.json holds what cli-table3 printed for 68 tables (CJK, fullwidth,
 * emoji sequences, combining marks, escaped controls, empty and missing cells, fitted or not).
 */
interface Case { head: string[]; rows: (string | number)[][]; layout?: { width?: number; cwd?: string }; text: string; twoWide?: string }
const TRUTH = JSON.parse(readFileSync(join(FIXTURES, 'table-layout', 'truth.json'), 'utf8')) as Case[];

afterEach(() => setTableLayout({ width: null, cwd: null }));

/**
 * One deliberate difference: a ZWJ sequence newer than cli-table3's emoji list (🧑‍💻,
 * Unicode 12.1) was counted as its parts (5 columns); it is 2, as terminals draw it.
 */
const NEWER = '\u{1F9D1}\u200d\u{1F4BB}';
const newer = (c: Case) => JSON.stringify([c.head, c.rows]).includes(NEWER);

describe('tables print as cli-table3 printed them', () => {
  it.each(TRUTH.map((c, i) => [i, c] as const).filter(([, c]) => !newer(c)))('table %i', (_i, c) => {
    setTableLayout({ width: null, cwd: null, ...c.layout });
    expect(table(c.head, c.rows)).toBe(c.text);
  });

  it.each(TRUTH.map((c, i) => [i, c] as const).filter(([, c]) => newer(c)))('table %i, 🧑‍💻 two columns wide', (_i, c) => {
    setTableLayout({ width: null, cwd: null, ...c.layout });
    // cli-table3's output for the same table with a 2-column placeholder in its place
    expect(table(c.head, c.rows)).toBe(c.twoWide!.split('\u9f98\u0301\u0301').join(NEWER));
  });
});

describe('rows with fewer cells than the head', () => {
  it('print the cells they have, no blank line (cli-table3 drew blank lines for them; no renderer makes such rows)', () => {
    expect(table(['A', 'B', 'C'], [['a'], ['b', 'c'], ['d', 'e', 'f']])).toBe('A   B   C\na\nb   c\nd   e   f');
  });
});

describe('display width', () => {
  it('counts terminal columns: wide and fullwidth 2, emoji 2, combining marks and controls 0', () => {
    expect(displayWidth('abc')).toBe(3);
    expect(displayWidth('日本')).toBe(4);
    expect(displayWidth('ｆ')).toBe(2);
    expect(displayWidth('cafe\u0301')).toBe(4);
    expect(displayWidth('👨\u200d👩\u200d👧')).toBe(2);
    expect(displayWidth('🇩🇪')).toBe(2);
    expect(displayWidth('a\tb')).toBe(2);
    // where string-width 4 (cli-table3's) counted otherwise, as terminals draw them:
    // newer than its emoji list (Unicode 14, 12.1, 13.1), and an emoji drawn as emoji followed by VS16 (it said 3)
    expect(displayWidth('\u{1FAE0}')).toBe(2);
    expect(displayWidth('\u{1F9D1}\u200d\u{1F4BB}')).toBe(2);
    expect(displayWidth('\u2764\ufe0f\u200d\u{1F525}')).toBe(2);
    expect(displayWidth('\u2615\ufe0f')).toBe(2);
    // a keycap, a skin tone, a tag sequence (Scotland): one emoji each
    expect(displayWidth('1\ufe0f\u20e3')).toBe(2);
    expect(displayWidth('\u{1F44D}\u{1F3FD}')).toBe(2);
    expect(displayWidth('\u{1F3F4}\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}')).toBe(2);
    // a pictograph drawn as text by default is one column, two with VS16
    expect(displayWidth('\u00a9')).toBe(1);
    expect(displayWidth('\u00a9\ufe0f')).toBe(2);
  });
});
