// `file --db` over a big synthetic catalog: one archive of `listings` one-layer images,
// `entries` files each; libssl.so.3 only in the first. Write time per listing, file size,
// and the wall time of `layerdig file PATTERN --db` (listings read back and run through
// the same analysis as a direct scan; images without a matching path skipped first).
// Usage: node bench/catalog-files.mjs [listings=40] [entries=60000]   (after npm run build)
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { Catalog } from '../dist/catalog/catalog.js';

const [nl = 40, ne = 60000] = process.argv.slice(2).map(Number);
const dir = mkdtempSync(join(tmpdir(), 'layerdig-bench-'));
const db = join(dir, 'c.db');
const h = (s) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const dirs = ['usr/lib/x86_64-linux-gnu', 'usr/share/doc', 'usr/bin', 'etc', 'usr/share/locale/de/LC_MESSAGES', 'usr/include/linux', 'var/lib/dpkg/info'];
try {
  const cat = Catalog.open(db, { create: true });
  const diffIds = Array.from({ length: nl }, (_, i) => h(`layer ${i}`));
  // one archive of one-layer images
  const arch = join(dir, 'archive.tar');
  writeFileSync(arch, 'x');
  const fp = { kind: 'file', size: 1, mtimeMs: Math.floor(statSync(arch).mtimeMs), entries: 1 };
  cat.putArchive({ path: arch, fingerprint: fp, format: 'bench', notes: [], files: true, indexedAt: '' }, diffIds.map((d, i) => ({
    archive: arch, format: 'bench', id: h(`img ${i}`), manifestDigest: null, repoTags: [`bench:${i}`], refName: null, platform: 'linux/amd64',
    mediaFamily: null, created: null, labels: {}, annotations: {}, history: [],
    layers: [{ diffId: d, chainId: d, digest: d, compressedSize: 0, member: `${i}/layer.tar` }],
  })));
  let w = 0;
  for (const [i, d] of diffIds.entries()) {
    const entries = [];
    for (let k = 0; k < ne; k++) entries.push({ path: `${dirs[k % dirs.length]}/pkg${i}-${Math.floor(k / 7)}/file-${k}.so`, type: 'file', size: k, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: null });
    if (i === 0) entries.push({ path: 'usr/lib/x86_64-linux-gnu/libssl.so.3', type: 'file', size: 1, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: null });
    const t = performance.now();
    cat.putLayerFiles(d, entries);
    w += performance.now() - t;
  }
  cat.close();
  const q = (p) => {
    const t = performance.now();
    const out = execFileSync(process.execPath, ['bin/layerdig.js', 'file', p, '--db', db, '--json'], { maxBuffer: 1 << 30 });
    return `${((performance.now() - t) / 1000).toFixed(2)} s (${JSON.parse(out).length} hits)`;
  };
  console.log(`${nl} listings × ${ne} entries: write ${(w / nl).toFixed(0)} ms per listing, file ${(statSync(db).size / 1e6).toFixed(0)} MB`);
  console.log(`file --db exact 'usr/lib/x86_64-linux-gnu/libssl.so.3': ${q('usr/lib/x86_64-linux-gnu/libssl.so.3')}`);
  console.log(`file --db base-name glob 'libssl*': ${q('libssl*')}`);
  console.log(`file --db path glob 'usr/lib/*/libssl*': ${q('usr/lib/*/libssl*')}`);
  console.log(`file --db in every image 'usr/bin/pkg*-0/file-2.so': ${q('usr/bin/pkg*-0/file-2.so')}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
