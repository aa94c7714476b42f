import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import tarStream from 'tar-stream';

/** One entry of a synthetic layer, written verbatim (hostile names included). */
export interface SynthEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  body?: string | Buffer;
  linkname?: string;
  mode?: number;
  uid?: number;
  gid?: number;
  pax?: Record<string, string>;
}

/** A tar (as bytes) with these entries, written by tar-stream. */
export async function tarOf(entries: SynthEntry[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c: unknown) => { chunks.push(c as Buffer); });
  const done = new Promise<void>((resolve, reject) => { pack.on('end', resolve); pack.on('error', reject); });
  for (const e of entries) {
    const type = e.type ?? 'file';
    const body = e.body === undefined ? undefined : Buffer.isBuffer(e.body) ? e.body : Buffer.from(e.body);
    const header = {
      name: e.name, type, linkname: e.linkname, mode: e.mode ?? (type === 'directory' ? 0o755 : type === 'symlink' ? 0o777 : 0o644),
      uid: e.uid ?? 0, gid: e.gid ?? 0, mtime: new Date(1_700_000_000_000), size: type === 'file' ? body?.length ?? 0 : 0, pax: e.pax,
    };
    await new Promise<void>((resolve, reject) => {
      const cb = (err?: Error | null) => (err ? reject(err) : resolve());
      if (type === 'file') pack.entry(header, body ?? Buffer.alloc(0), cb);
      else pack.entry(header, cb);
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const sha = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;

/**
 * A `docker save`-style archive (manifest.json, config, one tar per layer)
 * holding one image whose layers are these entry lists.
 */
export async function writeDockerArchive(path: string, layers: SynthEntry[][], tag = 'synth:1'): Promise<{ diffIds: string[] }> {
  const blobs = await Promise.all(layers.map(tarOf));
  const diffIds = blobs.map(sha);
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux', created: '2024-01-01T00:00:00Z', config: {},
    rootfs: { type: 'layers', diff_ids: diffIds },
    history: layers.map((_, i) => ({ created: '2024-01-01T00:00:00Z', created_by: `layer ${i}` })),
  }));
  const configName = `${sha(config).slice(7)}.json`;
  const layerNames = diffIds.map((d) => `${d.slice(7)}/layer.tar`);
  const manifest = Buffer.from(JSON.stringify([{ Config: configName, RepoTags: [tag], Layers: layerNames }]));
  const outer: SynthEntry[] = [
    { name: configName, body: config },
    ...blobs.map((b, i) => ({ name: layerNames[i]!, body: b })),
    { name: 'manifest.json', body: manifest },
  ];
  writeFileSync(path, await tarOf(outer));
  return { diffIds };
}
