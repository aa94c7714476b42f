import type { CommandModule } from 'yargs';
import { EXIT } from '../../errors.js';
import { emit, globalOptions, note, openOneArchive, type GlobalArgs } from '../context.js';
import { loadSelected, warnMismatches } from '../content.js';
import { scanPackages } from '../../packages/scan.js';
import { attribute } from '../../packages/attribution.js';
import { packagesReport, renderPackageHistory, renderPackages } from '../../report/packages.js';

interface Args extends GlobalArgs { input: string; image?: string; history: boolean }

export const packages: CommandModule<object, Args> = {
  command: 'packages <input>',
  describe: 'installed packages (deb, apk, rpm) and the layer and history step that installed each version; --history: what each layer installed, upgraded, downgraded and removed',
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true, describe: 'archive or image directory' })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('history', { type: 'boolean', default: false, describe: 'per layer: packages installed, upgraded, downgraded, removed (removed ones whose files lower layers still hold are flagged recoverable)' })
    .example('$0 packages app.tar', 'every package, its version and the step that installed it')
    .example('$0 packages app.tar --history', 'what each layer did to the package databases') as never,
  async handler(a) {
    const ar = await openOneArchive(a, a.input);
    try {
      const { reader, loaded } = await loadSelected(a, ar);
      const img = loaded.image;
      const scan = await scanPackages(ar.store, reader, img, loaded.overlay);
      for (const n of scan.notes) note(a, `${img.archive}: ${n}`);
      const attribution = attribute(scan.layers.map((l) => l.packages), loaded.listings);
      emit(a, packagesReport(img, scan.databases, attribution, a.history),
        () => (a.history ? renderPackageHistory(img, attribution, !a.trunc) : renderPackages(img, scan.databases, attribution, !a.trunc)));
      if (warnMismatches(reader)) process.exitCode = EXIT.findings;
    } finally {
      ar.close();
    }
  },
};
