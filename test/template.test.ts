import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { compileTemplate, renderTemplate, TemplateError } from '../src/report/template.js';
import { createdSince, humanDuration, rfc3339Utc, goTimeString } from '../src/report/time.js';
import { DOCKER_IMAGES_HEADERS, DOCKER_HISTORY_HEADERS, INSPECT_NIL_KINDS } from '../src/report/docker-fields.js';

// Recorded from the real docker CLI (28.2 against Debian's dockerd 20.10) by fixtures/docker-format/make.sh:
// each case is a --format string and what docker printed for it.
interface Case { format: string; output: string }
const truth = JSON.parse(readFileSync(new URL('../fixtures/docker-format/truth.json', import.meta.url), 'utf8')) as {
  images: { context: object[]; cases: Case[] };
  history: { context: object[]; cases: Case[] };
  inspect: { document: object; cases: Case[] };
};

describe('docker --format templates, against the docker CLI\'s own output', () => {
  for (const c of truth.images.cases) {
    it(`images ${c.format}`, () => {
      const rows = truth.images.context.map((r) => ({ ...r }));
      expect(renderTemplate(c.format, rows, DOCKER_IMAGES_HEADERS)).toBe(c.output);
    });
  }
  for (const c of truth.history.cases) {
    it(`history ${c.format}`, () => {
      const rows = truth.history.context.map((r) => ({ ...r }));
      expect(renderTemplate(c.format, rows, DOCKER_HISTORY_HEADERS)).toBe(c.output);
    });
  }
  for (const c of truth.inspect.cases) {
    it(`inspect -f ${c.format}`, () => {
      // docker image inspect -f prints one line per image
      expect(`${compileTemplate(c.format).render(truth.inspect.document, INSPECT_NIL_KINDS)}\n`).toBe(c.output);
    });
  }
});

describe('template errors are usage errors found before anything runs', () => {
  it.each([
    ['{{.Repository', /unclosed action/],
    ['{{if .X}}a', /missing \{\{end\}\}/],
    ['{{end}}', /unexpected \{\{end\}\}/],
    ['{{nosuch .X}}', /not defined/],
    ['{{"abc}}', /unterminated/],
  ])('%s', (format, msg) => {
    let err: unknown;
    try {
      compileTemplate(format).render({ X: 1 });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(TemplateError);
    expect((err as Error).message).toMatch(msg);
  });
  it('an unknown field names the fields there are', () => {
    expect(() => compileTemplate('{{.Nope}}').render({ ID: 'x', Tag: 'y' })).toThrow(/can't evaluate field Nope \(fields: ID, Tag\)/);
  });
});

describe('go-units HumanDuration (the vectors of go-units\' duration_test.go)', () => {
  const s = 1000, m = 60 * s, h = 60 * m, day = 24 * h, week = 7 * day, month = 30 * day, year = 365 * day;
  it.each([
    [450, 'Less than a second'], [1 * s, '1 second'], [45 * s, '45 seconds'], [59 * s, '59 seconds'],
    [60 * s, 'About a minute'], [3 * m, '3 minutes'], [35 * m + 40 * s, '35 minutes'], [59 * m, '59 minutes'],
    [1 * h, 'About an hour'], [1 * h + 29 * m, 'About an hour'], [1 * h + 31 * m, '2 hours'], [3 * h + 29 * m, '3 hours'],
    [3 * h + 31 * m, '4 hours'], [24 * h, '24 hours'], [day + 12 * h, '36 hours'], [2 * day, '2 days'], [7 * day, '7 days'],
    [13 * day + 5 * h, '13 days'], [2 * week, '2 weeks'], [2 * week + 4 * day, '2 weeks'], [4 * week + 3 * day, '4 weeks'],
    [month, '4 weeks'], [month + 2 * week, '6 weeks'], [2 * month, '2 months'], [3 * month + week, '3 months'],
    [13 * month, '13 months'], [24 * month, '24 months'], [24 * month + 2 * week, '2 years'], [3 * year + 2 * month, '3 years'],
  ])('%d ms → %s', (ms, want) => expect(humanDuration(ms)).toBe(want));

  it('CREATED equals what docker printed for the same image on the day it was recorded', () => {
    const recorded = Date.parse((truth as unknown as { recorded: string }).recorded);
    const row = truth.history.context[0] as { CreatedAt: string; CreatedSince: string };
    expect(createdSince(row.CreatedAt, recorded)).toBe(row.CreatedSince);
    expect(createdSince(null)).toBe('N/A');
  });
  it('times are normalised to UTC as docker -H=false prints them', () => {
    expect(rfc3339Utc('2023-11-15T04:13:20.123456789+01:00')).toBe('2023-11-15T03:13:20Z');
    const img = truth.images.context[0] as { CreatedAt: string };
    expect(goTimeString('2023-11-15T03:13:20Z')).toBe(img.CreatedAt);
  });
});
