import { describe, expect, it } from 'vitest';
import { parseDpkg, parseStanzas } from '../src/packages/dpkg.js';
import { parseApk } from '../src/packages/apk.js';
import { parseRpmHeader } from '../src/packages/rpm-header.js';
import { attribute } from '../src/packages/attribution.js';
import { classifyDbPath } from '../src/packages/databases.js';
import type { Package } from '../src/packages/model.js';

/** Parsers against their documented formats (deb822 / dpkg-query states, apk installed db, rpm header layout); truth by hand. */
describe('dpkg status', () => {
  const status = `Package: inst
Status: install ok installed
Version: 1:2.3-4
Architecture: amd64
Source: src-pkg (2.3-3)
Description: one
 continued line

Package: held
Status: hold ok installed
Version: 1.0
Architecture: all

Package: gone
Status: deinstall ok config-files
Version: 9
Architecture: amd64

Package: half
Status: install reinstreq half-installed
Version: 1
Architecture: amd64

Package: notinst
Status: purge ok not-installed
Architecture: amd64
`;
  it('only packages whose state is "installed" (want flag aside), Source without its version', () => {
    const lists = new Map([['inst:amd64', '/.\n/usr\n/usr/bin/inst\n'], ['held', '/usr/share/held\n']]);
    const got = parseDpkg([status], lists);
    expect(got.map((p) => [p.name, p.version, p.arch, p.source, p.files])).toEqual([
      ['inst', '1:2.3-4', 'amd64', 'src-pkg', ['usr', 'usr/bin/inst']],
      ['held', '1.0', 'all', 'held', ['usr/share/held']],
    ]);
  });
  it('continuation lines belong to the field above', () => {
    expect(parseStanzas(status)[0]!.get('description')).toBe('one\ncontinued line');
  });
  it('distroless status.d stanzas without Status are installed', () => {
    expect(parseDpkg(['Package: libc6\nVersion: 2.36-9+deb12u4\nArchitecture: amd64\nSource: glibc\n'], new Map()).map((p) => p.source)).toEqual(['glibc']);
  });
  it('which paths are databases', () => {
    expect(classifyDbPath('var/lib/dpkg/status.d/libc6')?.kind).toBe('dpkg-status.d');
    expect(classifyDbPath('var/lib/dpkg/status.d/libc6.md5sums')).toBeNull();
    expect(classifyDbPath('var/lib/dpkg/status-old')).toBeNull();
    expect(classifyDbPath('var/lib/dpkg/info/libc6:amd64.list')?.kind).toBe('dpkg-list');
    expect(classifyDbPath('usr/lib/sysimage/rpm/rpmdb.sqlite')?.group).toBe('rpm:usr/lib/sysimage/rpm');
  });
});

describe('apk installed', () => {
  it('F: sets the directory for the R: lines after it', () => {
    const [p] = parseApk('P:a\nV:1-r0\nA:aarch64\no:a-src\nF:usr\nF:usr/lib\nR:x.so\nR:y.so\nF:etc\nR:a.conf\n');
    expect(p).toEqual({ ecosystem: 'apk', name: 'a', version: '1-r0', arch: 'aarch64', source: 'a-src', files: ['usr', 'usr/lib', 'usr/lib/x.so', 'usr/lib/y.so', 'etc', 'etc/a.conf'] });
  });
});

/** A header blob laid out by hand per rpm's format: il, dl, 16-byte entries, then the data store. */
function header(tags: [number, number, Buffer, number][]): Buffer {
  const data: Buffer[] = [];
  const index: Buffer[] = [];
  let off = 0;
  for (const [tag, type, bytes, count] of tags) {
    if (type === 4) { const pad = (4 - (off % 4)) % 4; data.push(Buffer.alloc(pad)); off += pad; }
    const e = Buffer.alloc(16);
    e.writeUInt32BE(tag, 0); e.writeUInt32BE(type, 4); e.writeUInt32BE(off, 8); e.writeUInt32BE(count, 12);
    index.push(e); data.push(bytes); off += bytes.length;
  }
  const head = Buffer.alloc(8);
  head.writeUInt32BE(tags.length, 0); head.writeUInt32BE(off, 4);
  return Buffer.concat([head, ...index, ...data]);
}
const str = (...s: string[]) => Buffer.from(s.map((x) => `${x}\0`).join(''));
const i32 = (...n: number[]) => { const b = Buffer.alloc(n.length * 4); n.forEach((v, i) => b.writeInt32BE(v, i * 4)); return b; };

describe('rpm header blob', () => {
  it('name, epoch, version, release, arch, sourcerpm, files from dirnames/dirindexes/basenames', () => {
    const blob = header([[1000, 6, str('openssl'), 1], [1001, 6, str('3.0.7'), 1], [1002, 6, str('27.el9'), 1], [1003, 4, i32(1), 1],
      [1022, 6, str('x86_64'), 1], [1044, 6, str('openssl-3.0.7-27.el9.src.rpm'), 1],
      [1116, 4, i32(0, 1, 1), 3], [1117, 8, str('openssl', 'a.so', 'b.so'), 3], [1118, 8, str('/usr/bin/', '/usr/lib64/'), 2]]);
    expect(parseRpmHeader(blob)).toEqual({ ecosystem: 'rpm', name: 'openssl', version: '1:3.0.7-27.el9', arch: 'x86_64', source: 'openssl-3.0.7-27.el9.src.rpm',
      files: ['usr/bin/openssl', 'usr/lib64/a.so', 'usr/lib64/b.so'] });
  });
  it('a blob whose counts overrun it is refused', () => {
    const blob = header([[1000, 6, str('x'), 1]]);
    blob.writeUInt32BE(5000, 4);
    expect(() => parseRpmHeader(blob)).toThrow(/not an rpm header/);
  });
});

describe('attribution', () => {
  const p = (name: string, version: string): Package => ({ ecosystem: 'deb', name, version, arch: 'amd64', source: null, files: [] });
  it('a layer that rewrites the database without changing a package keeps its attribution; a reinstall of the same version too', () => {
    const a = attribute([[p('a', '1')], [p('a', '1'), p('b', '1')], [p('b', '1')], [p('a', '0.9'), p('b', '1')]], [[], [], [], []]);
    expect(a.packages.map((x) => [x.name, x.version, x.layerIndex])).toEqual([['a', '0.9', 3], ['b', '1', 1]]);
    expect(a.events.map((e) => e.map((x) => `${x.change} ${x.name}`))).toEqual([['installed a'], ['installed b'], ['removed a'], ['installed a']]);
  });
});

describe('--find queries', async () => {
  const { parsePackageQuery, matchesQuery } = await import('../src/packages/find.js');
  it('parses ecosystem, name and constraints', () => {
    expect(parsePackageQuery('deb:openssl>=3.0,<3.0.12')).toEqual({ ecosystem: 'deb', name: 'openssl', constraints: [{ op: '>=', version: '3.0' }, { op: '<', version: '3.0.12' }] });
    expect(parsePackageQuery('libc6')).toEqual({ ecosystem: null, name: 'libc6', constraints: [] });
    expect(() => parsePackageQuery('openssl<')).toThrow(/not a constraint/);
  });
  it('compares by the package\'s ecosystem: 3.0.11-1~deb12u2 < 3.0.12 for dpkg', () => {
    const q = parsePackageQuery('openssl<3.0.12');
    expect(matchesQuery(q, { ecosystem: 'deb', name: 'openssl', version: '3.0.11-1~deb12u2' })).toBe(true);
    expect(matchesQuery(q, { ecosystem: 'apk', name: 'openssl', version: '3.0.12-r0' })).toBe(false);
    expect(matchesQuery(q, { ecosystem: 'rpm', name: 'openssl', version: '1:3.0.7-27.el9' })).toBe(false);
  });
});

describe('rpm ndb Packages.db (layout per rpm lib/backend/ndb/rpmpkg.c, written here by hand)', async () => {
  const { readRpmNdb } = await import('../src/packages/rpm-ndb.js');
  const { adler32 } = await import('node:zlib') as unknown as { adler32?: (b: Buffer) => number };
  /** RFC 1950, independently of the module under test */
  const adler = (b: Buffer) => adler32 ? adler32(b) : (() => { let a = 1, s = 0; for (const x of b) { a = (a + x) % 65521; s = (s + a) % 65521; } return ((s << 16) | a) >>> 0; })();
  function ndb(blobs: [number, Buffer][]): Buffer {
    const page = Buffer.alloc(4096);
    Buffer.from('RpmP').copy(page, 0);
    page.writeUInt32LE(0, 4); page.writeUInt32LE(1, 8); page.writeUInt32LE(1, 12); page.writeUInt32LE(blobs.length + 1, 16);
    for (let o = 32; o < 4096; o += 16) Buffer.from('Slot').copy(page, o);
    const parts: Buffer[] = [page];
    let blk = 256;
    blobs.forEach(([idx, blob], i) => {
      const cnt = Math.ceil((16 + blob.length + 12) / 16);
      const b = Buffer.alloc(cnt * 16);
      Buffer.from('BlbS').copy(b, 0); b.writeUInt32LE(idx, 4); b.writeUInt32LE(1700000000, 8); b.writeUInt32LE(blob.length, 12);
      blob.copy(b, 16);
      b.writeUInt32LE(adler(b.subarray(0, b.length - 12)), b.length - 12); b.writeUInt32LE(blob.length, b.length - 8); Buffer.from('BlbE').copy(b, b.length - 4);
      page.writeUInt32LE(idx, 32 + i * 16 + 4); page.writeUInt32LE(blk, 32 + i * 16 + 8); page.writeUInt32LE(cnt, 32 + i * 16 + 12);
      parts.push(b);
      blk += cnt;
    });
    return Buffer.concat(parts);
  }
  const h = (name: string) => header([[1000, 6, str(name), 1], [1001, 6, str('1'), 1], [1002, 6, str('1'), 1], [1022, 6, str('noarch'), 1]]);
  it('reads every slot, in blob order', () => {
    expect(readRpmNdb(ndb([[7, h('a')], [3, h('b')]])).map((p) => p.name)).toEqual(['a', 'b']);
  });
  it('a flipped byte fails its adler32; a cut file is truncated', () => {
    const db = ndb([[1, h('a')]]);
    db[4096 + 20] ^= 1;
    expect(() => readRpmNdb(db)).toThrow(/adler32/);
    expect(() => readRpmNdb(ndb([[1, h('a')]]).subarray(0, 4096 + 16))).toThrow(/truncated/);
  });
});
