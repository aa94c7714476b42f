import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Temporary directories for tests. Every one made here is removed after its
 * test file, pass or fail (test/setup/cleanup.ts registers the afterAll), so a
 * test never needs its own rm -rf; removing one earlier is harmless.
 */
const made: string[] = [];

export function tempDir(prefix = 'layerdig-test-'): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  made.push(d);
  return d;
}

/** Remove every directory tempDir() made in this test file. */
export function removeTempDirs(): void {
  for (const d of made.splice(0)) rmSync(d, { recursive: true, force: true });
}
