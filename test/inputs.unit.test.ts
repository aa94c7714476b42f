import { mkdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { searchInputs } from '../src/app/inputs.js';
import { tempDir } from './helpers/tmp.js';

/** The one directory search (commands' -r and `catalog index`), over a tree built here by hand. */
describe('searchInputs', () => {
  it('depth first in name order; a found symlinked directory is not searched; a loop ends; a dir named twice is searched once', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'b/sub'), { recursive: true });
    mkdirSync(join(root, 'a'));
    writeFileSync(join(root, 'a/x.tar'), 'x');
    writeFileSync(join(root, 'b/sub/y.tar'), 'y');
    writeFileSync(join(root, 'b/z.tar'), 'z');
    symlinkSync('..', join(root, 'b/up'));
    symlinkSync(join(root, 'a'), join(root, 'c-link'));
    const skipped: string[] = [];
    const visited: string[] = [];
    const found: string[] = [];
    // a file is an input; a directory is searched
    const visit = async (p: string) => {
      visited.push(relative(root, p) || '.');
      return statSync(p).isDirectory() ? { descend: true } : { out: relative(root, p), descend: false };
    };
    for await (const f of searchInputs([root, join(root, 'b')], visit, (p, why) => skipped.push(`${relative(root, p)}: ${why}`))) found.push(f);
    expect(found).toEqual(['a/x.tar', 'b/sub/y.tar', 'b/z.tar']);
    expect(skipped).toEqual([
      'b/up: a symbolic link to a directory that is not an image layout: not searched',
      'c-link: a symbolic link to a directory that is not an image layout: not searched',
    ]);
    // b, named again, is visited (the visitor decides it is no input) but not searched a second time
    expect(visited.filter((v) => v === 'b')).toEqual(['b', 'b']);
    expect(visited.filter((v) => v === 'b/z.tar')).toEqual(['b/z.tar']);
  });

  it('a symlinked directory named by the user is searched (as find -H does)', async () => {
    const root = tempDir();
    mkdirSync(join(root, 'real'));
    writeFileSync(join(root, 'real/x.tar'), 'x');
    symlinkSync(join(root, 'real'), join(root, 'named'));
    const found: string[] = [];
    const visit = async (p: string) => (statSync(p).isDirectory() ? { descend: true } : { out: relative(root, p), descend: false });
    for await (const f of searchInputs([join(root, 'named')], visit)) found.push(f);
    expect(found).toEqual(['named/x.tar']);
  });

  it('stops 32 directories below a named input', async () => {
    const root = tempDir();
    const deep = join(root, ...Array.from({ length: 40 }, (_, i) => `d${i}`));
    mkdirSync(deep, { recursive: true });
    for (const n of [31, 32, 33]) writeFileSync(join(root, ...Array.from({ length: n }, (_, i) => `d${i}`), 'f.tar'), '');
    const found: string[] = [];
    const visit = async (p: string) => (statSync(p).isDirectory() ? { descend: true } : { out: String(relative(root, p).split('/').length - 1), descend: false });
    for await (const f of searchInputs([root], visit)) found.push(f);
    // a file in the directory n levels down; directories more than 32 levels down are not read
    expect(found.sort()).toEqual(['31', '32']);
  });
});
