import type { CommandModule } from '../argv/types.js';
import { emit, globalOptions, type GlobalArgs } from '../context.js';
import { dbOption, loadSummaries } from '../summaries.js';
import { relation as findRelation } from '../../analysis/relation.js';
import { relationReport, renderRelation } from '../../report/relation.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { id: string; inputs: string[]; db?: string }

export const relation: CommandModule<object, Args> = {
  ...SPECS.relation,
  builder: (y) => dbOption(globalOptions(y)
    .positional('id', { type: 'string', demandOption: true, describe: 'diffID, chainID or blob digest, with or without sha256:, full or a unique prefix' })
    .positional('inputs', { type: 'string', array: true, default: [], describe: 'archives, image directories, or directories to search' }), 'answer')
    .example('$0 relation 2cffd89416e1 /evidence', 'a 12-hex id copied from `layers` output')
    .example('$0 relation sha256:5f70bf18a086 --db', 'from the default catalog') as never,
  async handler(a) {
    const images = await loadSummaries(a, a.inputs);
    const r = findRelation(a.id, images);
    emit(a, relationReport(r), () => renderRelation(r, !a.trunc));
  },
};
