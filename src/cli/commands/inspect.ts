import type { CommandModule } from '../argv/types.js';
import { EXIT } from '../../errors.js';
import { emit, globalOptions, layerReader, openAll, type GlobalArgs } from '../context.js';
import { warnMismatches } from '../content.js';
import { contentOption, readDiffSizes } from '../sizes.js';
import { selectImages } from '../../image/select.js';
import { inspectReport } from '../../report/inspect.js';
import { INSPECT_NIL_KINDS } from '../../report/docker-fields.js';
import { runTemplate, templateArg } from '../docker-flags.js';
import { printableText } from '../../report/text.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { input: string; image?: string; content: boolean; format?: string }

export const inspect: CommandModule<object, Args> = {
  ...SPECS.inspect,
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('content', { ...contentOption, describe: "read each layer once for Docker's Size; --no-content reads JSON only (Size null, BlobSize kept)" })
    .option('format', { alias: 'f', type: 'string', describe: "a Go template over the document, as docker inspect -f: '{{.Config.Env}}', '{{json .RootFS}}'" })
    .example('$0 inspect app.tar -i app:1.0', 'config, rootfs and history of one image')
    .example("$0 inspect app.tar -f '{{.Os}}/{{.Architecture}} {{json .Config.Labels}}'", 'one line per image') as never,
  async handler(a) {
    const template = templateArg(a.format);
    const [ar] = await openAll(a, [a.input], false);
    const imgs = selectImages(ar!.images, a.image, a.platform);
    const reader = layerReader(a);
    const sizes = a.content && (!a.format || /Size|json/.test(a.format)) ? await readDiffSizes(reader, ar!, imgs) : null;
    if (warnMismatches(reader)) process.exitCode = EXIT.findings;
    if (template) {
      // the document as JSON would be (undefined keys dropped), one line per image as docker prints
      const docs = imgs.map((i) => JSON.parse(JSON.stringify(inspectReport(i, sizes))) as object);
      process.stdout.write(printableText(runTemplate(() => docs.map((d) => `${template.render(d, INSPECT_NIL_KINDS)}\n`).join(''))));
      return;
    }
    emit({ json: true }, imgs.map((i) => inspectReport(i, sizes)), () => '');
  },
};
