import { describe, expect, it } from 'vitest';
import { fateOf, mergedEntries, overlay } from '../src/analysis/filetree.js';
import { classifyWhiteout, type LayerEntry } from '../src/layer/entry.js';

const f = (path: string, size = 1, extra: Partial<LayerEntry> = {}): LayerEntry =>
  classifyWhiteout({ path, type: 'file', size, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: null, ...extra });
const d = (path: string, extra: Partial<LayerEntry> = {}): LayerEntry =>
  classifyWhiteout({ path, type: 'dir', size: 0, mode: 0o755, uid: 0, gid: 0, mtime: 0, linkTarget: null, ...extra });
const paths = (o: ReturnType<typeof overlay>) => mergedEntries(o).map((e) => e.path);
const changes = (o: ReturnType<typeof overlay>, k: number) => o.changes[k]!.map((c) => `${c.change[0]!.toUpperCase()} ${c.path}`);

describe('overlay (OCI whiteout rules)', () => {
  it('.wh.x deletes x and its subtree from lower layers', () => {
    const o = overlay([[d('a'), f('a/x'), d('a/sub'), f('a/sub/y'), f('a/keep')], [f('a/.wh.sub'), f('a/.wh.x')]]);
    expect(paths(o)).toEqual(['a', 'a/keep']);
    expect(changes(o, 1)).toEqual(['D a/sub', 'D a/sub/y', 'D a/x']);
    expect(o.changes[1]![0]!.cause).toBe('whiteout');
  });

  it('a whiteout never hides an entry of its own layer', () => {
    const o = overlay([[f('x')], [f('.wh.x'), f('x', 7)]]);
    expect(paths(o)).toEqual(['x']);
    expect(o.final.get('x')!.entry.size).toBe(7);
    expect(changes(o, 1)).toEqual(['D x', 'A x']);
  });

  it('an opaque marker hides lower children before the layer adds its own', () => {
    const o = overlay([[d('srv'), d('srv/data'), f('srv/data/old'), f('srv/data/both')], [d('srv/data'), f('srv/data/.wh..wh..opq'), f('srv/data/new'), f('srv/data/both', 9)]]);
    expect(paths(o)).toEqual(['srv', 'srv/data', 'srv/data/both', 'srv/data/new']);
    expect(o.final.get('srv/data/both')!.layerIndex).toBe(1);
    expect(changes(o, 1)).toEqual(['D srv/data/both', 'D srv/data/old', 'A srv/data/new', 'A srv/data/both']);
  });

  it('a file replaced by a directory (and back) replaces the subtree', () => {
    const o = overlay([[d('p'), f('p/child')], [f('p')], [d('p'), f('p/again')]]);
    expect(paths(o)).toEqual(['p', 'p/again']);
    expect(changes(o, 1)).toEqual(['D p/child', 'M p']);
    expect(changes(o, 2)).toEqual(['M p', 'A p/again']);
  });

  it('modified: content rewritten, or mode/owner/link target changed; a restated identical directory is not a change', () => {
    const o = overlay([[d('etc'), f('etc/conf', 3), { ...f('l'), type: 'symlink', size: 0, linkTarget: 'a' }], [d('etc'), f('etc/conf', 3, { mode: 0o600 }), { ...f('l'), type: 'symlink', size: 0, linkTarget: 'b' }]]);
    expect(changes(o, 1)).toEqual(['M etc/conf', 'M l']);
  });

  it('missing parents are created; a hard link keeps referring to its target', () => {
    const o = overlay([[f('deep/er/file', 5), { ...f('deep/link', 0), type: 'hardlink', linkTarget: 'deep/er/file' }]]);
    expect(paths(o)).toEqual(['deep', 'deep/er', 'deep/er/file', 'deep/link']);
    expect(o.final.get('deep/link')!.entry.linkTarget).toBe('deep/er/file');
  });

  it('fate: where a path written in layer k ended', () => {
    const o = overlay([[f('a'), f('b'), f('c')], [f('.wh.a'), f('b', 2)], []]);
    expect(fateOf(o, 'a', 0)).toEqual({ state: 'deleted', layerIndex: 1 });
    expect(fateOf(o, 'b', 0)).toEqual({ state: 'replaced', layerIndex: 1 });
    expect(fateOf(o, 'c', 0)).toEqual({ state: 'final' });
    expect(fateOf(o, 'b', 1)).toEqual({ state: 'final' });
  });

  it('a path stated twice in one layer: the later wins, the earlier is shadowed', () => {
    const o = overlay([[f('x', 1), f('x', 2)]]);
    expect(o.final.get('x')!.entry.size).toBe(2);
    expect(o.shadowed).toEqual([{ layerIndex: 0, entry: f('x', 1) }]);
    expect(changes(o, 0)).toEqual(['A x']);
  });
});
