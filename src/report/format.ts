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
  return s.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const n = c.charCodeAt(0);
    return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u${n.toString(16).padStart(4, '0')}`;
  });
}
