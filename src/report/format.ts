import { shortId, type Digest } from '../digest.js';

/** Docker's units.HumanSize: SI (1000-based), 4 significant digits. */
export function humanSize(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-';
  const units = ['B', 'kB', 'MB', 'GB', 'TB', 'PB'];
  let v = bytes;
  let i = 0;
  while (v >= 1000 && i < units.length - 1) {
    v /= 1000;
    i++;
  }
  return `${Number(v.toPrecision(4))}${units[i]}`;
}

export function id(d: Digest | null | undefined, full: boolean): string {
  if (!d) return '-';
  return full ? d : shortId(d);
}

export function created(s: string | null | undefined): string {
  if (!s) return '-';
  return s.replace(/\.\d+(?=Z|[+-]\d\d:?\d\d$)/, '');
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
  return text.split('\n').map(printable).join('\n');
}

/**
 * JSON for the terminal: JSON.stringify escapes C0 controls but leaves C1
 * controls and bidi overrides raw; they are written as \\uXXXX (the same value).
 */
export function printableJson(value: unknown): string {
  // C0 controls in strings are escaped by JSON.stringify already; its own newlines stay
  return JSON.stringify(value, null, 2).replace(/[\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
