import { afterEach, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { run, FIXTURES } from './helpers/cli.js';
import { closest, editDistance } from '../src/cli/usage.js';

const IMG = join(FIXTURES, 'real', 'app1', 'app1.docker-archive.tar');
const MULTI = join(FIXTURES, 'real', 'multi', 'multi.oci-gzip');

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
function temp(): string {
  const d = mkdtempSync(join(tmpdir(), 'layerdig-usage-'));
  dirs.push(d);
  return d;
}

/** A usage error: exit 2, nothing on stdout, exactly one line on stderr. */
function usageError(args: string[], cwd?: string): string {
  const r = run(args, cwd ? { cwd } : {});
  expect(r.code, r.stderr).toBe(2);
  expect(r.stdout).toBe('');
  const lines = r.stderr.trimEnd().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  expect(lines[0]).toMatch(/^layerdig: /);
  return lines[0]!;
}

describe('arguments are checked before the command runs', () => {
  it('extract with an unknown option writes nothing', () => {
    const d = temp();
    const line = usageError(['extract', IMG, 'etc/os-release', '-o', join(d, 'out'), '--bogus']);
    expect(line).toContain('extract: unknown option --bogus');
    expect(readdirSync(d)).toEqual([]);
  });

  it('ci with a misspelt rule judges nothing, writes no JUnit file, and suggests the rule', () => {
    const d = temp();
    const line = usageError(['ci', IMG, '--lowestEfficency', '0.99', '--junit', join(d, 'gate.xml')]);
    expect(line).toBe('layerdig: ci: unknown option --lowestEfficency (did you mean --lowestEfficiency?)');
    expect(readdirSync(d)).toEqual([]);
  });

  it('a missing input names what is missing, and no internal error follows', () => {
    expect(usageError(['layers'])).toBe('layerdig: layers: missing <input> (usage: layerdig layers <input>)');
    expect(usageError(['extract', IMG])).toMatch(/^layerdig: extract: missing <paths\.\.\.>/);
  });

  it('export and extract without -o: one sentence, nothing written in the working directory', () => {
    const d = temp();
    expect(usageError(['export', IMG], d)).toMatch(/^layerdig: export: missing --output \(-o\)/);
    expect(usageError(['extract', IMG, 'etc'], d)).toMatch(/^layerdig: extract: missing --output \(-o\)/);
    expect(readdirSync(d)).toEqual([]);
  });

  it('an unknown command suggests the closest one', () => {
    expect(usageError(['layrs', IMG])).toBe('layerdig: unknown command `layrs`: did you mean `layers`?');
    expect(usageError(['histroy', IMG])).toBe('layerdig: unknown command `histroy`: did you mean `history`?');
    expect(usageError(['frobnicate'])).toMatch(/unknown command `frobnicate` \(run 'layerdig --help' for usage\)/);
    expect(usageError([])).toMatch(/name a command/);
  });

  it('a misspelt option suggests the closest; --no-<boolean> is known; an extra argument is named', () => {
    expect(usageError(['layers', IMG, '--josn'])).toBe('layerdig: layers: unknown option --josn (did you mean --json?)');
    expect(usageError(['layers', IMG, '--max-jsn-bytes', '5'])).toContain('did you mean --max-json-bytes?');
    expect(usageError(['layers', IMG, '--no-contnet'])).toMatch(/unknown option --no-contnet/);
    expect(usageError(['layers', IMG, 'extra'])).toMatch(/^layerdig: layers: unexpected argument extra/);
  });

  it('a number option given a word is a usage error before anything is read', () => {
    expect(usageError(['efficiency', IMG, '--top', 'many'])).toMatch(/^layerdig: efficiency: --top must be a number/);
    expect(usageError(['layers', IMG, '--jobs=two'])).toMatch(/--jobs must be a number/);
  });

  it('valid options still run (help, version, --no-trunc, -q)', () => {
    expect(run(['layers', IMG, '--no-content', '--no-trunc', '-q']).code).toBe(0);
    expect(run(['--version']).code).toBe(0);
    expect(run(['ci', '--help']).code).toBe(0);
  });
});

describe('one selection rule: an ambiguous -i exits 2 with the candidates on every command', () => {
  // a one-hex-digit prefix that starts the image ID or manifest digest of two or more distinct images,
  // computed from the truth file (written from skopeo's output), not from layerdig
  const truth = JSON.parse(readFileSync(`${MULTI}.truth.json`, 'utf8')) as { images: { image_id: string; manifest_digest: string }[] };
  const byId = new Map<string, Set<string>>();
  for (const i of truth.images) byId.set(i.image_id, new Set([...(byId.get(i.image_id) ?? []), i.image_id.slice(7, 8), i.manifest_digest.slice(7, 8)]));
  const prefix = [...'0123456789abcdef'].find((c) => [...byId.values()].filter((s) => s.has(c)).length >= 2)!;
  const matching = [...byId.entries()].filter(([, s]) => s.has(prefix)).map(([id]) => id.slice(7, 19));

  it.each([
    ['layers'], ['history'], ['efficiency'], ['audit'], ['inspect'], ['ci'], ['base'], ['report', '--json'],
    ['ls'], ['cat', 'etc/os-release'], ['export', '-o', '-'],
  ])('%s', (cmd, ...rest) => {
    const r = run([cmd, MULTI, ...rest, '-i', prefix]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`"${prefix}" matches ${matching.length} images`);
    for (const id of matching) expect(r.stderr).toContain(id);
  });

  it('a prefix naming one image still selects it', () => {
    const [id] = byId.keys();
    const r = run(['history', MULTI, '-i', id!.slice(7, 19), '--json']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { image: { id: string } }[]).map((d) => d.image.id)).toEqual([id]);
  });
});

describe('suggestions', () => {
  it('edit distance counts a swap once', () => {
    expect(editDistance('layers', 'lyaers')).toBe(1);
    expect(editDistance('lowestEfficency', 'lowestEfficiency')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
  });
  it('nothing is suggested for a word far from every name', () => {
    expect(closest('zzzzzz', ['layers', 'history'])).toBeNull();
    expect(closest('imgs', ['images', 'inspect'])).toBe('images');
  });
});
