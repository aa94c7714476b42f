import type { CommandModule } from 'yargs';
import { emit, globalOptions, openAll, layerReader, type GlobalArgs } from '../context.js';
import { selectImages } from '../../image/select.js';
import { assertNoMismatch, LayerReader } from '../../layer/reader.js';
import { analyseWaste } from '../../analysis/waste.js';
import { efficiencyReport, renderEfficiency } from '../../report/efficiency.js';
import type { Image } from '../../image/model.js';
import type { Store } from '../../store/store.js';
import type { LayerEntry } from '../../layer/entry.js';

interface Args extends GlobalArgs { input: string; image?: string; top: number }

/** Every layer's entries of these images, each layer read once; a diffID mismatch throws unless `mismatchOk`. */
export async function layerEntries(reader: LayerReader, store: Store, imgs: Image[], mismatchOk = false): Promise<Map<Image, LayerEntry[][]>> {
  await reader.prefetch(store, imgs);
  const out = new Map<Image, LayerEntry[][]>();
  for (const img of imgs) {
    const layers: LayerEntry[][] = [];
    for (const l of img.layers) layers.push((await reader.listing(store, l)).entries);
    out.set(img, layers);
  }
  if (!mismatchOk) assertNoMismatch(reader);
  return out;
}

export const efficiency: CommandModule<object, Args> = {
  command: 'efficiency <input>',
  describe: "dive's efficiency, wasted bytes and inefficient paths (same numbers), and the dead bytes behind them, per layer and cause",
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('top', { type: 'number', default: 10, describe: 'rows per list in the table (0: all); --json lists all' })
    .example('$0 efficiency app.tar', "dive's numbers and where the dead bytes are")
    .example('$0 efficiency app.tar -i app:1.0 --json', 'every inefficient and dead path') as never,
  async handler(a) {
    const [ar] = await openAll(a, [a.input], false);
    const imgs = selectImages(ar!.images, a.image, a.platform);
    const entries = await layerEntries(layerReader(a), ar!.store, imgs);
    const reports = imgs.map((img) => {
      const w = analyseWaste(entries.get(img)!);
      return { img, report: efficiencyReport(img, w.dive, w.dead) };
    });
    emit(a, reports.map((r) => r.report),
      () => reports.map((r) => renderEfficiency(r.img, r.report, { top: a.top, full: !a.trunc })).join('\n\n'));
  },
};
