import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * PAX extended headers carry xattr values as raw bytes
 * (`SCHILY.xattr.security.capability=<20 binary bytes>`). tar-stream decodes
 * every PAX value as UTF-8, which turns any byte ≥ 0x80 that is not valid
 * UTF-8 into U+FFFD: a capability set holding cap_setuid (bit 7 → byte 0x80)
 * would be lost. This replaces tar-stream's PAX decoder with one that is
 * identical except that xattr values stay byte-exact, as a "binary" string
 * (one char per byte, U+0000–U+00FF), so `Buffer.from(v, 'latin1')` gives the
 * bytes back. tar-stream's extractor calls `headers.decodePax` through the
 * module object at parse time, so replacing the export is enough.
 */

const XATTR_KEY = /^SCHILY\.xattr\./;

export function decodePaxRecords(buf: Uint8Array): Record<string, string> {
  const result: Record<string, string> = {};
  let b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  while (b.length) {
    let i = 0;
    while (i < b.length && b[i] !== 32) i++;
    const len = parseInt(b.subarray(0, i).toString('utf8'), 10);
    if (!len) return result;
    const rec = b.subarray(i + 1, len - 1);
    const eq = rec.indexOf(0x3d); // '='
    if (eq === -1) return result;
    const key = rec.subarray(0, eq).toString('utf8');
    const raw = rec.subarray(eq + 1);
    result[key] = XATTR_KEY.test(key) ? raw.toString('latin1') : raw.toString('utf8');
    b = b.subarray(len);
  }
  return result;
}

let installed = false;

export function installPaxDecoder(): void {
  if (installed) return;
  installed = true;
  const require = createRequire(import.meta.url);
  const headers = require(join(dirname(require.resolve('tar-stream')), 'headers.js')) as { decodePax?: unknown };
  if (typeof headers.decodePax === 'function') headers.decodePax = decodePaxRecords;
}
