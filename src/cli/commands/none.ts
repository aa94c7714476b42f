import type { CommandModule } from '../argv/types.js';
import { LayerdigError } from '../../errors.js';
import { emit, globalOptions, type GlobalArgs } from '../context.js';
import { dbOption, loadSummaries } from '../summaries.js';
import { noneAll, noneFor } from '../../analysis/none.js';
import { noneReport, renderNone } from '../../report/none.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { id?: string; inputs: string[]; all: boolean; top: number; db?: string }

export const none: CommandModule<object, Args> = {
  ...SPECS.none,
  builder: (y) => dbOption(globalOptions(y)
    .positional('id', { type: 'string', describe: 'image ID of the untagged image, full or a unique prefix (with --all: an input)' })
    .positional('inputs', { type: 'string', array: true, default: [], describe: 'archives, image directories, or directories to search' })
    .option('all', { type: 'boolean', default: false, describe: 'every untagged image found' })
    .option('top', { type: 'number', default: 3, describe: 'candidates shown per image' }), 'answer')
    .example('$0 none 7c038bf84c42 /evidence', 'which tagged image an untagged one was')
    .example('$0 none --all /evidence --json', 'every untagged image') as never,
  async handler(a) {
    if (!Number.isInteger(a.top) || a.top < 1) throw new LayerdigError('E_USAGE', `--top must be a positive whole number, not ${a.top}`);
    const inputs = a.all ? [...(a.id !== undefined ? [a.id] : []), ...a.inputs] : a.inputs;
    if (!a.all && a.id === undefined) throw new LayerdigError('E_USAGE', 'name the untagged image ID, or use --all');
    const pool = await loadSummaries(a, inputs);
    const results = a.all ? noneAll(pool, a.top) : noneFor(a.id!, pool, a.top);
    emit(a, noneReport(results), () => renderNone(results, !a.trunc));
  },
};
