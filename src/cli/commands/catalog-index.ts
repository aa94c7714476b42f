import type { CommandModule } from '../argv/types.js';
import { EXIT } from '../../errors.js';
import { applyLimits, emit, globalOptions, layerReader, note, problem, type GlobalArgs } from '../context.js';
import { readInventories } from '../../packages/inventory.js';
import { dbPath } from '../summaries.js';
import { Catalog } from '../../catalog/catalog.js';
import { defaultDbPath } from '../../catalog/fingerprint.js';
import { indexInputs } from '../../catalog/indexer.js';
import { indexReport, renderIndex } from '../../report/catalog.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { inputs: string[]; db?: string; files: boolean; packages: boolean }

export const indexCmd: CommandModule<object, Args> = {
  ...SPECS.index,
  builder: (y) => globalOptions(y)
    .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'archives, image directories, or directories to search' })
    .option('db', { type: 'string', describe: `the catalog file (default ${defaultDbPath()})` })
    .option('files', { type: 'boolean', default: false, describe: 'also record every layer\'s file listing (reads each layer once; layers already listed by diffID are skipped)' })
    .option('packages', { type: 'boolean', default: false, describe: 'also record every image\'s installed packages (dpkg, apk, rpm) and the layer that installed each, for `packages --db --find` (reads the layers)' })
    .example('$0 index /evidence', 'metadata of every archive under /evidence into the default catalog')
    .example('$0 index /evidence --files --db case42.db', 'with file listings, into a catalog of its own')
    .example('$0 index /evidence --packages', 'with package inventories: then `layerdig packages --db --find \'openssl<3.0.12\'`') as never,
  async handler(a) {
    applyLimits(a);
    const db = dbPath(a.db ?? '');
    const cat = Catalog.open(db, { create: true });
    const reader = layerReader(a);
    try {
      const archives = await indexInputs(cat, a.inputs, {
        files: a.files,
        packages: a.packages,
        inventory: (ar) => readInventories(reader, ar),
        onSkip: (p, why) => note(a, `skipped ${p}: ${why}`),
        onNote: (m) => note(a, m),
        onProblem: (input, error) => problem(a, { input, error }),
      });
      emit(a, indexReport(db, archives), () => renderIndex(db, archives));
      // some archives could not be read: partial (5); none could: unreadable (3)
      const failed = archives.filter((x) => x.status === 'failed').length;
      if (failed) process.exitCode = failed === archives.length ? EXIT.unreadable : EXIT.partial;
    } finally {
      cat.close();
    }
  },
};
