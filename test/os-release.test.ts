import { describe, expect, it } from 'vitest';
import { describeOs, parseOsRelease } from '../src/analysis/os-release.js';
import { layerView, lookupFinal, resolveLink } from '../src/layer/image-path.js';
import { classifyWhiteout, type LayerEntry } from '../src/layer/entry.js';

const DEBIAN = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
HOME_URL="https://www.debian.org/"
`;

describe('parseOsRelease', () => {
  it('reads quoted and bare values', () => {
    const os = parseOsRelease(DEBIAN);
    expect(os.id).toBe('debian');
    expect(os.versionId).toBe('12');
    expect(os.prettyName).toBe('Debian GNU/Linux 12 (bookworm)');
    expect(os.versionCodename).toBe('bookworm');
    expect(os.fields.HOME_URL).toBe('https://www.debian.org/');
    expect(describeOs(os)).toBe('debian 12 (Debian GNU/Linux 12 (bookworm))');
  });

  it('handles comments, blank lines, CRLF, single quotes, escapes and ID_LIKE lists', () => {
    const os = parseOsRelease("# a comment\r\n\r\nID='alpine'\r\nVERSION_ID=3.19.1\r\nNAME=\"say \\\"hi\\\" \\$x\"\r\nID_LIKE=\"rhel  fedora\"\r\nnot a line\r\n");
    expect(os.id).toBe('alpine');
    expect(os.versionId).toBe('3.19.1');
    expect(os.name).toBe('say "hi" $x');
    expect(os.idLike).toEqual(['rhel', 'fedora']);
    expect(os.prettyName).toBeNull();
    expect(describeOs(os)).toBe('alpine 3.19.1');
  });

  it('an empty file says nothing', () => {
    const os = parseOsRelease('');
    expect(os.id).toBeNull();
    expect(describeOs(os)).toBe('unknown');
  });
});

const file = (path: string): LayerEntry => ({ path, type: 'file', size: 1, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: null });
const dir = (path: string): LayerEntry => ({ ...file(path), type: 'dir', size: 0 });
const link = (path: string, target: string): LayerEntry => ({ ...file(path), type: 'symlink', size: 0, linkTarget: target });
const wh = (path: string): LayerEntry => classifyWhiteout(file(path));

/** layers bottom (0) first, as an image lists them; lookupFinal wants them top first */
const views = (...layers: LayerEntry[][]) => layers.map((e, i) => layerView(i, e)).reverse();

describe('lookupFinal: a path in the merged filesystem', () => {
  it('finds the file in the topmost layer that has it', () => {
    const r = lookupFinal(views([dir('etc'), file('etc/os-release')], [file('etc/passwd')], [file('etc/os-release')]), 'etc/os-release', true);
    expect(r).toMatchObject({ status: 'found', layerIndex: 2, path: 'etc/os-release' });
  });

  it('follows a relative symlink, and finds the target in a higher layer than the link', () => {
    const r = lookupFinal(views(
      [link('etc/os-release', '../usr/lib/os-release'), file('usr/lib/os-release')],
      [file('usr/lib/os-release')],
    ), 'etc/os-release', true);
    expect(r).toMatchObject({ status: 'found', layerIndex: 1, path: 'usr/lib/os-release', links: ['etc/os-release -> ../usr/lib/os-release'] });
  });

  it('follows an absolute symlink inside the image, and a symlinked parent directory', () => {
    expect(lookupFinal(views([link('etc/os-release', '/usr/lib/os-release'), file('usr/lib/os-release')]), 'etc/os-release', true))
      .toMatchObject({ status: 'found', path: 'usr/lib/os-release' });
    expect(lookupFinal(views([link('etc', 'private/etc'), file('private/etc/os-release')]), 'etc/os-release', true))
      .toMatchObject({ status: 'found', path: 'private/etc/os-release', links: ['etc -> private/etc'] });
  });

  it('keeps `..` inside the image root', () => {
    expect(resolveLink('etc/os-release', '../../../../usr/lib/os-release', '')).toBe('usr/lib/os-release');
    expect(lookupFinal(views([link('etc/os-release', '../../../usr/lib/os-release'), file('usr/lib/os-release')]), 'etc/os-release', true))
      .toMatchObject({ status: 'found', path: 'usr/lib/os-release' });
  });

  it('honours a whiteout of the file, and a re-creation above it', () => {
    expect(lookupFinal(views([file('etc/os-release')], [wh('etc/.wh.os-release')]), 'etc/os-release', true))
      .toMatchObject({ status: 'absent', why: expect.stringContaining('whiteout in layer 1') });
    expect(lookupFinal(views([file('etc/os-release')], [wh('etc/.wh.os-release')], [file('etc/os-release')]), 'etc/os-release', true))
      .toMatchObject({ status: 'found', layerIndex: 2 });
    // a whiteout and the new file in the same layer: the file wins (whiteouts act on lower layers)
    expect(lookupFinal(views([file('etc/os-release')], [wh('etc/.wh.os-release'), file('etc/os-release')]), 'etc/os-release', true))
      .toMatchObject({ status: 'found', layerIndex: 1 });
  });

  it('honours a whiteout of a parent directory, even when the directory is re-created above', () => {
    expect(lookupFinal(views([file('etc/os-release')], [wh('.wh.etc')]), 'etc/os-release', true)).toMatchObject({ status: 'absent' });
    expect(lookupFinal(views([file('etc/os-release')], [wh('.wh.etc')], [dir('etc'), file('etc/passwd')]), 'etc/os-release', true))
      .toMatchObject({ status: 'absent', why: expect.stringContaining('layer 1') });
  });

  it('honours an opaque directory', () => {
    const opq = wh('etc/.wh..wh..opq');
    expect(opq.opaque).toBe('etc');
    expect(lookupFinal(views([file('etc/os-release')], [dir('etc'), opq, file('etc/hosts')]), 'etc/os-release', true))
      .toMatchObject({ status: 'absent', why: expect.stringContaining('opaque in layer 1') });
    expect(lookupFinal(views([file('etc/os-release')], [dir('etc'), opq, file('etc/os-release')]), 'etc/os-release', true))
      .toMatchObject({ status: 'found', layerIndex: 1 });
    // an opaque grandparent hides lower content under a re-created child directory too
    expect(lookupFinal(views([file('usr/lib/os-release')], [dir('usr'), wh('usr/.wh..wh..opq'), dir('usr/lib')]), 'usr/lib/os-release', true))
      .toMatchObject({ status: 'absent' });
  });

  it('a parent replaced by a file hides the path', () => {
    expect(lookupFinal(views([file('etc/os-release')], [file('etc')]), 'etc/os-release', true))
      .toMatchObject({ status: 'absent', why: expect.stringContaining('not a directory') });
  });

  it('is unknown until the lower layers are seen, absent once all are', () => {
    const top = [layerView(3, [file('usr/bin/x')])];
    expect(lookupFinal(top, 'etc/os-release', false)).toMatchObject({ status: 'unknown' });
    expect(lookupFinal(top, 'etc/os-release', true)).toMatchObject({ status: 'absent' });
  });

  it('stops on a symlink loop', () => {
    expect(lookupFinal(views([link('etc/os-release', 'a'), link('etc/a', 'os-release')]), 'etc/os-release', true))
      .toMatchObject({ status: 'absent', why: expect.stringContaining('symlinks') });
  });
});
