import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import tarStream from 'tar-stream';

/** Synthetic archives for edge cases no real tool wrote for us. */
export interface TarItem {
  name: string;
  body?: Buffer | string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  linkname?: string;
  mode?: number;
  pax?: Record<string, string>;
}

export async function tarBuffer(items: TarItem[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  const done = new Promise<void>((resolve, reject) => {
    pack.on('data', (c) => chunks.push(c as Buffer));
    pack.on('end', resolve);
    pack.on('error', reject);
  });
  for (const it of items) {
    const body = it.body === undefined ? undefined : Buffer.from(it.body);
    await new Promise<void>((resolve, reject) => {
      pack.entry({
        name: it.name, type: it.type ?? 'file', linkname: it.linkname, mode: it.mode ?? (it.type === 'directory' ? 0o755 : 0o644),
        mtime: new Date(0), size: body?.length ?? 0, pax: it.pax,
      }, body ?? null as never, (err) => (err ? reject(err) : resolve()));
    });
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

export const sha = (b: Buffer | string) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
export const hex = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
export const gz = (b: Buffer) => gzipSync(b);

export { tempDir } from './tmp.js';

/** Write files into a directory (an OCI layout or skopeo dir). */
export function writeTree(root: string, files: Record<string, Buffer | string>): string {
  for (const [name, body] of Object.entries(files)) {
    mkdirSync(dirname(join(root, name)), { recursive: true });
    writeFileSync(join(root, name), body);
  }
  return root;
}

export function json(v: unknown): string {
  return JSON.stringify(v);
}

/** A minimal image config for the given diffIDs. */
export function config(diffIds: string[], extra: Record<string, unknown> = {}): string {
  return json({
    architecture: 'amd64', os: 'linux', created: '2024-01-02T03:04:05Z',
    config: { Env: ['PATH=/bin'] }, rootfs: { type: 'layers', diff_ids: diffIds },
    history: diffIds.map((_, i) => ({ created: '2024-01-02T03:04:05Z', created_by: `step ${i}` })),
    ...extra,
  });
}

/** Two small layers, uncompressed, and their diffIDs. */
export async function twoLayers(): Promise<{ layers: Buffer[]; diffIds: string[] }> {
  const l1 = await tarBuffer([{ name: 'etc/', type: 'directory' }, { name: 'etc/hello', body: 'hello\n' }]);
  const l2 = await tarBuffer([{ name: 'app/', type: 'directory' }, { name: 'app/run.sh', body: '#!/bin/sh\necho hi\n', mode: 0o755 }]);
  return { layers: [l1, l2], diffIds: [sha(l1), sha(l2)] };
}

/** A pre-1.10 `docker save` of two layers (repositories + <id>/json parent chain + <id>/layer.tar), per the v1 layout. */
export async function dockerV1Tar(layers: Buffer[]): Promise<Buffer> {
  const [a, b] = ['1'.repeat(64), '2'.repeat(64)];
  return tarBuffer([
    { name: `${a}/json`, body: json({ id: a, created: '2015-01-01T00:00:00Z', container_config: { Cmd: ['/bin/sh', '-c', '#(nop) ADD base'] } }) },
    { name: `${a}/layer.tar`, body: layers[0]! },
    { name: `${b}/json`, body: json({ id: b, parent: a, created: '2015-01-02T00:00:00Z', os: 'linux', architecture: 'amd64', container_config: { Cmd: ['/bin/sh', '-c', 'make'] } }) },
    { name: `${b}/layer.tar`, body: layers[1]! },
    { name: 'repositories', body: json({ 'old/app': { v1: b } }) },
  ]);
}
