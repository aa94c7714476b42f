import type { CommandModule } from 'yargs';
import { EXIT } from '../../errors.js';
import { emit, globalOptions, layerReader, openAll, type GlobalArgs } from '../context.js';
import { warnMismatches } from '../content.js';
import { contentOption, readDiffSizes } from '../sizes.js';
import { selectImages } from '../../image/select.js';
import { historyReport, renderHistory } from '../../report/history.js';

interface Args extends GlobalArgs { input: string; image?: string; content: boolean }

export const history: CommandModule<object, Args> = {
  command: 'history <input>',
  describe: 'how each layer was made: history entries paired with layers as Docker pairs them, with Docker\'s SIZE',
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('content', contentOption)
    .example('$0 history app.tar --no-trunc', 'full commands and ids')
    .example('$0 history app.tar --no-content', 'metadata only: stored blob sizes (BLOB SIZE)') as never,
  async handler(a) {
    const [ar] = await openAll(a, [a.input], false);
    const imgs = selectImages(ar!.images, a.image, a.platform);
    const reader = layerReader(a);
    const sizes = a.content ? await readDiffSizes(reader, ar!, imgs) : null;
    if (warnMismatches(reader)) process.exitCode = EXIT.findings;
    emit(a, imgs.map((i) => historyReport(i, sizes)), () => renderHistory(imgs, !a.trunc, sizes));
  },
};
