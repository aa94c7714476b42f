import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';
import { compareApk, compareDeb, compareRpm } from '../src/packages/version.js';

/**
 * Version comparison against the tools: dpkg --compare-versions and rpm's own
 * rpm.vercmp (recorded by fixtures/packages/versions.sh), and apk-tools'
 * test/version.data vectors (verbatim from alpinelinux/apk-tools).
 */
const tsv = (name: string) => readFileSync(join(ROOT, 'fixtures', 'packages', name), 'utf8').trim().split('\n').map((l) => l.split('\t') as [string, string, string]);

describe('dpkg order equals dpkg --compare-versions', () => {
  it.each(tsv('dpkg-vercmp.tsv'))('%s vs %s → %s', (a, b, want) => {
    expect(compareDeb(a, b)).toBe(Number(want));
    expect(compareDeb(b, a)).toBe(-Number(want) || 0);
  });
});

describe('rpm order equals rpm.vercmp', () => {
  it.each(tsv('rpm-vercmp.tsv'))('%s vs %s → %s', (a, b, want) => {
    expect(compareRpm(a, b)).toBe(Number(want));
    expect(compareRpm(b, a)).toBe(-Number(want) || 0);
  });
});

describe('apk order equals apk-tools test/version.data', () => {
  const lines = readFileSync(join(ROOT, 'fixtures', 'packages', 'apk-version.data'), 'utf8').split('\n').filter((l) => l.trim() && !l.startsWith('#'));
  const cases = lines.map((l) => l.replace(/#.*/, '').trim().split(/\s+/) as [string, string, string]);
  it('has the vectors', () => expect(cases.length).toBeGreaterThan(700));
  it.each(cases)('%s %s %s', (a, op, b) => {
    const want = op === '<' ? -1 : op === '>' ? 1 : 0;
    expect(compareApk(a, b)).toBe(want);
    expect(compareApk(b, a)).toBe(-want || 0);
  });
});
