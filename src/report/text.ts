import { shortId, type Digest } from '../digest.js';

/**
 * Sizes as Docker prints them (`docker images`, `docker history`): go-units
 * HumanSizeWithPrecision(bytes, 3), i.e. 1000-based units and Go's `%.3g` —
 * 3 significant digits, trailing zeros dropped, ties to even, and Go's exponent
 * form where `%g` uses it (999999 bytes is `1e+03kB`, as Docker shows it).
 * Self-contained (no imports, no closures): the HTML report embeds its source.
 */
export function humanSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB', 'EB', 'ZB', 'YB'];
  let v = Math.abs(bytes);
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  const sign = bytes < 0 ? '-' : '';
  if (v === 0) return `${sign}0${units[i]}`;
  // the double's exact decimal expansion (toPrecision(100) is exact for these values),
  // rounded to 3 significant digits half-to-even as Go's strconv does
  const [m, e] = v.toPrecision(100).split('e') as [string, string | undefined];
  const [int, frac = ''] = m.split('.') as [string, string | undefined];
  let digits: string;
  let exp: number;
  if (e !== undefined) {
    digits = int + frac;
    exp = Number(e);
  } else if (int !== '0') {
    digits = int + frac;
    exp = int.length - 1;
  } else {
    const zeros = frac.search(/[1-9]/);
    digits = frac.slice(zeros);
    exp = -zeros - 1;
  }
  let head = Number(digits.slice(0, 3).padEnd(3, '0'));
  const rest = digits.slice(3).replace(/0+$/, '');
  if (rest > '5' || (rest === '5' && head % 2 === 1)) head++;
  if (head === 1000) {
    head = 100;
    exp++;
  }
  const sig = String(head).replace(/0+$/, '') || '0';
  let out: string;
  if (exp < -4 || exp >= 3) {
    // Go's %e: d[.ddd]e±XX, at least two exponent digits
    out = `${sig[0]}${sig.length > 1 ? `.${sig.slice(1)}` : ''}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  } else if (exp >= 0) {
    const int = sig.padEnd(exp + 1, '0');
    out = `${int.slice(0, exp + 1)}${sig.length > exp + 1 ? `.${sig.slice(exp + 1)}` : ''}`;
  } else {
    out = `0.${'0'.repeat(-exp - 1)}${sig}`;
  }
  return `${sign}${out}${units[i]}`;
}

export function id(d: Digest | null | undefined, full: boolean): string {
  if (!d) return '-';
  return full ? d : shortId(d);
}

/** A timestamp for a table: RFC 3339 in UTC, whole seconds (`+01:00` offsets are normalised, as docker -H=false prints). */
export function created(s: string | null | undefined): string {
  if (!s) return '-';
  const t = Date.parse(s);
  return Number.isNaN(t) ? s : new Date(t).toISOString().replace(/\.\d+Z$/, 'Z');
}

export function ellipsis(s: string, max: number, full: boolean): string {
  const one = s.replace(/\s+/g, ' ').trim();
  return full || one.length <= max ? one : `${one.slice(0, max - 1)}…`;
}

/**
 * Names from an archive are untrusted: escape control characters (newlines,
 * terminal escape sequences) and bidirectional overrides so that one message
 * stays one line and a table cannot be repainted.
 */
export function printable(s: string): string {
  return s.replace(UNPRINTABLE, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}

/** C0 and C1 controls, DEL, line/paragraph separators, bidi embeddings, overrides and isolates. */
// eslint-disable-next-line no-control-regex
const UNPRINTABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

/**
 * A whole rendering for the terminal: each line through printable(), so a
 * renderer that forgot to escape a name still cannot repaint the screen.
 * Idempotent: escaped text has no character left to escape.
 */
export function printableText(text: string): string {
  // newlines and tabs are the text's own layout (a --format template's \t, the HTML report's source)
  return text.split('\n').map((line) => line.split('\t').map(printable).join('\t')).join('\n');
}

/**
 * JSON for the terminal: JSON.stringify escapes C0 controls but leaves C1
 * controls and bidi overrides raw; they are written as \\uXXXX (the same value).
 */
export function printableJson(value: unknown): string {
  // C0 controls in strings are escaped by JSON.stringify already; its own newlines stay
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
