/**
 * Work that can start before the command line is parsed (issue 13, docs/performance.md):
 * a command that will read layer bodies gets its hash thread now, so the thread's own
 * start (~50 ms of CPU on Node 20, ~95 ms on a loaded machine) runs on the core that
 * loading the CLI leaves idle, instead of making the first layer wait for it.
 * Only a hint: a wrong guess starts a thread that is never used (it ends with the
 * process) or none (the reader starts it when it needs it); nothing else depends on it.
 */
const READS_LAYERS = new Set([
  'layers', 'history', 'images', 'inspect', 'ls', 'file', 'diff', 'relation', 'none', 'base', 'index', 'verify',
  'audit', 'efficiency', 'ci', 'report', 'packages', 'containers',
]);

export async function startEarly(argv: readonly string[]): Promise<void> {
  const [command, ...rest] = argv;
  if (command === undefined || !READS_LAYERS.has(command)) return;
  if (rest.includes('--no-content') || rest.includes('--help') || rest.includes('-h')) return;
  // --jobs 1: everything on this thread
  if (rest.some((t, i) => /^(-j1|--jobs=1|-j=1)$/.test(t) || (/^(-j|--jobs)$/.test(t) && rest[i + 1] === '1'))) return;
  // loaded only here: a command line that reads no layers does not pay for the module
  (await import('../layer/hash-ring.js')).HashRing.prestart();
}
