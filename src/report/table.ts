import Table from 'cli-table3';
import { printable } from './format.js';

/**
 * Plain, borderless tables like `docker images`. cli-table3 writes colour
 * codes into pipes unless its style is emptied, so it always is here.
 */
export function table(head: string[], rows: (string | number)[][]): string {
  const t = new Table({
    head,
    chars: {
      top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '',
      'bottom-right': '', left: '', 'left-mid': '', mid: '', 'mid-mid': '', right: '', 'right-mid': '', middle: '   ',
    },
    style: { head: [], border: [], 'padding-left': 0, 'padding-right': 0 },
  });
  for (const r of rows) t.push(r.map((c) => printable(String(c))));
  return t.toString().split('\n').map((l) => l.trimEnd()).join('\n');
}
