import type { Package } from './model.js';

/**
 * apk's database `lib/apk/db/installed` (apk-tools doc/apk-package(5),
 * "installed database"): one `K:value` line per field, a blank line between
 * packages. P name, V version, A arch, o origin; F a directory and the R
 * lines after it the files in it.
 */
export function parseApk(text: string): Package[] {
  const out: Package[] = [];
  let cur: Package | null = null;
  let dir = '';
  const flush = () => {
    if (cur) {
      if (!cur.name) throw new Error('a package entry without a P: (name) line');
      out.push(cur);
    }
    cur = null;
    dir = '';
  };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line === '') {
      flush();
      continue;
    }
    if (line[1] !== ':') throw new Error(`not a "K:value" line: ${JSON.stringify(line.slice(0, 80))}`);
    cur ??= { ecosystem: 'apk', name: '', version: '', arch: '', source: null, files: [] };
    const v = line.slice(2);
    switch (line[0]) {
      case 'P': cur.name = v; break;
      case 'V': cur.version = v; break;
      case 'A': cur.arch = v; break;
      case 'o': cur.source = v; break;
      case 'F': dir = v.replace(/^\/+|\/+$/g, ''); if (dir) cur.files.push(dir); break;
      case 'R': cur.files.push(dir ? `${dir}/${v}` : v); break;
      default: break;
    }
  }
  flush();
  return out;
}
