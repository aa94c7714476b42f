import type { CommandModule } from '../argv/types.js';
import { EXIT } from '../../errors.js';
import { emit, globalOptions, layerReader, openAll, settleTo, warn, type GlobalArgs } from '../context.js';
import { loadImages, warnMismatches } from '../content.js';
import { selectImages } from '../../image/select.js';
import { layersReport, renderLayers } from '../../report/layers.js';
import type { LayerListing } from '../../layer/pass.js';
import { shortId } from '../../digest.js';
import type { Image } from '../../image/model.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { input: string; image?: string; content: boolean }

export const layers: CommandModule<object, Args> = {
  ...SPECS.layers,
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('content', { type: 'boolean', default: true, describe: 'read each layer once for CONTENT and SIZE; --no-content reads JSON only' })
    .example('$0 layers app.tar --no-trunc', 'full digests')
    .example('$0 layers app.tar -i app:1.0 --no-content --json', 'metadata only')
    .example('$0 layers big.tar --jobs 1 -q', 'one layer at a time, no progress') as never,
  async handler(a) {
    const [ar] = await openAll(a, [a.input], false);
    const imgs = selectImages(ar!.images, a.image, a.platform);
    const reader = layerReader(a);
    const read = a.content ? await loadImages(reader, ar!, imgs, settleTo(a)) : null;
    const reports: { img: Image; report: ReturnType<typeof layersReport> }[] = read
      ? read.map((l) => ({ img: l.image, report: layersReport(l.image, l.read, (m) => ar!.store.diffIdUnchecked?.(m) ?? false) }))
      : imgs.map((img) => ({ img, report: layersReport(img, img.layers.map((): LayerListing | null => null)) }));
    warnMismatches(reader);
    for (const { report } of reports) {
      for (const l of report.layers) {
        if (l.digestVerified === false) warn(`${l.storage}: blob does not hash to its declared digest ${shortId(l.digest)}`);
      }
    }
    emit(a, reports.map((r) => r.report), () => renderLayers(reports, !a.trunc));
    if (reports.some((r) => r.report.layers.some((l) => l.digestVerified === false))) {
      process.exitCode = EXIT.findings;
    }
  },
};
