import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * vitest globalSetup: the whole run (test workers and every CLI they spawn
 * inherit TMPDIR) makes its temporary files in one directory of its own,
 * removed at the end whatever happened. Tests clean up after themselves
 * anyway (helpers/tmp.ts); this catches what a killed worker leaves.
 * LAYERDIG_TEST_KEEP_TMP=1 keeps it and lists what was left, to find a leak.
 */
export default function setup(): () => void {
  const sandbox = mkdtempSync(join(tmpdir(), 'layerdig-tests-'));
  process.env.TMPDIR = sandbox;
  return () => {
    if (process.env.LAYERDIG_TEST_KEEP_TMP) {
      const left = readdirSync(sandbox);
      process.stderr.write(`test temporary directory ${sandbox}: ${left.length ? `left behind: ${left.join(' ')}` : 'empty'}\n`);
      if (left.length === 0) rmSync(sandbox, { recursive: true, force: true });
      return;
    }
    rmSync(sandbox, { recursive: true, force: true });
  };
}
