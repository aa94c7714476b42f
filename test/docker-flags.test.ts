import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, runInProcess } from './helpers/cli.js';

// The docker CLI's own answers for the same archives loaded into a real engine (fixtures/docker-format/make.sh):
// a docker user's first commands must print what docker printed.
const truth = JSON.parse(readFileSync(join(ROOT, 'fixtures/docker-format/truth.json'), 'utf8')) as {
  recorded: string;
  images: { cases: { format: string; output: string }[] };
  history: { cases: { format: string; output: string }[] };
  inspect: { cases: { format: string; output: string }[] };
  list: { quiet: string[]; quietNoTrunc: string[]; filters: { filter: string; rows: string[] }[] };
  historyViews: { quiet: string[]; noTrunc: string };
};
const ARCHIVES = ['base', 'app1-old', 'app1', 'app2', 'fixture'].map((i) => join(ROOT, `fixtures/real/${i}/${i}.docker-archive.tar`));
const FIXTURE = ARCHIVES[4]!;
const sortedLines = (s: string) => s.split('\n').filter(Boolean).sort();

describe('inspect -f: docker image inspect -f\'s output for each template', () => {
  for (const c of truth.inspect.cases) {
    it(c.format, async () => {
      const r = await runInProcess(['inspect', FIXTURE, '-f', c.format]);
      expect(r.code).toBe(0);
      expect(r.stdout).toBe(c.output);
    });
  }
});

describe('images: -q, --no-trunc, --filter and --format as docker images', () => {
  it('-q prints the IDs (docker: the same set)', async () => {
    const r = await runInProcess(['images', ...ARCHIVES, '-q']);
    expect(sortedLines(r.stdout)).toEqual([...truth.list.quiet].sort());
    const full = await runInProcess(['images', ...ARCHIVES, '-q', '--no-trunc']);
    expect(sortedLines(full.stdout)).toEqual([...truth.list.quietNoTrunc].sort());
  });
  for (const f of truth.list.filters) {
    it(`--filter ${f.filter}`, async () => {
      const r = await runInProcess(['images', ...ARCHIVES, '--filter', f.filter, '--format', '{{.Repository}}:{{.Tag}} {{.ID}}']);
      expect(sortedLines(r.stdout)).toEqual([...f.rows].sort());
    });
  }
  // templates over fields that do not depend on the day they are run
  for (const c of truth.images.cases.filter((x) => !/json|CreatedSince/.test(x.format))) {
    it(`--format ${c.format}`, async () => {
      const r = await runInProcess(['images', ...ARCHIVES, '--format', c.format]);
      const [head, ...rows] = r.stdout.split('\n');
      const [wantHead, ...wantRows] = c.output.split('\n');
      // docker lists newest first; layerdig in the order of its inputs: the same rows, the same header
      if (c.format.startsWith('table')) expect(head).toBe(wantHead);
      expect((c.format.startsWith('table') ? rows : [head!, ...rows]).filter(Boolean).sort())
        .toEqual((c.format.startsWith('table') ? wantRows : [wantHead!, ...wantRows]).filter(Boolean).sort());
    });
  }
});

describe('history: -q, --no-trunc and --format as docker history', () => {
  it('-q', async () => {
    expect((await runInProcess(['history', FIXTURE, '-q'])).stdout.split('\n').filter(Boolean)).toEqual(truth.historyViews.quiet);
  });
  for (const c of truth.history.cases.filter((x) => !/json/.test(x.format))) {
    it(`--format ${c.format}`, async () => {
      expect((await runInProcess(['history', FIXTURE, '--format', c.format])).stdout).toBe(c.output);
    });
  }
  it('--no-trunc untruncates CREATED BY and ids', async () => {
    const r = await runInProcess(['history', FIXTURE, '--no-trunc', '--format', '{{.ID}}|{{.CreatedBy}}']);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^sha256:04bd5ed8d566[0-9a-f]{52}\|\/bin\/sh -c #\(nop\) CMD \["--verbose"\]$/);
    expect(truth.historyViews.noTrunc).toContain(lines[7]!.split('|')[1]!);
  });
});

describe('a --format naming no field is a usage error before any input is read', () => {
  it.each([['images'], ['history']])('%s', async (cmd) => {
    // the input does not exist: exit 2 (usage) shows the template was judged first, not 3 (unreadable)
    const r = await runInProcess([cmd, '/nonexistent/app.tar', '--format', '{{.Nope}}']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--format: can't evaluate field Nope \(fields: /);
    expect(r.stdout).toBe('');
  });
});
