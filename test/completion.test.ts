import { describe, expect, it } from 'vitest';
import { cleanCompletions } from '../src/cli/completion.js';

describe('completion candidates are real options', () => {
  it('one-letter aliases as -x, default-true booleans as --no-…', () => {
    expect(cleanCompletions(['--help', '--json', '--trunc', '--quiet', '--q', '--jobs', '--j', '-i', 'layers'], new Set(['trunc'])))
      .toEqual(['--help', '--json', '--no-trunc', '--quiet', '-q', '--jobs', '-j', '-i', 'layers']);
  });
});
