import { describe, expect, it, beforeAll } from 'vitest';
import { join } from 'node:path';
import { runInProcess } from './helpers/cli.js';
import { writeDockerArchive } from './helpers/hostile-archive.js';
import { tempDir } from './helpers/tmp.js';

/**
 * One escaping routine for every byte that reaches a terminal: names holding
 * C0 controls, DEL, C1 controls (0x80-0x9f: 0x9b is a one-byte CSI on some
 * terminals), line separators and bidi overrides/isolates are escaped by every
 * renderer (ls long listing and --tree included), and --json keeps the value
 * while writing them as \uXXXX. The expected escapes are written by hand from
 * the code points (C0/C1/DEL as \xHH, the rest as \uHHHH).
 */
const NASTY: [string, string][] = [
  ['esc\x1b[2Jx', 'esc\\x1b[2Jx'],
  ['del\x7fx', 'del\\x7fx'],
  ['nel\u0085x', 'nel\\x85x'],
  ['csi\u009b31mx', 'csi\\x9b31mx'],
  ['rlo\u202Egpj.exe', 'rlo\\u202egpj.exe'],
  ['lre\u202Ax', 'lre\\u202ax'],
  ['lri\u2066x\u2069', 'lri\\u2066x\\u2069'],
  ['ls\u2028x', 'ls\\u2028x'],
];
const RAW = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;

let archive: string;
beforeAll(async () => {
  archive = join(tempDir('layerdig-printable-'), 'names.tar');
  await writeDockerArchive(archive, [[
    { name: 'd/', type: 'directory' },
    ...NASTY.map(([n]) => ({ name: `d/${n}`, body: 'x' })),
    { name: 'd/link', type: 'symlink' as const, linkname: `to\u202Eevil\u009b` },
  ]], 'names:1');
});

describe('names with control characters and bidi overrides are escaped everywhere', () => {
  for (const args of [['ls'], ['ls', '--tree'], ['ls', '--changes'], ['ls', '--layer', '0'], ['file', 'd/*']] as const) {
    it(`${args.join(' ')}`, async () => {
      const argv = args[0] === 'file' ? [...args, archive] : [args[0], archive, ...args.slice(1)];
      const r = await runInProcess(argv);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).not.toMatch(RAW);
      for (const [, shown] of NASTY) expect(r.stdout).toContain(shown);
      if (args[0] === 'ls') expect(r.stdout).toContain('to\\u202eevil\\x9b');
    });
  }

  it('--json: the same values, every such character written as \\uXXXX', async () => {
    const r = await runInProcess(['ls', archive, '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW);
    expect(r.stdout).toContain('rlo\\u202egpj.exe');
    const doc = JSON.parse(r.stdout) as { entries: { path: string; linkTarget: string | null }[] };
    const paths = doc.entries.map((e) => e.path);
    for (const [name] of NASTY) expect(paths).toContain(`d/${name}`);
    expect(doc.entries.find((e) => e.path === 'd/link')!.linkTarget).toBe('to\u202Eevil\u009b');
  });

  it('diff against an image without them names each escaped', async () => {
    const other = join(tempDir('layerdig-printable-'), 'plain.tar');
    await writeDockerArchive(other, [[{ name: 'd/', type: 'directory' }]], 'plain:1');
    const r = await runInProcess(['diff', other, archive]);
    expect(r.stdout).not.toMatch(RAW);
    for (const [, shown] of NASTY) expect(r.stdout).toContain(shown);
  });
});
