/**
 * Version comparison as each package manager does it: dpkg (deb-version(7)),
 * rpm (rpmvercmp on epoch, version, release) and apk (apk-tools version.c,
 * Gentoo-style). Each returns -1, 0 or 1. Tested against `dpkg
 * --compare-versions`, rpm's own `rpm.vercmp` and apk-tools' test vectors.
 */
export type Ecosystem = 'deb' | 'rpm' | 'apk';

const sign = (n: number): -1 | 0 | 1 => (n < 0 ? -1 : n > 0 ? 1 : 0);
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9';
const isAlpha = (c: string | undefined) => c !== undefined && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));

/** Compare two digit runs as unbounded integers (no Number overflow on 20-digit dates). */
function cmpDigits(a: string, b: string): number {
  const x = a.replace(/^0+/, '');
  const y = b.replace(/^0+/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

// ---- dpkg ---------------------------------------------------------------------

/** dpkg's character order in non-digit parts: `~` before the end, letters before everything else. */
function dpkgOrder(c: string | undefined): number {
  if (c === undefined) return 0;
  if (c === '~') return -1;
  if (isDigit(c)) return 0;
  if (isAlpha(c)) return c.charCodeAt(0);
  return c.charCodeAt(0) + 256;
}

function verrevcmp(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    let firstDiff = 0;
    while ((i < a.length && !isDigit(a[i])) || (j < b.length && !isDigit(b[j]))) {
      const ac = dpkgOrder(a[i]);
      const bc = dpkgOrder(b[j]);
      if (ac !== bc) return ac - bc;
      i++;
      j++;
    }
    const si = i;
    const sj = j;
    while (isDigit(a[i])) i++;
    while (isDigit(b[j])) j++;
    firstDiff = cmpDigits(a.slice(si, i) || '0', b.slice(sj, j) || '0');
    if (firstDiff) return firstDiff;
  }
  return 0;
}

interface Evr { epoch: string; version: string; release: string | null }

/** `[epoch:]upstream[-revision]`: the revision follows the last hyphen. */
function splitDeb(v: string): Evr {
  const colon = v.indexOf(':');
  const epoch = colon >= 0 ? v.slice(0, colon) : '0';
  const rest = colon >= 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) } : { epoch, version: rest, release: null };
}

export function compareDeb(a: string, b: string): -1 | 0 | 1 {
  const x = splitDeb(a.trim());
  const y = splitDeb(b.trim());
  const e = cmpDigits(x.epoch || '0', y.epoch || '0');
  if (e) return sign(e);
  const v = verrevcmp(x.version, y.version);
  if (v) return sign(v);
  return sign(verrevcmp(x.release ?? '', y.release ?? ''));
}

// ---- rpm ----------------------------------------------------------------------

const isAlnum = (c: string | undefined) => isDigit(c) || isAlpha(c);

/** rpmvercmp: alternating digit and letter segments; `~` sorts before anything, `^` after the end. */
export function rpmvercmp(a: string, b: string): -1 | 0 | 1 {
  if (a === b) return 0;
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    while (i < a.length && !isAlnum(a[i]) && a[i] !== '~' && a[i] !== '^') i++;
    while (j < b.length && !isAlnum(b[j]) && b[j] !== '~' && b[j] !== '^') j++;
    if (a[i] === '~' || b[j] === '~') {
      if (a[i] !== '~') return 1;
      if (b[j] !== '~') return -1;
      i++; j++;
      continue;
    }
    if (a[i] === '^' || b[j] === '^') {
      if (i >= a.length) return -1;
      if (j >= b.length) return 1;
      if (a[i] !== '^') return 1;
      if (b[j] !== '^') return -1;
      i++; j++;
      continue;
    }
    if (!(i < a.length && j < b.length)) break;
    const num = isDigit(a[i]);
    const same = num ? isDigit : isAlpha;
    const si = i;
    const sj = j;
    while (i < a.length && same(a[i])) i++;
    while (j < b.length && same(b[j])) j++;
    const sa = a.slice(si, i);
    const sb = b.slice(sj, j);
    // segments of different kinds: the numeric one is newer
    if (sb === '') return num ? 1 : -1;
    const rc = num ? cmpDigits(sa, sb) : sa < sb ? -1 : sa > sb ? 1 : 0;
    if (rc) return sign(rc);
  }
  if (i >= a.length && j >= b.length) return 0;
  return i < a.length ? 1 : -1;
}

/** `[epoch:]version[-release]`: the release follows the last hyphen. */
function splitRpm(v: string): Evr {
  const colon = v.indexOf(':');
  const epoch = colon >= 0 ? v.slice(0, colon) : '';
  const rest = colon >= 0 ? v.slice(colon + 1) : v;
  const dash = rest.lastIndexOf('-');
  return dash >= 0 ? { epoch, version: rest.slice(0, dash), release: rest.slice(dash + 1) } : { epoch, version: rest, release: null };
}

/** As rpm compares EVRs: a missing epoch is 0; a missing release sorts before a present one. */
export function compareRpm(a: string, b: string): -1 | 0 | 1 {
  const x = splitRpm(a.trim());
  const y = splitRpm(b.trim());
  const e = rpmvercmp(x.epoch || '0', y.epoch || '0');
  if (e) return e;
  const v = rpmvercmp(x.version, y.version);
  if (v) return v;
  if (x.release === null && y.release === null) return 0;
  if (x.release === null) return -1;
  if (y.release === null) return 1;
  return rpmvercmp(x.release, y.release);
}

// ---- apk ----------------------------------------------------------------------

/** Token kinds in apk-tools' order: a later kind where an earlier is expected ends the comparison. */
const enum T { Invalid = -1, DigitOrZero = 0, Digit = 1, Letter = 2, Suffix = 3, SuffixNo = 4, RevisionNo = 5, End = 6 }
const PRE = ['alpha', 'beta', 'pre', 'rc'];
const POST = ['cvs', 'svn', 'git', 'hg', 'p'];
const isLower = (c: string | undefined) => c !== undefined && c >= 'a' && c <= 'z';

interface Cursor { s: string; p: number; t: T }

function nextToken(c: Cursor): void {
  let n: T = T.Invalid;
  const ch = c.s[c.p];
  if (c.p >= c.s.length) n = T.End;
  else if ((c.t === T.Digit || c.t === T.DigitOrZero) && isLower(ch)) n = T.Letter;
  else if (c.t === T.Letter && isDigit(ch)) n = T.Digit;
  else if (c.t === T.Suffix && isDigit(ch)) n = T.SuffixNo;
  else {
    if (ch === '.') n = T.DigitOrZero;
    else if (ch === '_') n = T.Suffix;
    else if (ch === '-') {
      if (c.s[c.p + 1] === 'r') { n = T.RevisionNo; c.p++; }
    }
    c.p++;
  }
  if (n < c.t) {
    if (!((n === T.DigitOrZero && c.t === T.Digit) || (n === T.Suffix && c.t === T.SuffixNo) || (n === T.Digit && c.t === T.Letter))) n = T.Invalid;
  }
  c.t = n;
}

/** The value of the token at the cursor; advances to the next token kind. Digit values are strings compared as numbers. */
function getToken(c: Cursor): bigint {
  if (c.p >= c.s.length) { c.t = T.End; return 0n; }
  let v = 0n;
  let i = c.p;
  let nt: T = T.Invalid;
  let kind = c.t;
  if (kind === T.DigitOrZero && c.s[i] === '0') {
    // leading zeros: a fraction-like component, sorts below any number
    while (i < c.s.length && c.s[i] === '0') i++;
    nt = T.Digit;
    v = BigInt(-(i - c.p));
  } else {
    if (kind === T.DigitOrZero) kind = T.Digit;
    switch (kind) {
      case T.Digit: case T.SuffixNo: case T.RevisionNo: {
        const s = i;
        while (i < c.s.length && isDigit(c.s[i])) i++;
        v = i > s ? BigInt(c.s.slice(s, i)) : 0n;
        break;
      }
      case T.Letter:
        v = BigInt(c.s.charCodeAt(i++));
        break;
      case T.Suffix: {
        const rest = c.s.slice(i);
        const pre = PRE.findIndex((p) => rest.startsWith(p));
        if (pre >= 0) { v = BigInt(pre - PRE.length); i += PRE[pre]!.length; break; }
        const post = POST.findIndex((p) => rest.startsWith(p));
        if (post >= 0) { v = BigInt(post); i += POST[post]!.length; break; }
        c.t = T.Invalid;
        return -1n;
      }
      default:
        c.t = T.Invalid;
        return -1n;
    }
  }
  c.p = i;
  if (c.p >= c.s.length) c.t = T.End;
  else if (nt !== T.Invalid) c.t = nt;
  else nextToken(c);
  return v;
}

export function compareApk(a: string, b: string): -1 | 0 | 1 {
  const x: Cursor = { s: a, p: 0, t: T.Digit };
  const y: Cursor = { s: b, p: 0, t: T.Digit };
  let av = 0n;
  let bv = 0n;
  while (x.t === y.t && x.t !== T.End && x.t !== T.Invalid && av === bv) {
    av = getToken(x);
    bv = getToken(y);
  }
  if (av < bv) return -1;
  if (av > bv) return 1;
  if (x.t === y.t) return 0;
  // equal so far: the longer one is newer unless what follows is a pre-release suffix
  if (x.t === T.Suffix && getToken({ ...x }) < 0n) return -1;
  if (y.t === T.Suffix && getToken({ ...y }) < 0n) return 1;
  if (x.t > y.t) return -1;
  if (y.t > x.t) return 1;
  return 0;
}

export function compareVersions(eco: Ecosystem, a: string, b: string): -1 | 0 | 1 {
  return eco === 'deb' ? compareDeb(a, b) : eco === 'rpm' ? compareRpm(a, b) : compareApk(a, b);
}
