import type { CommandModule } from 'yargs';
import { EXIT } from '../../errors.js';
import { emit, globalOptions, layerReader, openAll, type GlobalArgs } from '../context.js';
import { warnMismatches } from '../content.js';
import { contentOption, readDiffSizes } from '../sizes.js';
import { selectImages } from '../../image/select.js';
import { inspectReport } from '../../report/inspect.js';

interface Args extends GlobalArgs { input: string; image?: string; content: boolean }

export const inspect: CommandModule<object, Args> = {
  command: 'inspect <input>',
  describe: 'a docker-image-inspect-like document per image (always JSON)',
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('content', { ...contentOption, describe: "read each layer once for Docker's Size; --no-content reads JSON only (Size null, BlobSize kept)" })
    .example('$0 inspect app.tar -i app:1.0', 'config, rootfs and history of one image') as never,
  async handler(a) {
    const [ar] = await openAll(a, [a.input], false);
    const imgs = selectImages(ar!.images, a.image, a.platform);
    const reader = layerReader(a);
    const sizes = a.content ? await readDiffSizes(reader, ar!, imgs) : null;
    if (warnMismatches(reader)) process.exitCode = EXIT.findings;
    emit({ json: true }, imgs.map((i) => inspectReport(i, sizes)), () => '');
  },
};
