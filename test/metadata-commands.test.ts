import { describe, expect, it } from 'vitest';
import { copyFileSync, openSync, writeSync, closeSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, run, runJson } from './helpers/cli.js';
import { tempDir } from './helpers/synth.js';
import type { Truth } from './helpers/truth.js';

const truthOf = (rel: string) => JSON.parse(readFileSync(join(FIXTURES, 'real', `${rel}.truth.json`), 'utf8')) as Truth;

describe('inspect', () => {
  it('is a docker-inspect-like document matching the truth config', () => {
    const t = truthOf('fixture/fixture.oci-archive-gzip').images[0]!;
    const [doc] = runJson<any[]>(['inspect', join(FIXTURES, 'real/fixture/fixture.oci-archive-gzip.tar')]);
    expect(doc.Id).toBe(t.image_id);
    expect(doc.ManifestDigest).toBe(t.manifest_digest);
    expect(doc.RootFS).toEqual({ Type: 'layers', Layers: t.diff_ids });
    expect(doc.Architecture).toBe(t.architecture);
    expect(doc.Os).toBe(t.os);
    expect(doc.Created).toBe(t.created);
    for (const [k, v] of Object.entries(t.config)) expect(doc.Config[k]).toEqual(v);
    expect(doc.History.length).toBe(t.history.length);
  });
});

describe('metadata commands read JSON members only', () => {
  it('images, history, inspect and layers with --no-content succeed when every layer body is garbage', () => {
    const t = truthOf('app1/app1.docker-archive');
    const p = join(tempDir(), 'app1.tar');
    copyFileSync(join(FIXTURES, 'real/app1/app1.docker-archive.tar'), p);
    // overwrite each layer body (after its first 8 bytes, which are sniffed) with 0xff, using offsets from GNU tar's view
    const fd = openSync(p, 'r+');
    const buf = readFileSync(p);
    for (const l of t.images[0]!.layers) {
      const nameAt = buf.indexOf(Buffer.from(l.blob_path));
      const bodyAt = nameAt + 512;
      writeSync(fd, Buffer.alloc(Math.min(l.blob_size, 4096) - 8, 0xff), 0, undefined, bodyAt + 8);
    }
    closeSync(fd);
    for (const cmd of [['images', '--no-content'], ['history', '--no-content'], ['inspect', '--no-content'], ['layers', '--no-content']]) {
      const r = run([...cmd, p, '--json']);
      expect(r.code, cmd.join(' ')).toBe(0);
    }
    expect(runJson<any[]>(['layers', p, '--no-content', '--no-trunc'])[0].layers.map((l: any) => l.chainId)).toEqual(t.images[0]!.chain_ids);
    // the content pass (layers; images, history and inspect for Docker's SIZE) does read the bodies, and says so
    for (const cmd of ['layers', 'images', 'history', 'inspect']) {
      const r = run([cmd, p]);
      expect(r.code, cmd).not.toBe(0);
      expect(r.stderr, cmd).toMatch(/app1\.tar!/);
    }
  });
});
