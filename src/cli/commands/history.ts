import type { CommandModule } from 'yargs';
import { emit, globalOptions, openAll, type GlobalArgs } from '../context.js';
import { selectImages } from '../../image/select.js';
import { historyReport, renderHistory } from '../../report/history.js';

interface Args extends GlobalArgs { input: string; image?: string }

export const history: CommandModule<object, Args> = {
  command: 'history <input>',
  describe: 'how each layer was made: history entries paired with layers as Docker pairs them',
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .example('$0 history app.tar --no-trunc', 'full commands and ids') as never,
  async handler(a) {
    const [ar] = await openAll(a, [a.input], false);
    const imgs = selectImages(ar!.images, a.image, a.platform);
    emit(a, imgs.map(historyReport), () => renderHistory(imgs, !a.trunc));
  },
};
