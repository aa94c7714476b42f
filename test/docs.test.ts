import { describe, expect, it } from 'vitest';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { ROOT } from './helpers/cli.js';

/**
 * The documentation maps to the code (issue 12 §7): the README stays a newcomer's page, every folder
 * of src/ is named in docs/design.md, every page of docs/ is in its table of contents, and no
 * relative link or anchor points nowhere. Anchors are GitHub's: the heading lower-cased, punctuation
 * other than '-' and '_' dropped, spaces turned into '-'.
 */
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const docs = readdirSync(join(ROOT, 'docs')).filter((f) => f.endsWith('.md'));

function dirsUnder(dir: string): string[] {
  return readdirSync(dir).map((n) => join(dir, n)).filter((p) => statSync(p).isDirectory()).flatMap((p) => [p, ...dirsUnder(p)]);
}

function anchors(md: string): Set<string> {
  const out = new Set<string>();
  let fence = false;
  for (const line of md.split('\n')) {
    if (line.startsWith('```')) fence = !fence;
    const m = /^#{1,6} (.*)$/.exec(line);
    if (m && !fence) out.add(m[1]!.trim().toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, '').replace(/ /g, '-'));
  }
  return out;
}

describe('docs map to the code', () => {
  it('the README is under 15 KB and keeps the two-command quick start', () => {
    const readme = read('README.md');
    expect(Buffer.byteLength(readme)).toBeLessThan(15 * 1024);
    expect(readme).toContain('npm ci && npm start');
    expect(readme).toMatch(/^npm test\b/m);
    const start = (JSON.parse(read('package.json')) as { scripts: { start: string } }).scripts.start;
    expect(existsSync(join(ROOT, start.split(' ').at(-1)!))).toBe(true);
  });

  it('every folder of src/ is named in docs/design.md', () => {
    const design = read('docs/design.md');
    const missing = dirsUnder(join(ROOT, 'src')).map((d) => `${relative(join(ROOT, 'src'), d)}/`).filter((d) => !design.includes(`\`${d}`));
    expect(missing).toEqual([]);
  });

  it('every page of docs/ is listed in docs/README.md', () => {
    const toc = read('docs/README.md');
    expect(docs.filter((f) => f !== 'README.md' && !toc.includes(`](${f})`))).toEqual([]);
  });

  it('every relative link and anchor of README.md, docs/ and fixtures/README.md resolves', () => {
    const bad: string[] = [];
    for (const file of ['README.md', 'fixtures/README.md', ...docs.map((f) => `docs/${f}`)]) {
      for (const [, target] of read(file).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target!)) continue;
        const [path, anchor] = target!.split('#') as [string, string | undefined];
        const to = path ? join(dirname(file), path) : file;
        if (!existsSync(join(ROOT, to))) bad.push(`${file}: ${target} (no such file)`);
        else if (anchor && to.endsWith('.md') && !anchors(read(to)).has(anchor)) bad.push(`${file}: ${target} (no such heading)`);
      }
    }
    expect(bad).toEqual([]);
  });
});
