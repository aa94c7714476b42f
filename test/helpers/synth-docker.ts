import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tarStream from 'tar-stream';

/** One tar entry of a synthetic layer. */
export type SynthEntry =
  | { path: string; type?: 'file'; body: string | Buffer; mode?: number }
  | { path: string; type: 'dir'; mode?: number }
  | { path: string; type: 'symlink'; target: string }
  | { path: string; type: 'hardlink'; target: string };

export interface SynthImage {
  repoTags?: string[];
  /** each layer: its entries, or raw tar bytes */
  layers: (SynthEntry[] | Buffer)[];
  labels?: Record<string, string>;
  history?: { created_by: string; empty_layer?: boolean; comment?: string; created?: string }[];
  created?: string;
}

const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A tar-stream pack and the bytes it will have written once finalized. */
function collected(): { pack: tarStream.Pack; bytes: Promise<Buffer> } {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const bytes = new Promise<Buffer>((res, rej) => {
    pack.on('end', () => res(Buffer.concat(chunks)));
    pack.on('error', rej);
  });
  return { pack, bytes };
}

/** A layer tar, written by tar-stream (1024-byte end marker, no record padding). */
export async function layerTar(entries: SynthEntry[]): Promise<Buffer> {
  const { pack, bytes } = collected();
  for (const e of entries) {
    const h = { name: e.path, mtime: new Date(1_700_000_000_000), uid: 0, gid: 0 };
    if (e.type === 'dir') pack.entry({ ...h, type: 'directory', mode: e.mode ?? 0o755 });
    else if (e.type === 'symlink') pack.entry({ ...h, type: 'symlink', linkname: e.target, mode: 0o777 });
    else if (e.type === 'hardlink') pack.entry({ ...h, type: 'link', linkname: e.target, mode: 0o644 });
    else pack.entry({ ...h, type: 'file', mode: e.mode ?? 0o644 }, typeof e.body === 'string' ? Buffer.from(e.body) : e.body);
  }
  pack.finalize();
  return bytes;
}

/**
 * Write a `docker save`-style archive directory-free: a tar with
 * manifest.json, `<config-hex>.json` and `<diffid-hex>/layer.tar` per layer.
 * Returns its path and the image IDs and diffIDs written.
 */
export async function writeDockerArchive(dir: string, name: string, images: SynthImage[]): Promise<{ path: string; ids: string[]; diffIds: string[][] }> {
  mkdirSync(dir, { recursive: true });
  const { pack, bytes } = collected();
  const manifest = [];
  const ids: string[] = [];
  const allDiffIds: string[][] = [];
  const written = new Set<string>();
  for (const img of images) {
    const tars = await Promise.all(img.layers.map((l) => (Buffer.isBuffer(l) ? l : layerTar(l))));
    const diffIds = tars.map((t) => `sha256:${sha(t)}`);
    const config = {
      architecture: 'amd64',
      os: 'linux',
      created: img.created ?? '2024-01-01T00:00:00Z',
      config: img.labels ? { Labels: img.labels } : {},
      rootfs: { type: 'layers', diff_ids: diffIds },
      history: img.history ?? tars.map((_, i) => ({ created_by: `layer ${i}`, created: '2024-01-01T00:00:00Z' })),
    };
    const cfg = Buffer.from(JSON.stringify(config));
    const cfgHex = sha(cfg);
    ids.push(`sha256:${cfgHex}`);
    allDiffIds.push(diffIds);
    if (!written.has(cfgHex)) pack.entry({ name: `${cfgHex}.json` }, cfg);
    written.add(cfgHex);
    const layerPaths = [];
    for (const [i, t] of tars.entries()) {
      const p = `${diffIds[i]!.slice(7)}/layer.tar`;
      if (!written.has(p)) pack.entry({ name: p }, t);
      written.add(p);
      layerPaths.push(p);
    }
    manifest.push({ Config: `${cfgHex}.json`, RepoTags: img.repoTags ?? [], Layers: layerPaths });
  }
  pack.entry({ name: 'manifest.json' }, Buffer.from(JSON.stringify(manifest)));
  pack.finalize();
  const path = join(dir, name);
  writeFileSync(path, await bytes);
  return { path, ids, diffIds: allDiffIds };
}
