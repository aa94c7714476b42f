import type { CommandModule } from '../argv/types.js';
import { EXIT } from '../../errors.js';
import { emit, globalOptions, layerReader, openAll, type GlobalArgs } from '../context.js';
import { warnMismatches } from '../content.js';
import { contentOption, readDiffSizes } from '../sizes.js';
import { selectImages } from '../../image/select.js';
import { historyIds, historyReport, renderHistory } from '../../report/history.js';
import { dockerHistoryRows } from '../../report/docker-rows.js';
import { DOCKER_HISTORY_HEADERS } from '../../report/docker-fields.js';
import { renderTemplate } from '../../report/template.js';
import { runTemplate, templateArg } from '../docker-flags.js';
import { printableText } from '../../report/text.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { input: string; image?: string; content: boolean; human: boolean; format?: string }

export const history: CommandModule<object, Args> = {
  ...SPECS.history,
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('content', contentOption)
    .option('human', { alias: 'H', type: 'boolean', default: true, describe: 'CREATED as "3 years ago" and sizes in units; -H=false: RFC 3339 (UTC) and bytes' })
    .option('format', { type: 'string', describe: "Go template as docker's ('table …', '{{json .}}'); fields: ID CreatedSince CreatedAt CreatedBy Size Comment" })
    .example('$0 history app.tar -q', 'the IMAGE column only, as docker history -q')
    .example('$0 history app.tar --no-trunc', 'full commands and ids')
    .example('$0 history app.tar --no-content', 'metadata only: stored blob sizes (BLOB SIZE)') as never,
  async handler(a) {
    templateArg(a.format, DOCKER_HISTORY_HEADERS);
    const [ar] = await openAll(a, [a.input], false);
    const imgs = selectImages(ar!.images, a.image, a.platform);
    if (a.quiet && !a.json) {
      // docker history -q: the IMAGE column, newest first
      process.stdout.write(imgs.flatMap((i) => historyIds(i, !a.trunc).reverse()).map((x) => `${x}\n`).join(''));
      return;
    }
    const reader = layerReader(a);
    const wantSize = a.content && (!a.format || /\bSize\b|json/.test(a.format));
    const sizes = wantSize ? await readDiffSizes(reader, ar!, imgs) : null;
    if (warnMismatches(reader)) process.exitCode = EXIT.findings;
    if (a.format && !a.json) {
      const rows = imgs.flatMap((img) => dockerHistoryRows(historyIds(img, !a.trunc), historyReport(img, sizes).history, { trunc: a.trunc, human: a.human }));
      process.stdout.write(printableText(runTemplate(() => renderTemplate(a.format!, rows, DOCKER_HISTORY_HEADERS))));
      return;
    }
    emit(a, imgs.map((i) => historyReport(i, sizes)), () => renderHistory(imgs, sizes, { full: !a.trunc, human: a.human }));
  },
};
