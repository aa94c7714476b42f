import type { Package } from './model.js';

/**
 * dpkg's database: `var/lib/dpkg/status` (deb822 stanzas, one per package)
 * and the distroless variant `var/lib/dpkg/status.d/<name>` (one stanza per
 * file); owned paths from `var/lib/dpkg/info/<name>[:<arch>].list`.
 */

export type Stanza = Map<string, string>;

/** deb822 paragraphs: `Field: value`, continuation lines start with a space or tab, blank lines separate. */
export function parseStanzas(text: string): Stanza[] {
  const out: Stanza[] = [];
  let cur: Stanza | null = null;
  let last: string | null = null;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') {
      if (cur && cur.size) out.push(cur);
      cur = null;
      last = null;
      continue;
    }
    if ((line[0] === ' ' || line[0] === '\t') && cur && last) {
      cur.set(last, `${cur.get(last)}\n${line.slice(1)}`);
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) throw new Error(`not a "Field: value" line: ${JSON.stringify(line.slice(0, 80))}`);
    cur ??= new Map();
    last = line.slice(0, colon).trim().toLowerCase();
    cur.set(last, line.slice(colon + 1).trim());
  }
  if (cur && cur.size) out.push(cur);
  return out;
}

/** The third word of `Status:` (want flag status) is what is on disk; only `installed` is installed. */
export function isInstalled(s: Stanza): boolean {
  const status = s.get('status');
  if (status === undefined) return true; // distroless status.d stanzas may omit it: present means installed
  return status.split(/\s+/)[2] === 'installed';
}

/** Installed packages of one or more status texts; `lists` maps `name` and `name:arch` to the .list text. */
export function parseDpkg(texts: string[], lists: ReadonlyMap<string, string>): Package[] {
  const out: Package[] = [];
  for (const text of texts) {
    for (const s of parseStanzas(text)) {
      const name = s.get('package');
      if (!name || !isInstalled(s)) continue;
      const arch = s.get('architecture') ?? '';
      const src = s.get('source');
      const list = lists.get(`${name}:${arch}`) ?? lists.get(name);
      out.push({
        ecosystem: 'deb', name, version: s.get('version') ?? '', arch,
        // dpkg-query's ${source:Package}: the Source name without its version, else the package itself
        source: src ? src.split(/\s+/)[0]! : name,
        files: list ? list.split('\n').map((l) => l.trim().replace(/^\/+/, '')).filter((l) => l !== '' && l !== '.') : [],
      });
    }
  }
  return out;
}
