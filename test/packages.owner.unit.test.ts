import { describe, expect, it } from 'vitest';
import { parseApk } from '../src/packages/apk.js';
import { parseDpkg } from '../src/packages/dpkg.js';
import { ownerIndex, ownerJson } from '../src/packages/owner.js';
import { overlay } from '../src/analysis/filetree.js';
import type { LayerEntry } from '../src/layer/entry.js';

/**
 * Owner lookup on hand-made databases (apk's installed format: F: a directory,
 * the R: lines after it its files; dpkg's .list: one absolute path a line) over
 * a hand-made usr-merged tree. Truth by hand.
 */
const e = (path: string, type: LayerEntry['type'] = 'file', linkTarget: string | null = null): LayerEntry =>
  ({ path, type, size: type === 'file' ? 1 : 0, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget });
const tree = overlay([[e('usr', 'dir'), e('usr/bin', 'dir'), e('bin', 'symlink', 'usr/bin'), e('usr/bin/busybox'), e('etc', 'dir'), e('etc/passwd'), e('etc/motd')]]).final;

describe('owners', () => {
  it('apk: R: lines under F: own their files; the usr-merged stored path answers too; an unlisted file has none', () => {
    const pkgs = parseApk('P:busybox\nV:1.36.1-r5\nA:x86_64\nF:bin\nR:busybox\nF:etc\nR:motd\n\nP:alpine-baselayout\nV:3.4.3-r1\nA:x86_64\nF:etc\n\n');
    const owners = ownerIndex(tree, pkgs);
    expect(owners('bin/busybox').map((o) => `${o.ecosystem}:${o.name}@${o.version}`)).toEqual(['apk:busybox@1.36.1-r5']);
    expect(owners('/usr/bin/busybox').map((o) => o.name)).toEqual(['busybox']);
    expect(owners('etc/motd').map((o) => o.name)).toEqual(['busybox']);
    // a directory two packages list: both, by name
    expect(owners('etc').map((o) => o.name)).toEqual(['alpine-baselayout', 'busybox']);
    expect(owners('etc/passwd')).toEqual([]);
    expect(ownerJson(owners('etc/passwd'))).toEqual({ package: null });
    expect(ownerJson(owners('etc'))).toEqual({ package: owners('etc')[0], owners: owners('etc') });
  });
  it('dpkg: the .list paths, /. aside', () => {
    const pkgs = parseDpkg(['Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b2\nArchitecture: amd64\n'], new Map([['bash:amd64', '/.\n/bin\n/bin/busybox\n']]));
    const owners = ownerIndex(tree, pkgs);
    expect(owners('usr/bin/busybox').map((o) => `${o.name} ${o.version} ${o.arch}`)).toEqual(['bash 5.2.15-2+b2 amd64']);
    expect(owners('')).toEqual([]);
    expect(owners('bin').map((o) => o.name)).toEqual(['bash']);
  });
});
