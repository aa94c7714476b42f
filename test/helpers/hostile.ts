import { mkdirSync, openSync, closeSync, writeSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { config, hex, json, sha, tarBuffer, twoLayers, writeTree, type TarItem } from './synth.js';

/**
 * The hostile-archive corpus: every input is generated here, in a temp dir,
 * from tar-stream, zlib and hand-made headers and frames. Nothing big is
 * committed; the bombs are small files that expand to gigabytes.
 */
export type Command = 'images' | 'layers' | 'history' | 'verify';

export interface HostileCase {
  name: string;
  /** write the input under `dir`, return the path to give the CLI */
  build(dir: string): Promise<string>;
  /** documented exit code of each command */
  exit: Record<Command, number>;
  /** what stderr must name when a command fails (the member); the archive is always checked */
  member?: RegExp;
  /** extra CLI arguments (limits) */
  args?: string[];
  /**
   * an answer with an integrity warning (hostile outer members): every command but
   * verify prints exactly one WARNING line matching this, and still answers on stdout
   */
  warning?: RegExp;
}

const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const desc = (mediaType: string, body: Buffer | string) => ({ mediaType, digest: sha(body), size: Buffer.byteLength(body) });

const ALL = (n: number): Record<Command, number> => ({ images: n, layers: n, history: n, verify: n });
/** a bad layer body fails what reads it: `layers`, `verify`, and `images`/`history` (Docker's SIZE needs the content) */
const BODY = (layers: number, verify: number): Record<Command, number> => ({ images: layers, layers, history: layers, verify });

// ---------------------------------------------------------------------------------------------
// raw tar headers: names as bytes (non-UTF-8), sizes that lie, base-256 numbers

function octal(n: number, width: number): Buffer {
  return Buffer.from(`${n.toString(8).padStart(width - 1, '0')}\0`, 'latin1');
}

/** One 512-byte ustar header; `size` may be a lie; `sizeField` overrides the encoded size entirely. */
export function rawHeader(opts: { name: Buffer | string; size: number; type?: string; linkname?: string; sizeField?: Buffer }): Buffer {
  const h = Buffer.alloc(512);
  Buffer.from(opts.name).copy(h, 0, 0, 100);
  octal(0o644, 8).copy(h, 100);
  octal(0, 8).copy(h, 108);
  octal(0, 8).copy(h, 116);
  (opts.sizeField ?? octal(opts.size, 12)).copy(h, 124);
  octal(0, 12).copy(h, 136);
  h.write(opts.type ?? '0', 156, 'latin1');
  if (opts.linkname) h.write(opts.linkname, 157, 'utf8');
  h.write('ustar\0', 257, 'latin1');
  h.write('00', 263, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += h[i]!;
  Buffer.from(`${sum.toString(8).padStart(6, '0')}\0 `, 'latin1').copy(h, 148);
  return h;
}

const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
const END = Buffer.alloc(1024);

// ---------------------------------------------------------------------------------------------
// compressed bombs

/** `count` concatenated gzip members, each of `mib` MiB of zeros (deflate caps at ~1032:1 per member). */
function gzipZeros(mib: number, count: number, prefix?: Buffer): Buffer[] {
  const member = gzipSync(Buffer.alloc(mib * 1024 * 1024), { level: 9 });
  const parts = prefix ? [gzipSync(prefix)] : [];
  for (let i = 0; i < count; i++) parts.push(member);
  return parts;
}

/**
 * A zstd frame by hand: one raw block (`head`), then RLE blocks of zeros.
 * An RLE block is 4 bytes that expand to 128 KiB (32768:1), so a few hundred
 * KB expand to gigabytes.
 */
function zstdRle(head: Buffer, zeroBytes: number): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50])]; // magic, no content size, 1 MiB window
  const block = (type: number, size: number, last: boolean) => {
    const v = (last ? 1 : 0) | (type << 1) | (size << 3);
    return Buffer.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff]);
  };
  parts.push(block(0, head.length, false), head);
  const BLOCK = 128 * 1024;
  const n = Math.ceil(zeroBytes / BLOCK);
  for (let i = 0; i < n; i++) parts.push(block(1, BLOCK, i === n - 1), Buffer.from([0]));
  return Buffer.concat(parts);
}

/** A zstd frame of raw blocks (no compression): a valid zstd layer without an encoder. */
export function zstdRaw(data: Buffer): Buffer {
  const parts: Buffer[] = [Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50])];
  const BLOCK = 128 * 1024;
  for (let at = 0; at < data.length || at === 0; at += BLOCK) {
    const chunk = data.subarray(at, at + BLOCK);
    const last = at + BLOCK >= data.length;
    const v = (last ? 1 : 0) | (0 << 1) | (chunk.length << 3);
    parts.push(Buffer.from([v & 0xff, (v >> 8) & 0xff, (v >> 16) & 0xff]), chunk);
    if (data.length === 0) break;
  }
  return Buffer.concat(parts);
}

function writeParts(path: string, parts: Buffer[]): void {
  const fd = openSync(path, 'w');
  try {
    for (const p of parts) writeSync(fd, p);
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// archive builders

let L: { layers: Buffer[]; diffIds: string[] } | undefined;
async function layers() {
  return (L ??= await twoLayers());
}

/** A docker-archive: `a.tar`, `b.tar`, the config, manifest.json; `extra` items first, `override` replaces fields. */
async function dockerArchive(dir: string, name: string, opts: {
  extra?: TarItem[]; layerRefs?: string[]; manifest?: string; config?: string; omitLayers?: boolean; raw?: Buffer[];
} = {}): Promise<string> {
  const l = await layers();
  const cfg = opts.config ?? config(l.diffIds);
  const items: TarItem[] = [
    ...(opts.omitLayers ? [] : [{ name: 'a.tar', body: l.layers[0]! }, { name: 'b.tar', body: l.layers[1]! }]),
    { name: `${hex(cfg)}.json`, body: cfg },
    ...(opts.extra ?? []),
    { name: 'manifest.json', body: opts.manifest ?? json([{ Config: `${hex(cfg)}.json`, RepoTags: ['hostile:1'], Layers: opts.layerRefs ?? ['a.tar', 'b.tar'] }]) },
  ];
  let tar = await tarBuffer(items);
  if (opts.raw) tar = Buffer.concat([opts.raw.reduce((a, b) => Buffer.concat([a, b]), Buffer.alloc(0)), tar]);
  const p = join(dir, name);
  writeFileSync(p, tar);
  return p;
}

/** An OCI layout directory with one image; `blobs` are the layer blobs as stored (any bytes), diffIDs as given. */
function ociDir(dir: string, name: string, blobs: Buffer[], diffIds: string[], mediaType = 'application/vnd.oci.image.layer.v1.tar'): string {
  const cfg = config(diffIds);
  const manifest = json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc(OCI_CONFIG, cfg), layers: blobs.map((b) => desc(mediaType, b)) });
  const files: Record<string, Buffer | string> = {
    'oci-layout': '{"imageLayoutVersion":"1.0.0"}',
    'index.json': json({ schemaVersion: 2, manifests: [desc(OCI_MANIFEST, manifest)] }),
    [`blobs/sha256/${hex(cfg)}`]: cfg,
    [`blobs/sha256/${hex(manifest)}`]: manifest,
  };
  for (const b of blobs) files[`blobs/sha256/${hex(b)}`] = b;
  return writeTree(join(dir, name), files);
}

/** An OCI layout whose one layer blob is written by `write` (big blobs streamed to disk); its digest and size given. */
function ociDirWithBigLayer(dir: string, name: string, layer: { parts: Buffer[]; diffId: string }): string {
  const root = join(dir, name);
  mkdirSync(join(root, 'blobs', 'sha256'), { recursive: true });
  const whole = Buffer.concat(layer.parts); // a few MB: fine to hash here
  const blob = join(root, 'blobs', 'sha256', hex(whole));
  writeParts(blob, layer.parts);
  const cfg = config([layer.diffId]);
  const manifest = json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: desc(OCI_CONFIG, cfg),
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: sha(whole), size: whole.length }] });
  writeTree(root, {
    'oci-layout': '{"imageLayoutVersion":"1.0.0"}',
    'index.json': json({ schemaVersion: 2, manifests: [desc(OCI_MANIFEST, manifest)] }),
    [`blobs/sha256/${hex(cfg)}`]: cfg,
    [`blobs/sha256/${hex(manifest)}`]: manifest,
  });
  return root;
}

const FAKE_DIFF = `sha256:${'0'.repeat(64)}`;

// ---------------------------------------------------------------------------------------------

export const CASES: HostileCase[] = [
  {
    name: 'manifest.json names ../../../etc/passwd as a layer',
    build: (d) => dockerArchive(d, 'dotdot-ref.tar', { layerRefs: ['../../../etc/passwd', 'b.tar'] }),
    exit: { images: 3, layers: 3, history: 3, verify: 1 },
    member: /\.\.\/\.\.\/\.\.\/etc\/passwd: member is missing/,
  },
  {
    name: 'manifest.json names /etc/passwd (absolute) as a layer',
    build: (d) => dockerArchive(d, 'abs-ref.tar', { layerRefs: ['/etc/passwd', 'b.tar'] }),
    exit: { images: 3, layers: 3, history: 3, verify: 1 },
    member: /\/etc\/passwd: member is missing/,
  },
  {
    name: 'a member named ../escape.tar, used as a layer (read in place, with a warning naming it; exit 1)',
    build: async (d) => dockerArchive(d, 'dotdot-member.tar', { extra: [{ name: '../escape.tar', body: (await layers()).layers[0]! }], layerRefs: ['../escape.tar', 'b.tar'] }),
    exit: ALL(1),
    warning: /^layerdig: WARNING: \S*dotdot-member\.tar: hostile outer member: \.\.\/escape\.tar \(a name that climbs out with \.\.\)/,
  },
  {
    name: 'absolute member names (/abs/a.tar), referenced as such (the leading / is dropped, as tar does; a warning names it; exit 1)',
    build: async (d) => dockerArchive(d, 'abs-member.tar', { extra: [{ name: '/abs/a.tar', body: (await layers()).layers[0]! }], layerRefs: ['/abs/a.tar', 'b.tar'] }),
    exit: ALL(1),
    warning: /^layerdig: WARNING: \S*abs-member\.tar: hostile outer member: \/abs\/a\.tar \(an absolute name\)/,
  },
  {
    name: 'layer.tar symlink loop',
    build: (d) => dockerArchive(d, 'link-loop.tar', {
      extra: [{ name: 'x/layer.tar', type: 'symlink', linkname: '../y/layer.tar' }, { name: 'y/layer.tar', type: 'symlink', linkname: '../x/layer.tar' }],
      layerRefs: ['x/layer.tar', 'b.tar'],
    }),
    exit: ALL(3),
    member: /x\/layer\.tar: link loop/,
  },
  {
    name: 'layer.tar symlink to /etc/passwd',
    build: (d) => dockerArchive(d, 'link-abs.tar', { extra: [{ name: 'x/layer.tar', type: 'symlink', linkname: '/etc/passwd' }], layerRefs: ['x/layer.tar', 'b.tar'] }),
    exit: ALL(3),
    member: /x\/layer\.tar: link points outside the archive \(\/etc\/passwd\)/,
  },
  {
    name: 'layer.tar symlink climbing out (../../../etc/passwd)',
    build: (d) => dockerArchive(d, 'link-up.tar', { extra: [{ name: 'x/layer.tar', type: 'symlink', linkname: '../../../etc/passwd' }], layerRefs: ['x/layer.tar', 'b.tar'] }),
    exit: ALL(3),
    member: /x\/layer\.tar: link points outside the archive/,
  },
  {
    name: 'hard link to outside the archive',
    build: (d) => dockerArchive(d, 'hardlink-out.tar', { extra: [{ name: 'x/layer.tar', type: 'link', linkname: '../../etc/shadow' }], layerRefs: ['x/layer.tar', 'b.tar'] }),
    exit: ALL(3),
    member: /x\/layer\.tar: link points outside the archive/,
  },
  {
    name: 'gzip bomb: 10 MB of concatenated gzip members expanding to 10 GiB of zeros (no tar inside)',
    build: async (d) => ociDirWithBigLayer(d, 'gzip-bomb', { parts: gzipZeros(64, 160), diffId: FAKE_DIFF }),
    exit: BODY(3, 3),
    member: /blobs\/sha256\/[0-9a-f]{64}: more than 16777216 bytes of data after the last tar entry .*decompression bomb \(raise --max-trailing-bytes/,
  },
  {
    name: 'gzip bomb inside a tar entry (a 7 GiB file of zeros), stopped by the default --max-ratio past 1 GiB',
    build: async (d) => ociDirWithBigLayer(d, 'gzip-tar-bomb-default', { parts: gzipZeros(64, 100, rawHeader({ name: 'zeros', size: 7 * 1024 ** 3 })), diffId: FAKE_DIFF }),
    exit: BODY(3, 3),
    member: /blobs\/sha256\/[0-9a-f]{64}: decompressed past \d+ bytes from \d+ compressed .*ratio 200\).*decompression bomb \(raise --max-layer-bytes \/ --max-ratio/,
  },
  {
    name: 'gzip bomb inside a tar entry (a 7 GiB file of zeros), stopped by --max-layer-bytes',
    build: async (d) => ociDirWithBigLayer(d, 'gzip-tar-bomb', { parts: gzipZeros(64, 100, rawHeader({ name: 'zeros', size: 7 * 1024 ** 3 })), diffId: FAKE_DIFF }),
    args: ['--max-layer-bytes', String(256 * 1024 * 1024)],
    exit: BODY(3, 3),
    member: /blobs\/sha256\/[0-9a-f]{64}: decompressed past \d+ bytes .*limits: 268435456 bytes.*decompression bomb \(raise --max-layer-bytes/,
  },
  {
    name: 'zstd bomb: 256 KB of RLE blocks inside a tar entry expanding to 8 GiB, stopped by --max-ratio',
    build: async (d) => {
      const frame = zstdRle(rawHeader({ name: 'zeros', size: 7 * 1024 ** 3 }), 8 * 1024 ** 3);
      const root = ociDir(d, 'zstd-bomb', [frame], [FAKE_DIFF], 'application/vnd.oci.image.layer.v1.tar+zstd');
      return root;
    },
    exit: BODY(3, 3),
    member: /blobs\/sha256\/[0-9a-f]{64}: decompressed past \d+ bytes from \d+ compressed .*ratio 200\).*decompression bomb/,
  },
  {
    name: 'outer gzip bomb: docker save | gzip, then gigabytes of zeros after the tar',
    build: async (d) => {
      const plain = await import('node:fs').then((fs) => fs.readFileSync(join(d, 'plain-for-bomb.tar')));
      const p = join(d, 'outer-bomb.tar.gz');
      writeParts(p, [gzipSync(plain), ...gzipZeros(64, 100)]);
      return p;
    },
    exit: ALL(3),
  },
  {
    name: 'the same gzip bomb with a lower --max-trailing-bytes: stopped sooner, the limit named',
    build: async (d) => ociDirWithBigLayer(d, 'gzip-bomb-low', { parts: gzipZeros(64, 4), diffId: FAKE_DIFF }),
    args: ['--max-trailing-bytes', '1048576'],
    exit: BODY(3, 3),
    member: /blobs\/sha256\/[0-9a-f]{64}: more than 1048576 bytes of data after the last tar entry .*\(raise --max-trailing-bytes/,
  },
  {
    name: 'a sane archive under --max-members 3: stopped, the limit named',
    build: (d) => dockerArchive(d, 'many-members.tar'),
    args: ['--max-members', '3'],
    exit: ALL(3),
    member: /many-members\.tar: more than 3 members \(a safety limit; raise --max-members\)/,
  },
  {
    name: 'a layer of 50 entries under --max-layer-entries 10: listing stopped, the limit named',
    build: async (d) => {
      const layer = Buffer.concat([...Array.from({ length: 50 }, (_, i) => rawHeader({ name: `f${i}`, size: 0 })), END]);
      return ociDir(d, 'many-entries', [layer], [sha(layer)]);
    },
    args: ['--max-layer-entries', '10'],
    exit: BODY(3, 3),
    member: /blobs\/sha256\/[0-9a-f]{64}: more than 10 entries in one layer: stopped \(a safety limit; raise --max-layer-entries\)/,
  },
  {
    name: 'truncated tar (the archive ends inside a layer)',
    build: async (d) => {
      const p = await dockerArchive(d, 'truncated-src.tar');
      const b = await import('node:fs').then((fs) => fs.readFileSync(p));
      const out = join(d, 'truncated.tar');
      writeFileSync(out, b.subarray(0, 2048 + 512));
      return out;
    },
    exit: ALL(3),
    member: /a\.tar: truncated: the header says \d+ bytes but the archive ends/,
  },
  {
    name: 'truncated layer tar (descriptors and diffID match the truncated blob)',
    // its diffID is its digest, so the one failure is that it cannot be read (a wrong diffID would be a mismatch, exit 1)
    build: async (d) => { const l = await layers(); const t = l.layers[0]!.subarray(0, 700); return ociDir(d, 'trunc-layer', [t], [sha(t)]); },
    exit: BODY(3, 3),
    member: /blobs\/sha256\/[0-9a-f]{64}: not a readable tar layer/,
  },
  {
    name: 'truncated gzip layer',
    build: async (d) => { const l = await layers(); const g = gzipSync(l.layers[0]!); return ociDir(d, 'trunc-gzip', [g.subarray(0, g.length - 20)], [l.diffIds[0]!], 'application/vnd.oci.image.layer.v1.tar+gzip'); },
    exit: BODY(3, 3),
    member: /blobs\/sha256\/[0-9a-f]{64}: truncated gzip data/,
  },
  {
    name: 'truncated zstd layer',
    build: async (d) => { const l = await layers(); const z = zstdRaw(l.layers[0]!); return ociDir(d, 'trunc-zstd', [z.subarray(0, z.length - 100)], [l.diffIds[0]!], 'application/vnd.oci.image.layer.v1.tar+zstd'); },
    exit: BODY(3, 3),
    member: /blobs\/sha256\/[0-9a-f]{64}: (cannot decompress|truncated) zstd data/,
  },
  {
    name: 'truncated docker save | gzip',
    build: async (d) => {
      const plain = await import('node:fs').then((fs) => fs.readFileSync(join(d, 'plain-for-bomb.tar')));
      const g = gzipSync(plain);
      const p = join(d, 'trunc-outer.tar.gz');
      writeFileSync(p, g.subarray(0, Math.floor(g.length * 0.6)));
      return p;
    },
    exit: ALL(3),
    member: /trunc-outer\.tar\.gz(!\S+)?: truncated at byte \d+: the gzip stream stops before its end \(\d+ bytes decompressed so far\)/,
  },
  {
    name: 'an empty file (0 bytes)',
    build: async (d) => { const p = join(d, 'zero.tar'); writeFileSync(p, ''); return p; },
    exit: ALL(3),
    member: /zero\.tar: empty \(0 bytes\)/,
  },
  {
    name: 'a tar cut inside its first header (300 bytes)',
    build: async (d) => {
      const b = (await import('node:fs')).readFileSync(join(d, 'plain-for-bomb.tar'));
      const p = join(d, 'cut-first-header.tar');
      writeFileSync(p, b.subarray(0, 300));
      return p;
    },
    exit: ALL(3),
    member: /cut-first-header\.tar: truncated at byte 300: the archive ends inside its first tar header/,
  },
  {
    name: 'a tar cut inside a later header (200 bytes into the header after the first member)',
    build: async (d) => {
      const b = (await import('node:fs')).readFileSync(join(d, 'plain-for-bomb.tar'));
      const first = 512 + Math.ceil((await layers()).layers[0]!.length / 512) * 512; // a.tar's header and padded body
      const p = join(d, 'cut-mid-header.tar');
      writeFileSync(p, b.subarray(0, first + 200));
      return p;
    },
    exit: ALL(3),
    member: /cut-mid-header\.tar: truncated at byte \d+: the archive ends inside the tar header after a\.tar/,
  },
  {
    name: 'a tar cut at a member boundary, before manifest.json (no end-of-archive marker)',
    build: async (d) => {
      const b = (await import('node:fs')).readFileSync(join(d, 'plain-for-bomb.tar'));
      const first = 512 + Math.ceil((await layers()).layers[0]!.length / 512) * 512;
      const p = join(d, 'cut-boundary.tar');
      writeFileSync(p, b.subarray(0, first));
      return p;
    },
    exit: ALL(3),
    member: /cut-boundary\.tar: truncated at byte \d+: the archive ends after a\.tar with no end-of-archive marker/,
  },
  {
    name: 'gzip data that is not a tar (a gzipped text line)',
    build: async (d) => { const p = join(d, 'text.gz'); writeFileSync(p, gzipSync('hello, not a tar\n')); return p; },
    exit: ALL(3),
    member: /text\.gz: is gzip data that holds no tar archive/,
  },
  {
    name: 'gzip data that is not a tar (1 KB of text)',
    build: async (d) => { const p = join(d, 'text1k.gz'); writeFileSync(p, gzipSync('not a tar header. '.repeat(60))); return p; },
    exit: ALL(3),
    member: /text1k\.gz: is gzip data that holds no tar archive \(the data inside does not start with a tar header\)/,
  },
  {
    name: 'gzip of nothing',
    build: async (d) => { const p = join(d, 'nothing.gz'); writeFileSync(p, gzipSync(Buffer.alloc(0))); return p; },
    exit: ALL(3),
    member: /nothing\.gz: is gzip data that decompresses to nothing/,
  },
  {
    name: 'a blob whose digest does not match (another valid layer put in its place)',
    build: async (d) => {
      const l = await layers();
      const root = ociDir(d, 'digest-mismatch', [gzipSync(l.layers[0]!)], [l.diffIds[0]!], 'application/vnd.oci.image.layer.v1.tar+gzip');
      writeFileSync(join(root, 'blobs', 'sha256', hex(gzipSync(l.layers[0]!))), gzipSync(l.layers[1]!));
      return root;
    },
    exit: BODY(1, 1),
  },
  { name: 'manifest.json is null', build: (d) => dockerArchive(d, 'null.tar', { manifest: 'null' }), exit: ALL(3), member: /manifest\.json: is null/ },
  { name: 'manifest.json is []', build: (d) => dockerArchive(d, 'empty.tar', { manifest: '[]' }), exit: ALL(3), member: /manifest\.json: is an empty list/ },
  {
    name: '100 MB manifest.json',
    build: async (d) => {
      const p = join(d, 'huge-json.tar');
      writeParts(p, [rawHeader({ name: 'manifest.json', size: 100 * 1024 * 1024 }), Buffer.from('['), Buffer.alloc(100 * 1024 * 1024 - 2, 0x20), Buffer.from(']'), END]);
      return p;
    },
    exit: ALL(3),
    member: /manifest\.json: 104857600 bytes is over the 16777216-byte limit for JSON members \(raise it with --max-json-bytes\)/,
  },
  {
    name: '100 MB manifest.json in a gzip-compressed save',
    build: async (d) => {
      const body = Buffer.alloc(100 * 1024 * 1024, 0x20);
      body[0] = 0x5b;
      body[body.length - 1] = 0x5d;
      const p = join(d, 'huge-json.tar.gz');
      writeFileSync(p, gzipSync(Buffer.concat([rawHeader({ name: 'manifest.json', size: body.length }), body, END]), { level: 1 }));
      return p;
    },
    exit: ALL(3),
    member: /manifest\.json: 104857600 bytes is over the 16777216-byte limit/,
  },
  {
    name: 'deeply nested manifest.json ([[[[… a million deep)',
    build: (d) => dockerArchive(d, 'deep-manifest.tar', { manifest: '['.repeat(1_000_000) + ']'.repeat(1_000_000) }),
    exit: ALL(3),
    member: /manifest\.json: JSON is nested more than 256 levels deep/,
  },
  {
    name: 'deeply nested config ({"a":{"a":… 5000 deep)',
    build: (d) => dockerArchive(d, 'deep-config.tar', { config: '{"a":'.repeat(5000) + '1' + '}'.repeat(5000) }),
    exit: ALL(3),
    member: /\.json: JSON is nested more than 256 levels deep/,
  },
  {
    name: 'non-UTF-8 and control-character names (outer members and layer entries)',
    build: async (d) => {
      const layer = Buffer.concat([
        rawHeader({ name: Buffer.from([0x62, 0x61, 0x64, 0xff, 0xfe, 0x2e, 0x74, 0x78, 0x74]), size: 0 }),
        rawHeader({ name: 'esc\x1b[2J\x1b[31mred', size: 0 }),
        rawHeader({ name: 'new\nline', size: 0 }),
        END,
      ]);
      return ociDir(d, 'names', [layer], [sha(layer)]);
    },
    exit: ALL(0),
  },
  {
    name: 'a member name with a newline and terminal escapes, referenced and missing (the message stays one line)',
    build: (d) => dockerArchive(d, 'newline-ref.tar', { layerRefs: ['evil\n\x1b[31mname.tar', 'b.tar'] }),
    exit: { images: 3, layers: 3, history: 3, verify: 1 },
    member: /evil\\x0a\\x1b\[31mname\.tar: member is missing/,
  },
  {
    name: 'layer entries that climb out: ../../etc/cron.d/x, /etc/passwd, a symlink to /etc/passwd, a hard link to ../../etc/shadow',
    // listing a layer extracts nothing: these are names in a table, and nothing is written anywhere
    build: async (d) => {
      const layer = Buffer.concat([
        rawHeader({ name: '../../etc/cron.d/x', size: 5 }), pad(Buffer.from('evil\n')),
        rawHeader({ name: '/etc/passwd', size: 5 }), pad(Buffer.from('root\n')),
        rawHeader({ name: 'passwd-link', size: 0, type: '2', linkname: '/etc/passwd' }),
        rawHeader({ name: 'up-link', size: 0, type: '2', linkname: '../../../../etc/passwd' }),
        rawHeader({ name: 'shadow-hard', size: 0, type: '1', linkname: '../../etc/shadow' }),
        END,
      ]);
      return ociDir(d, 'climbing-entries', [layer], [sha(layer)]);
    },
    exit: ALL(0),
  },
  {
    name: 'a raw non-UTF-8 outer member name',
    build: async (d) => dockerArchive(d, 'raw-name.tar', { raw: [rawHeader({ name: Buffer.from([0xc3, 0x28, 0xa0, 0xa1]), size: 5 }), pad(Buffer.from('hello'))] }),
    exit: ALL(0),
  },
  {
    name: 'tar header whose size lies: larger than the archive',
    build: async (d) => { const p = join(d, 'size-big.tar'); writeFileSync(p, Buffer.concat([rawHeader({ name: 'manifest.json', size: 1024 ** 3 }), pad(Buffer.from('[]')), END])); return p; },
    exit: ALL(3),
    member: /manifest\.json: truncated: the header says 1073741824 bytes/,
  },
  {
    name: 'tar header whose size lies: smaller than the body',
    build: async (d) => dockerArchive(d, 'size-small.tar', { raw: [rawHeader({ name: 'junk', size: 10 }), pad(Buffer.alloc(3000, 0x41))] }),
    exit: ALL(3),
    member: /corrupt tar header at byte 1024 \(after junk\)/,
  },
  {
    name: 'tar header with a base-256 size of 2^80',
    build: async (d) => {
      const field = Buffer.alloc(12);
      field[0] = 0x80;
      field[2] = 0x01; // 2^80 in the remaining 11 bytes
      const p = join(d, 'size-b256.tar');
      writeFileSync(p, Buffer.concat([rawHeader({ name: 'manifest.json', size: 0, sizeField: field }), END]));
      return p;
    },
    exit: ALL(3),
    member: /manifest\.json: truncated: the header says/,
  },
  {
    name: 'a layer tar whose header size lies',
    build: async (d) => { const layer = Buffer.concat([rawHeader({ name: 'f', size: 5000 }), pad(Buffer.from('short')), END]); return ociDir(d, 'layer-size-lie', [layer], [sha(layer)]); },
    exit: BODY(3, 3),
    member: /blobs\/sha256\/[0-9a-f]{64}: not a readable tar layer/,
  },
  {
    name: 'duplicate member names: a second manifest.json that is null (the last wins, as extraction would)',
    build: (d) => dockerArchive(d, 'dup-manifest.tar', { extra: [{ name: 'manifest.json', body: json([{ Config: 'x.json', Layers: [] }]) }], manifest: 'null' }),
    exit: ALL(3),
    member: /manifest\.json: is null/,
  },
  {
    name: 'duplicate member names: a layer twice with different bodies (the last is read, as Docker\'s loader does; a warning names it; exit 1)',
    build: async (d) => {
      const l = await layers();
      return dockerArchive(d, 'dup-layer.tar', { omitLayers: true, extra: [{ name: 'a.tar', body: l.layers[1]! }, { name: 'a.tar', body: l.layers[0]! }, { name: 'b.tar', body: l.layers[1]! }] });
    },
    exit: ALL(1),
    warning: /^layerdig: WARNING: \S*dup-layer\.tar: hostile outer member: a\.tar \(2 members of this name: the last one is read, as Docker's loader does\)/,
  },
  {
    name: 'the same, gzip-compressed (docker save | gzip): the same warning from the one sequential pass',
    build: async (d) => {
      const fs = await import('node:fs');
      const l = await layers();
      const plain = await dockerArchive(d, 'dup-layer-src.tar', { omitLayers: true, extra: [{ name: 'a.tar', body: l.layers[1]! }, { name: 'a.tar', body: l.layers[0]! }, { name: 'b.tar', body: l.layers[1]! }] });
      const p = join(d, 'dup-layer.tar.gz');
      writeFileSync(p, gzipSync(fs.readFileSync(plain)));
      return p;
    },
    exit: ALL(1),
    warning: /^layerdig: WARNING: \S*dup-layer\.tar\.gz: hostile outer member: a\.tar \(2 members of this name/,
  },
  {
    name: 'several hostile members at once: still one warning line, naming each',
    build: async (d) => {
      const l = await layers();
      return dockerArchive(d, 'many-hostile.tar', { extra: [{ name: '../up.tar', body: l.layers[0]! }, { name: '/abs.tar', body: l.layers[0]! }, { name: 'b.tar', body: l.layers[1]! }] });
    },
    exit: ALL(1),
    warning: /^layerdig: WARNING: \S*many-hostile\.tar: hostile outer members: \.\.\/up\.tar \(a name that climbs out with \.\.\); \/abs\.tar \(an absolute name\); b\.tar \(2 members of this name/,
  },
  {
    name: 'a layer that is not a tar (random bytes)',
    build: async (d) => { const junk = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 7919 + 13) % 251)); return ociDir(d, 'not-tar', [junk], [sha(junk)]); },
    exit: BODY(3, 3),
    member: /blobs\/sha256\/[0-9a-f]{64}: not a readable tar layer/,
  },
  {
    name: 'a layer that is a JSON document',
    build: async (d) => { const j = Buffer.from(json({ hello: 'world', pad: 'x'.repeat(600) })); return ociDir(d, 'json-layer', [j], [sha(j)]); },
    exit: BODY(3, 3),
    member: /blobs\/sha256\/[0-9a-f]{64}: not a readable tar layer/,
  },
  {
    name: 'directory loops via symlinks in an OCI layout dir (loop -> ., blobs/sha256/up -> ../..)',
    build: async (d) => {
      const l = await layers();
      const root = ociDir(d, 'dir-loops', l.layers, l.diffIds);
      symlinkSync('.', join(root, 'loop'));
      symlinkSync('../..', join(root, 'blobs', 'sha256', 'up'));
      symlinkSync('.', join(root, 'blobs', 'self'));
      return root;
    },
    exit: ALL(0),
  },
  {
    name: 'an OCI layout whose blobs directory is a symlink to itself',
    build: async (d) => {
      const l = await layers();
      const root = ociDir(d, 'blobs-loop', l.layers, l.diffIds);
      await import('node:fs').then((fs) => fs.rmSync(join(root, 'blobs'), { recursive: true }));
      symlinkSync('blobs', join(root, 'blobs'));
      return root;
    },
    exit: { images: 3, layers: 3, history: 3, verify: 3 },
    member: /blobs\/sha256\/[0-9a-f]{64}: directory symlink loop/,
  },
  {
    name: 'a directory tree with symlink loops around an image (a -> ., b -> ., up -> ..), searched recursively',
    build: async (d) => {
      const l = await layers();
      const tree = join(d, 'tree');
      mkdirSync(tree);
      ociDir(tree, 'img', l.layers, l.diffIds);
      symlinkSync('.', join(tree, 'a'));
      symlinkSync('.', join(tree, 'b'));
      symlinkSync('..', join(tree, 'up'));
      return tree;
    },
    exit: { images: 0, layers: 3, history: 3, verify: 0 }, // layers/history take one archive, and a tree is not one
    member: /not a container image archive/,
  },
  {
    name: 'a config whose diff_ids count differs from the layers',
    build: async (d) => { const l = await layers(); return dockerArchive(d, 'count.tar', { config: config([l.diffIds[0]!]) }); },
    exit: { images: 3, layers: 3, history: 3, verify: 1 },
    member: /\.json: the config lists 1 diffIDs but the manifest has 2 layers/,
  },
  {
    name: 'a config with junk types (history [null, 5, "x"], created 5, architecture {}, config "str")',
    build: async (d) => {
      const l = await layers();
      return dockerArchive(d, 'junk-config.tar', { config: json({ architecture: {}, os: [], created: 5, config: 'str', rootfs: { type: 'layers', diff_ids: l.diffIds }, history: [null, 5, 'x', { created_by: 7, empty_layer: 'yes' }] }) });
    },
    exit: ALL(0),
  },
  {
    name: '__proto__ keys in manifest.json, LayerSources and the config',
    build: async (d) => {
      const l = await layers();
      const cfg = `{"__proto__":{"polluted":1},"architecture":"amd64","os":"linux","rootfs":{"diff_ids":${json(l.diffIds)}},"config":{"__proto__":{"User":"root"}}}`;
      return dockerArchive(d, 'proto.tar', { config: cfg, manifest: `[{"__proto__":{"Config":"x"},"Config":"${hex(cfg)}.json","Layers":["a.tar","b.tar"],"LayerSources":{"__proto__":{"digest":"sha256:${'1'.repeat(64)}"}}}]` });
    },
    exit: { images: 0, layers: 0, history: 0, verify: 1 }, // verify: a LayerSources key that is no diffID
  },
];

/** Inputs some cases derive from (a plain docker archive to gzip). */
export async function prepare(dir: string): Promise<void> {
  const p = await dockerArchive(dir, 'plain-src.tar');
  const fs = await import('node:fs');
  fs.copyFileSync(p, join(dir, 'plain-for-bomb.tar'));
}
