import type { CommandModule } from 'yargs';
import { emit, globalOptions, openAll, type GlobalArgs } from '../context.js';
import { imagesReport, renderImages } from '../../report/images.js';
import { selectImages } from '../../image/select.js';

interface Args extends GlobalArgs { inputs: string[] }

export const images: CommandModule<object, Args> = {
  command: 'images <inputs..>',
  describe: 'list the images in archives and directories (JSON members only; no layer is read)',
  builder: (y) => globalOptions(y)
    .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'archives, image directories, or directories to search' })
    .example('$0 images app.tar', 'one row per image and tag')
    .example('$0 images /evidence --json', 'every archive under a directory') as never,
  async handler(a) {
    const archives = await openAll(a, a.inputs);
    const imgs = archives.flatMap((ar) => selectImages(ar.images, undefined, a.platform));
    emit(a, imagesReport(imgs), () => renderImages(imgs, !a.trunc));
  },
};
