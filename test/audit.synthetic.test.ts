import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tmp.js';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import tarStream from 'tar-stream';
import { run } from './helpers/cli.js';

/**
 * A docker-archive built here with secrets, a setuid binary, a device node,
 * links and a deleted private key, audited through the CLI: what each output
 * format shows, and that no secret value is ever printed in full.
 */

type Ent = { name: string; body?: string; type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device'; mode?: number; uid?: number; linkname?: string; pax?: Record<string, string> };

async function tarOf(entries: Ent[]): Promise<Buffer> {
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const done = new Promise<void>((res) => pack.on('end', () => res()));
  for (const e of entries) {
    await new Promise<void>((res, rej) => pack.entry({
      name: e.name, type: e.type ?? 'file', mode: e.mode ?? 0o644, uid: e.uid ?? 0, gid: 0, linkname: e.linkname, pax: e.pax,
      ...(e.type === 'character-device' ? { devmajor: 1, devminor: 3 } : {}),
    }, e.body ?? '', (err) => (err ? rej(err) : res())));
  }
  pack.finalize();
  await done;
  return Buffer.concat(chunks);
}

const SECRET_VALUE = 'sk_live_51H8xQzL2eZvKYlo2CabcdefGHIJ';
const DB_URL_PASSWORD = 'Tr0ub4dor&3-very-long';
let dir = '';
let archive = '';

beforeAll(async () => {
  dir = tempDir('ld-audit-syn-');
  const l0 = await tarOf([
    { name: 'root/', type: 'directory', mode: 0o700 },
    { name: 'root/.ssh/', type: 'directory', mode: 0o700 },
    { name: 'root/.ssh/id_rsa', body: '-----BEGIN OPENSSH PRIVATE KEY-----\nxxxx\n', mode: 0o600 },
    { name: 'app/', type: 'directory' },
    { name: 'app/.env', body: `STRIPE_KEY=${SECRET_VALUE}\n` },
    { name: 'app/run', body: '#!/bin/sh\n', mode: 0o4755 },
    { name: 'app/shared/', type: 'directory', mode: 0o777 },
    { name: 'app/escape', type: 'symlink', linkname: '../../../../etc/shadow', mode: 0o777 },
    { name: 'etc/', type: 'directory' },
    { name: 'etc/shadow', body: 'root:*:19000:0:99999:7:::\n', mode: 0o640 },
    { name: 'app/shadow-copy', type: 'link', linkname: 'etc/shadow' },
    { name: 'dev/', type: 'directory' },
    { name: 'dev/mem', type: 'character-device', mode: 0o660 },
  ]);
  const l1 = await tarOf([
    { name: 'root/', type: 'directory', mode: 0o700 },
    { name: 'root/.ssh/', type: 'directory', mode: 0o700 },
    { name: 'root/.ssh/.wh.id_rsa', body: '' },
  ]);
  const diff = (b: Buffer) => `sha256:${createHash('sha256').update(b).digest('hex')}`;
  const config = Buffer.from(JSON.stringify({
    architecture: 'amd64', os: 'linux',
    config: { User: '', Env: ['PATH=/usr/bin', `STRIPE_API_KEY=${SECRET_VALUE}`, `DATABASE_URL=postgres://app:${DB_URL_PASSWORD}@db/app`], ExposedPorts: { '22/tcp': {} } },
    rootfs: { type: 'layers', diff_ids: [diff(l0), diff(l1)] },
    history: [{ created_by: 'ADD l0' }, { created_by: 'RUN rm /root/.ssh/id_rsa' }],
  }));
  const pack = tarStream.pack();
  const chunks: Buffer[] = [];
  pack.on('data', (c) => chunks.push(c as Buffer));
  const end = new Promise<void>((res) => pack.on('end', () => res()));
  const add = (name: string, body: Buffer) => new Promise<void>((res, rej) => pack.entry({ name, size: body.length }, body, (e) => (e ? rej(e) : res())));
  await add('l0/layer.tar', l0);
  await add('l1/layer.tar', l1);
  await add('config.json', config);
  await add('manifest.json', Buffer.from(JSON.stringify([{ Config: 'config.json', RepoTags: ['leaky:1'], Layers: ['l0/layer.tar', 'l1/layer.tar'] }])));
  pack.finalize();
  await end;
  archive = join(dir, 'leaky.tar');
  writeFileSync(archive, Buffer.concat(chunks));
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

interface Finding { rule: string; severity: string; path: string | null; layerIndex: number | null; detail: string }

describe('audit of a leaky synthetic image', () => {
  it('finds each risk, with the layer that introduced it', () => {
    const r = run(['audit', archive, '--json']);
    expect(r.code).toBe(0);
    const fs = (JSON.parse(r.stdout) as { findings: Finding[] }).findings;
    const got = fs.map((f) => `${f.severity} ${f.rule} ${f.path ?? '-'} @${f.layerIndex ?? '-'}`);
    expect(got).toEqual([
      'critical recoverable-secret root/.ssh/id_rsa @0',
      'high secret-file app/.env @0',
      'high secret-env - @-',
      'high secret-env - @-',
      'high setuid-root app/run @0',
      'high hardlink-sensitive app/shadow-copy @0',
      'medium world-writable-dir app/shared @0',
      'medium device-node dev/mem @0',
      'medium symlink-escapes-root app/escape @0',
      'medium runs-as-root - @-',
      'info exposed-port - @-',
    ]);
    expect(fs[0]!.detail).toBe('41 bytes in layer 0, deleted by layer 1 (whiteout); named like a private key (id_<type>)');
  });

  it.each([['table', []], ['json', ['--json']], ['sarif', ['--format', 'sarif']], ['no-trunc table', ['--no-trunc']]])('%s output never prints a secret value in full', (_n, args) => {
    const r = run(['audit', archive, ...(args as string[])]);
    expect(r.stdout).toContain('STRIPE_API_KEY');
    expect(r.stdout).not.toContain(SECRET_VALUE);
    expect(r.stdout).not.toContain(SECRET_VALUE.slice(0, 8));
    expect(r.stdout).not.toContain(DB_URL_PASSWORD);
    expect(r.stdout).toContain(`(${SECRET_VALUE.length} chars)`);
  });

  it('--fail-on critical exits 1 here; the table ends with the counts', () => {
    expect(run(['audit', archive, '--fail-on', 'critical']).code).toBe(1);
    const t = run(['audit', archive]).stdout;
    expect(t.trim().split('\n').at(-1)).toBe('11 findings: 1 critical, 5 high, 4 medium, 0 low, 1 info');
    expect(t).toMatch(/^CRITICAL\s+recoverable-secret\s+0\s+\/root\/\.ssh\/id_rsa/m);
  });
});
