import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    // every temporary directory goes: each test file's after it (setup/cleanup.ts), the run's at the end
    globalSetup: ['test/setup/tmp-sandbox.ts'],
    setupFiles: ['test/setup/cleanup.ts'],
  },
});
