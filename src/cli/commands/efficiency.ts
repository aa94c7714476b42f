import type { CommandModule } from '../argv/types.js';
import { emit, globalOptions, openAll, layerReader, settleTo, type GlobalArgs } from '../context.js';
import { selectImages } from '../../image/select.js';
import { analyseWaste } from '../../analysis/waste.js';
import { efficiencyReport, renderEfficiency } from '../../report/efficiency.js';
import { loadImages, warnMismatches } from '../content.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { input: string; image?: string; top: number }

export const efficiency: CommandModule<object, Args> = {
  ...SPECS.efficiency,
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('top', { type: 'number', default: 10, describe: 'rows per list in the table (0: all); --json lists all' })
    .example('$0 efficiency app.tar', "dive's numbers and where the dead bytes are")
    .example('$0 efficiency app.tar -i app:1.0 --json', 'every inefficient and dead path') as never,
  async handler(a) {
    const [ar] = await openAll(a, [a.input], false);
    const imgs = selectImages(ar!.images, a.image, a.platform);
    const reader = layerReader(a);
    const loaded = await loadImages(reader, ar!, imgs, settleTo(a));
    warnMismatches(reader);
    const reports = loaded.map(({ image: img, listings }) => {
      const w = analyseWaste(listings);
      return { img, report: efficiencyReport(img, w.dive, w.dead) };
    });
    emit(a, reports.map((r) => r.report),
      () => reports.map((r) => renderEfficiency(r.img, r.report, { top: a.top, full: !a.trunc })).join('\n\n'));
  },
};
