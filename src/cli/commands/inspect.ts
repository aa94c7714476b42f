import type { CommandModule } from 'yargs';
import { emit, globalOptions, openAll, type GlobalArgs } from '../context.js';
import { selectImages } from '../../image/select.js';
import { inspectReport } from '../../report/inspect.js';

interface Args extends GlobalArgs { input: string; image?: string }

export const inspect: CommandModule<object, Args> = {
  command: 'inspect <input>',
  describe: 'a docker-image-inspect-like document per image (always JSON)',
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .example('$0 inspect app.tar -i app:1.0', 'config, rootfs and history of one image') as never,
  async handler(a) {
    const [ar] = await openAll(a, [a.input], false);
    const docs = selectImages(ar!.images, a.image, a.platform).map(inspectReport);
    emit({ json: true }, docs, () => '');
  },
};
