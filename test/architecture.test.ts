import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * The layering rules of src/ (issue 12), checked on the real import graph so
 * that breaking one fails here: nothing outside cli/ imports cli/; a command
 * (src/cli/commands/*) imports no other command (index.ts is the registry);
 * the top-level folders of src/ import each other without a cycle.
 */

const SRC = resolve(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

interface Edge { from: string; to: string; spec: string }

/** Relative imports of every src file (static, dynamic, `export … from`), resolved to src-relative paths. */
function importEdges(): Edge[] {
  const edges: Edge[] = [];
  for (const file of sourceFiles(SRC)) {
    const info = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
    for (const imp of info.importedFiles) {
      if (!imp.fileName.startsWith('.')) continue;
      const target = resolve(dirname(file), imp.fileName).replace(/\.js$/, '.ts');
      edges.push({ from: relative(SRC, file), to: relative(SRC, target), spec: imp.fileName });
    }
  }
  return edges;
}

/** Functions (declarations, methods, arrows) whose body spans more than `max` lines, named `file name`. */
function longFunctions(max: number): { name: string; lines: number }[] {
  const out: { name: string; lines: number }[] = [];
  for (const file of sourceFiles(SRC)) {
    const src = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const visit = (n: ts.Node): void => {
      if ((ts.isFunctionDeclaration(n) || ts.isMethodDeclaration(n) || ts.isArrowFunction(n) || ts.isFunctionExpression(n)) && n.body) {
        const lines = src.getLineAndCharacterOfPosition(n.body.getEnd()).line - src.getLineAndCharacterOfPosition(n.body.getStart()).line + 1;
        let name = n.name?.getText() ?? '';
        if (!name && ts.isVariableDeclaration(n.parent)) name = n.parent.name.getText();
        if (lines > max) out.push({ name: `${relative(SRC, file)} ${name || '(anonymous)'}`, lines });
      }
      ts.forEachChild(n, visit);
    };
    visit(src);
  }
  return out;
}

/** `cli/commands/ls.ts` → `cli`; a file at the root of src/ → `(root)`. */
const folderOf = (p: string) => (p.includes('/') ? p.split('/')[0]! : '(root)');

/** Strongly connected components with more than one folder (Tarjan): each is a cycle. */
export function folderCycles(edges: ReadonlyArray<{ from: string; to: string }>): string[][] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    if (e.from === e.to) continue;
    if (!next.has(e.from)) next.set(e.from, new Set());
    if (!next.has(e.to)) next.set(e.to, new Set());
    next.get(e.from)!.add(e.to);
  }
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    on.add(v);
    for (const w of next.get(v)!) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1) out.push(scc.sort());
    }
  };
  for (const v of next.keys()) if (!index.has(v)) visit(v);
  return out;
}

describe('architecture: the import rules of src/', () => {
  const edges = importEdges();

  it('reads the real graph (hundreds of relative imports, every target a file of src/)', () => {
    expect(edges.length).toBeGreaterThan(300);
    const files = new Set(sourceFiles(SRC).map((f) => relative(SRC, f)));
    const dangling = edges.filter((e) => !files.has(e.to) && !e.to.startsWith('..'));
    expect(dangling).toEqual([]);
  });

  it('no source file outside cli/ imports from cli/', () => {
    const bad = edges.filter((e) => folderOf(e.from) !== 'cli' && folderOf(e.to) === 'cli');
    expect(bad.map((e) => `${e.from} imports ${e.spec}`)).toEqual([]);
  });

  it('no command imports another command (cli/commands/index.ts and specs.ts are the registry)', () => {
    const isCommand = (p: string) => p.startsWith('cli/commands/') && p !== 'cli/commands/index.ts' && p !== 'cli/commands/specs.ts';
    const bad = edges.filter((e) => isCommand(e.from) && isCommand(e.to) && e.from !== e.to);
    expect(bad.map((e) => `${e.from} imports ${e.spec}`)).toEqual([]);
  });

  it('no import cycle among the folders of src/', () => {
    const folderEdges = edges.map((e) => ({ from: folderOf(e.from), to: folderOf(e.to) }));
    const cycles = folderCycles(folderEdges);
    const witnesses = cycles.map((c) => edges
      .filter((e) => c.includes(folderOf(e.from)) && c.includes(folderOf(e.to)) && folderOf(e.from) !== folderOf(e.to))
      .map((e) => `${e.from} -> ${e.spec}`));
    expect(witnesses).toEqual([]);
  });

  it('no function body over 80 lines, but the ones still waiting to be split (ported algorithms aside)', () => {
    const long = longFunctions(80).map((f) => f.name);
    // waiting: split each and remove it here; a new long function fails this test
    const known = [
      'analysis/gosort.ts goSort', // Go's pdqsort, ported line by line: kept whole to compare with the original
    ];
    expect(long.filter((n) => !known.includes(n))).toEqual([]);
  });

  it('the cycle finder sees a cycle when there is one (and none in a chain)', () => {
    expect(folderCycles([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }])).toEqual([]);
    expect(folderCycles([{ from: 'a', to: 'b' }, { from: 'b', to: 'c' }, { from: 'c', to: 'a' }, { from: 'c', to: 'd' }]))
      .toEqual([['a', 'b', 'c']]);
  });
});
