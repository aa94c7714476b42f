// The catalog's own schema under file listings: write time per 60k-entry listing,
// file size, and findFiles() by exact path, base-name glob and path glob.
// Usage: node bench/catalog-files.mjs [listings=40] [entries=60000]   (after npm run build)
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Catalog } from '../dist/catalog/catalog.js';
import { findFiles } from '../dist/catalog/files.js';

const [nl = 40, ne = 60000] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'layerdig-bench-'));
const db = join(dir, 'c.db');
const h = (s) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const dirs = ['usr/lib/x86_64-linux-gnu', 'usr/share/doc', 'usr/bin', 'etc', 'usr/share/locale/de/LC_MESSAGES', 'usr/include/linux', 'var/lib/dpkg/info'];
try {
  const cat = Catalog.open(db, { create: true });
  const diffIds = Array.from({ length: nl }, (_, i) => h(`layer ${i}`));
  // one archive whose single image has all the layers, so every listing is in scope
  const arch = join(dir, 'archive.tar');
  writeFileSync(arch, 'x');
  const fp = { kind: 'file', size: 1, mtimeMs: Math.floor(statSync(arch).mtimeMs), entries: 1 };
  cat.putArchive({ path: arch, fingerprint: fp, format: 'bench', notes: [], files: true, indexedAt: '' }, [{
    archive: arch, format: 'bench', id: h('img'), manifestDigest: null, repoTags: ['bench:1'], refName: null, platform: 'linux/amd64',
    mediaFamily: null, created: null, labels: {}, annotations: {}, history: [],
    layers: diffIds.map((d) => ({ diffId: d, chainId: d, digest: d, compressedSize: 0 })),
  }]);
  let w = 0;
  for (const [i, d] of diffIds.entries()) {
    const entries = [];
    for (let k = 0; k < ne; k++) entries.push({ path: `${dirs[k % dirs.length]}/pkg${i}-${Math.floor(k / 7)}/file-${k}.so`, type: 'file', size: k, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: null });
    entries.push({ path: 'usr/lib/x86_64-linux-gnu/libssl.so.3', type: 'file', size: 1, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: null });
    const t = performance.now();
    cat.putLayerFiles(d, entries);
    w += performance.now() - t;
  }
  cat.close();
  const q = (p) => {
    const t = performance.now();
    const c = Catalog.open(db, { create: false });
    const r = findFiles(c, p, { roots: null });
    c.close();
    return `${(performance.now() - t).toFixed(0)} ms (${r.hits.length} hits${r.stale.length ? ', STALE' : ''})`;
  };
  console.log(`${nl} listings × ${ne} entries: write ${(w / nl).toFixed(0)} ms per listing, file ${(statSync(db).size / 1e6).toFixed(0)} MB`);
  console.log(`findFiles exact 'usr/lib/x86_64-linux-gnu/libssl.so.3': ${q('usr/lib/x86_64-linux-gnu/libssl.so.3')}`);
  console.log(`findFiles base-name glob 'libssl*': ${q('libssl*')}`);
  console.log(`findFiles base-name glob '*ssl*': ${q('*ssl*')}`);
  console.log(`findFiles path glob 'usr/lib/*/libssl*': ${q('usr/lib/*/libssl*')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
