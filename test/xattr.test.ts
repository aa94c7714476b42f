import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { DirStore } from '../src/store/dir.js';
import { overlayOpaqueDirs } from '../src/store/xattr.js';
import { walkLayerDir } from '../src/layer/dir-walk.js';

/**
 * Opaque directories of an overlay upper directory copied as a directory: the
 * xattrs are set here by python3's os.setxattr (trusted.* needs root), and
 * read back by layerdig through getfattr or python3 — Node has no xattr API.
 */
const tmp = mkdtempSync(join(tmpdir(), 'layerdig-xattr-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const setxattr = (path: string, name: string) =>
  spawnSync('python3', ['-c', 'import os,sys; os.setxattr(sys.argv[1], sys.argv[2], b"y", follow_symlinks=False)', path, name]).status === 0;

function upper(): string {
  const d = join(tmp, `upper-${Math.random().toString(36).slice(2)}`);
  mkdirSync(join(d, 'srv/data'), { recursive: true });
  mkdirSync(join(d, 'etc/ünï code'), { recursive: true });
  mkdirSync(join(d, 'plain'), { recursive: true });
  writeFileSync(join(d, 'srv/data/c'), 'c');
  return d;
}

const canSet = process.getuid?.() === 0 && setxattr(tmp, 'trusted.overlay.test');
describe.skipIf(!canSet)('overlay opaque directories in a directory input (root: trusted.* xattrs)', () => {
  const has = (bin: string) => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;
  for (const tool of ['getfattr', 'python3'] as const) {
    it.skipIf(!has(tool))(`${tool}: finds the trusted.* and user.* opaque markers, relative to the layer directory, names with any bytes`, () => {
      const d = upper();
      expect(setxattr(join(d, 'srv/data'), 'trusted.overlay.opaque')).toBe(true);
      expect(setxattr(join(d, 'etc/ünï code'), 'user.overlay.opaque')).toBe(true);
      expect(setxattr(join(d, 'plain'), 'user.other')).toBe(true);
      expect([...overlayOpaqueDirs(d, [tool])!].sort()).toEqual(['etc/ünï code', 'srv/data']);
    });
  }

  it('walkLayerDir writes a .wh..wh..opq entry into an opaque directory, so the overlay hides the lower entries', async () => {
    const d = upper();
    setxattr(join(d, 'srv/data'), 'trusted.overlay.opaque');
    const chunks: Buffer[] = [];
    for await (const c of walkLayerDir(new DirStore(tmp), d.slice(tmp.length + 1), 'overlay')) chunks.push(c);
    const tar = join(tmp, 'walk.tar');
    writeFileSync(tar, Buffer.concat([...chunks, Buffer.alloc(1024)]));
    // GNU tar reads what was written
    const names = spawnSync('tar', ['-tf', tar], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
    expect(names).toContain('srv/data/.wh..wh..opq');
    expect(names.filter((n) => n.endsWith('.wh..wh..opq'))).toEqual(['srv/data/.wh..wh..opq']);
  });
});
