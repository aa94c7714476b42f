import type { Argv } from './argv/types.js';
import { printable, printableJson, printableText } from '../report/text.js';
import { DEFAULT_LIMITS, setLimits } from '../limits.js';
import type { Archive } from '../app/archive.js';
import { openEvery } from '../app/load.js';
import { recordFindings, recordProblem, type Problem } from '../app/outcome.js';
import { LayerdigError } from '../errors.js';
import { LayerReader } from '../layer/reader.js';
import { clearProgress, progressFor } from './progress.js';
import { paint } from './color.js';

/** Options every command takes. */
export interface GlobalArgs {
  json: boolean;
  trunc: boolean;
  quiet: boolean;
  platform?: string;
  maxJsonBytes?: number;
  maxLayerBytes?: number;
  maxRatio?: number;
  jobs?: number;
  maxMembers?: number;
  maxLayerEntries?: number;
  maxTrailingBytes?: number;
}

export function globalOptions<T>(y: Argv<T>) {
  return y
    .option('json', { type: 'boolean', default: false, describe: 'print JSON (stable keys) instead of a table' })
    .option('trunc', { type: 'boolean', default: true, describe: 'shorten ids to 12 hex; --no-trunc prints full sha256:… digests' })
    .option('quiet', { alias: 'q', type: 'boolean', default: false, describe: 'no notes or progress on stderr' })
    .option('jobs', { alias: 'j', type: 'number', describe: 'layers read at once (default: the cores, at most 4; 1: all on one thread)' })
    .option('platform', { type: 'string', describe: 'only images for os/arch[/variant]' })
    .option('max-json-bytes', { type: 'number', describe: 'largest JSON member read (default 16 MiB)' })
    .option('max-layer-bytes', { type: 'number', describe: 'largest decompressed layer read (default 64 GiB)' })
    .option('max-ratio', { type: 'number', describe: 'decompression ratio past 1 GiB treated as a bomb (default 200)' })
    .option('max-trailing-bytes', { type: 'number', describe: 'decompressed bytes allowed after a tar\'s last entry (default 16 MiB)' })
    .option('max-members', { type: 'number', describe: 'most members (files) indexed in one archive (default 2000000)' })
    .option('max-layer-entries', { type: 'number', describe: 'most entries listed in one layer (default 4000000)' });
}

export function applyLimits(a: GlobalArgs): void {
  setLimits({
    ...DEFAULT_LIMITS,
    ...(a.maxJsonBytes ? { maxJsonBytes: a.maxJsonBytes } : {}),
    ...(a.maxLayerBytes ? { maxLayerBytes: a.maxLayerBytes } : {}),
    ...(a.maxRatio ? { maxRatio: a.maxRatio } : {}),
    ...(a.maxTrailingBytes ? { maxTrailingBytes: a.maxTrailingBytes } : {}),
    ...(a.maxMembers ? { maxMembers: a.maxMembers } : {}),
    ...(a.maxLayerEntries ? { maxLayerEntries: a.maxLayerEntries } : {}),
  });
}

export function note(a: Pick<GlobalArgs, 'quiet'>, msg: string): void {
  clearProgress();
  if (!a.quiet) process.stderr.write(`layerdig: ${printable(msg)}\n`);
}

export function warn(msg: string): void {
  clearProgress();
  process.stderr.write(`layerdig: ${paint(process.stderr, 'yellow', 'WARNING')}: ${printable(msg)}\n`);
}

/**
 * The layer reader for a command: worker threads per `--jobs`, and progress on
 * stderr when stderr is a terminal (never with --quiet; cleared before any output).
 */
export function layerReader(a: Pick<GlobalArgs, 'quiet' | 'jobs'>): LayerReader {
  const progress = progressFor(a);
  return new LayerReader({ ...(progress ? { progress } : {}), ...(a.jobs !== undefined ? { jobs: a.jobs } : {}) });
}

/** Print a result: JSON when asked, else the human rendering. Nothing else goes to stdout. */
export function emit(a: Pick<GlobalArgs, 'json'>, json: unknown, text: () => string): void {
  clearProgress();
  process.stdout.write(a.json ? `${printableJson(json)}\n` : `${printableText(text())}\n`);
}

/**
 * An input or image left out as unreadable: one line on stderr naming it (and
 * the member), even with --quiet; with --json that line is a JSON object
 * `{"error":{"input","code","message"}}` so a CI job can pick it out. The
 * command goes on and ends with exit 5 (partial) unless something outranks it.
 */
export function problem(a: Pick<GlobalArgs, 'json'>, p: Problem): void {
  clearProgress();
  recordProblem(p);
  const msg = p.error.message.startsWith(p.input) ? p.error.message : `${p.input}: ${p.error.message}`;
  process.stderr.write(a.json
    ? `${JSON.stringify({ error: { input: p.input, code: p.error.code, message: msg } })}\n`
    : `layerdig: ${paint(process.stderr, 'red', 'ERROR')}: ${printable(msg)} (left out; results for the rest)\n`);
}

/**
 * Open every input (directories searched recursively), printing each
 * archive's notes. An input or image that cannot be read is named on stderr
 * and left out (exit 5); when nothing at all can be read, that is the error.
 */
export async function openAll(a: GlobalArgs, paths: string[], recursive = true, partial = true): Promise<Archive[]> {
  applyLimits(a);
  const skipped: { path: string; why: string }[] = [];
  const { archives, problems } = await openEvery(paths, { recursive, onSkip: (path, why) => skipped.push({ path, why }) });
  for (const line of skipLines(skipped)) note(a, line);
  // every input is needed (diff's two archives): the first that cannot be read is the error
  const unopened = problems.find((p) => !archives.some((ar) => ar.path === p.input));
  if (!partial && unopened) {
    for (const ar of archives) ar.close();
    throw unopened.error;
  }
  if (archives.length === 0 && problems.length === 1) throw problems[0]!.error;
  for (const ar of archives) {
    for (const n of ar.notes) note(a, `${ar.path}: ${n}`);
    // integrity warnings (hostile outer members, an index that lists itself): the answer still comes, exit 1
    for (const w of ar.warnings) warn(w);
    if (ar.warnings.length) recordFindings();
  }
  for (const p of problems) problem(a, p);
  if (archives.length === 0 && problems.length) {
    throw new LayerdigError('E_BAD_ARCHIVE', `none of the ${problems.length} archives found could be read`);
  }
  return archives;
}

/** Reasons that repeat this often are summed up in one line instead of one line per file. */
const SKIP_SUMMARY_AT = 4;

/**
 * What a directory search passed over: each path named once (the reason
 * without the path again), and a reason shared by many files summed up in one
 * line with a few examples ("13 files skipped: not a tar archive, …").
 */
export function skipLines(skipped: readonly { path: string; why: string }[]): string[] {
  const byReason = new Map<string, string[]>();
  for (const { path, why } of skipped) {
    const reason = why.startsWith(`${path}: `) ? why.slice(path.length + 2) : why;
    byReason.set(reason, [...(byReason.get(reason) ?? []), path]);
  }
  const out: string[] = [];
  for (const [reason, list] of byReason) {
    if (list.length < SKIP_SUMMARY_AT) for (const p of list) out.push(`skipped ${p}: ${reason}`);
    else out.push(`${list.length} files skipped: ${reason} (${list.slice(0, 3).join(', ')}, …)`);
  }
  return out;
}

/** A command's sink for problems met while reading layers: named on stderr, the command goes on. */
export const settleTo = (a: Pick<GlobalArgs, 'json'>) => (p: Problem) => problem(a, p);

export async function openOneArchive(a: GlobalArgs, path: string): Promise<Archive> {
  const [ar] = await openAll(a, [path], false);
  return ar!;
}
