import { describe, expect, it } from 'vitest';
import { cleanCompletions } from '../src/cli/completion.js';

describe('completion candidates are real options', () => {
  it('one-letter aliases as -x, default-true booleans as --no-…', () => {
    expect(cleanCompletions(['--help', '--json', '--trunc', '--quiet', '--q', '--jobs', '--j', '-i', 'layers'], new Set(['trunc'])))
      .toEqual(['--help', '--json', '--no-trunc', '--quiet', '-q', '--jobs', '-j', '-i', 'layers']);
  });
});

describe('the completion script completes through this install, wherever layerdig was started from', () => {
  it('bash: commands, then real options only', async () => {
    const { runInProcess } = await import('./helpers/cli.js');
    const { spawnSync } = await import('node:child_process');
    const script = (await runInProcess(['completion'])).stdout;
    const complete = (words: string[]) => spawnSync('bash', ['-c',
      `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _layerdig_completions; printf '%s\\n' "\${COMPREPLY[@]}"`,
    ], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } }).stdout.split('\n').filter(Boolean);
    // PATH has no layerdig: the script calls this node and this bin file
    expect(complete(['layerdig', 'lay'])).toEqual(['layers']);
    const opts = complete(['layerdig', 'layers', '--']);
    expect(opts).toContain('--no-trunc');
    expect(opts).toContain('--image');
    expect(opts.filter((o) => /^--.$/.test(o))).toEqual([]);
  });
});

describe('skip lines: each path once, a repeated reason summed up', () => {
  it('names the path once and folds four or more files with one reason into one line', async () => {
    const { skipLines } = await import('../src/cli/context.js');
    const why = (p: string) => `${p}: not a tar archive, a compressed tar or an image directory`;
    const many = ['d/a.txt', 'd/b.txt', 'd/c.txt', 'd/e.txt'].map((path) => ({ path, why: why(path) }));
    expect(skipLines([...many, { path: 'd/empty', why: 'd/empty: empty (0 bytes)' }])).toEqual([
      '4 files skipped: not a tar archive, a compressed tar or an image directory (d/a.txt, d/b.txt, d/c.txt, …)',
      'skipped d/empty: empty (0 bytes)',
    ]);
    expect(skipLines(many.slice(0, 2))).toEqual([
      'skipped d/a.txt: not a tar archive, a compressed tar or an image directory',
      'skipped d/b.txt: not a tar archive, a compressed tar or an image directory',
    ]);
  });
});
