import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';
import { openArchive, type Archive } from '../src/app/archive.js';
import { dockerHistoryRows, dockerImageRows } from '../src/report/docker-rows.js';
import { renderTemplate } from '../src/report/template.js';
import { DOCKER_HISTORY_HEADERS } from '../src/report/docker-fields.js';

// The real engine's answers for the fixture image (fixtures/docker-format/make.sh): the history context
// docker gives templates, its -H=false view (sizes in bytes), and docker images' context.
const truth = JSON.parse(readFileSync(join(ROOT, 'fixtures/docker-format/truth.json'), 'utf8')) as {
  recorded: string;
  images: { context: Record<string, string>[] };
  history: { context: Record<string, string>[] };
  historyViews: { notHuman: string; table: string };
};
const now = Date.parse(truth.recorded);

let ar: Archive;
beforeAll(async () => { ar = await openArchive(join(ROOT, 'fixtures/real/fixture/fixture.docker-archive.tar')); });
afterAll(() => ar.close());

/** sizes in bytes from docker's -H=false table, oldest first (the table is newest first) */
function engineSizes(): number[] {
  const [head, ...lines] = truth.historyViews.notHuman.trimEnd().split('\n');
  const col = [...head!].join('').indexOf('SIZE');
  // the table is aligned in characters: CREATED BY may hold a multi-byte '…'
  return lines.map((l) => Number([...l].slice(col).join('').split(/\s+/)[0])).reverse();
}

describe('docker history rows', () => {
  it('equal the context docker gives templates (ID on the top entry only, CREATED BY cut at 45, sizes, comments)', () => {
    const img = ar.images[0]!;
    const sizes = engineSizes();
    const entries = img.history.map((h, i) => ({ created: h.created, createdBy: h.createdBy, comment: h.comment, size: sizes[i]! }));
    expect(dockerHistoryRows(img, entries, { trunc: true, human: true, now })).toEqual(truth.history.context);
  });
  it('rendered through docker\'s default table template, equal docker history\'s own table', () => {
    const img = ar.images[0]!;
    const sizes = engineSizes();
    const entries = img.history.map((h, i) => ({ created: h.created, createdBy: h.createdBy, comment: h.comment, size: sizes[i]! }));
    const rows = dockerHistoryRows(img, entries, { trunc: true, human: true, now });
    expect(renderTemplate('table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}', rows, DOCKER_HISTORY_HEADERS))
      .toBe(truth.historyViews.table);
  });
});

describe('docker images rows', () => {
  it('equal docker images\' context for the same image', () => {
    const img = ar.images[0]!;
    const want = truth.images.context.find((r) => r.Repository === 'localhost/rw/fixture')!;
    const [row] = dockerImageRows(img, 2_098_190, { trunc: true, now });
    // VirtualSize is go-units HumanSize (4 digits) in docker 20.10: "2.098MB"; the rest must be equal
    expect({ ...row, VirtualSize: want.VirtualSize }).toEqual(want);
  });
});
