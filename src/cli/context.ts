import type { Argv } from 'yargs';
import { printable } from '../report/format.js';
import { EXIT } from '../errors.js';
import { DEFAULT_LIMITS, setLimits } from '../limits.js';
import { openInputs } from '../inputs.js';
import type { Archive } from '../archive.js';
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
    .option('jobs', { alias: 'j', type: 'number', describe: 'layers read at once in worker threads (default: the cores, at most 4; 1: none)' })
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
  process.stdout.write(a.json ? `${JSON.stringify(json, null, 2)}\n` : `${text()}\n`);
}

/** Open every input (directories searched recursively), printing each archive's notes. */
export async function openAll(a: GlobalArgs, paths: string[], recursive = true): Promise<Archive[]> {
  applyLimits(a);
  const out: Archive[] = [];
  for await (const ar of openInputs(paths, { recursive, onSkip: (p, why) => note(a, `skipped ${p}: ${why}`) })) {
    for (const n of ar.notes) note(a, `${ar.path}: ${n}`);
    // hostile outer members: the answer still comes, but the run ends with the integrity exit code
    for (const w of ar.warnings) warn(w);
    if (ar.warnings.length && !process.exitCode) process.exitCode = EXIT.findings;
    out.push(ar);
  }
  return out;
}

export async function openOneArchive(a: GlobalArgs, path: string): Promise<Archive> {
  const [ar] = await openAll(a, [path], false);
  return ar!;
}
