import type { CommandModule } from 'yargs';
import { EXIT } from '../../errors.js';
import { emit, globalOptions, layerReader, openAll, type GlobalArgs } from '../context.js';
import { warnMismatches } from '../content.js';
import { contentOption, readDiffSizes } from '../sizes.js';
import { imagesReport, renderImages } from '../../report/images.js';
import { selectImages } from '../../image/select.js';
import type { Image } from '../../image/model.js';

interface Args extends GlobalArgs { inputs: string[]; content: boolean }

export const images: CommandModule<object, Args> = {
  command: 'images <inputs..>',
  describe: 'list the images in archives and directories, with Docker\'s SIZE (--no-content: JSON members only)',
  builder: (y) => globalOptions(y)
    .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'archives, image directories, or directories to search' })
    .option('content', contentOption)
    .example('$0 images app.tar', 'one row per image and tag')
    .example('$0 images /evidence --json --no-content', 'every archive under a directory, no layer read') as never,
  async handler(a) {
    const archives = await openAll(a, a.inputs);
    const sizes = a.content ? new Map<string, number>() : null;
    const imgs: Image[] = [];
    let mismatch = false;
    for (const ar of archives) {
      const mine = selectImages(ar.images, undefined, a.platform);
      if (sizes) {
        // a reader per archive: its listings are let go once the sizes are known (a directory may hold hundreds)
        const reader = layerReader(a);
        await readDiffSizes(reader, ar, mine, sizes);
        mismatch = warnMismatches(reader) || mismatch;
      }
      imgs.push(...mine);
    }
    if (mismatch) process.exitCode = EXIT.findings;
    emit(a, imagesReport(imgs, sizes), () => renderImages(imgs, !a.trunc, sizes));
  },
};
