import type { CommandModule } from '../argv/types.js';
import { EXIT } from '../../errors.js';
import { emit, globalOptions, layerReader, note, openAll, type GlobalArgs } from '../context.js';
import { warnMismatches } from '../content.js';
import { contentOption, readDiffSizes } from '../sizes.js';
import { dockerSize, imagesReport, renderImages } from '../../report/images.js';
import { selectImages, selectOne } from '../../image/select.js';
import { filterImages, intermediates, parseImageFilters } from '../../analysis/image-filter.js';
import { dockerImageRows } from '../../report/docker-rows.js';
import { DOCKER_IMAGES_HEADERS } from '../../report/docker-fields.js';
import { renderTemplate } from '../../report/template.js';
import { shortId } from '../../digest.js';
import { runTemplate, templateArg } from '../docker-flags.js';
import { printableText } from '../../report/text.js';
import type { Image } from '../../image/model.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs {
  inputs: string[];
  content: boolean;
  all: boolean;
  digests: boolean;
  filter?: string[];
  format?: string;
  human: boolean;
}

export const images: CommandModule<object, Args> = {
  ...SPECS.images,
  builder: (y) => globalOptions(y)
    .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'archives, image directories, or directories to search' })
    .option('content', contentOption)
    .option('all', { alias: 'a', type: 'boolean', default: false, describe: 'also intermediate images (untagged build parents in a Docker data-root), as docker images -a' })
    .option('digests', { type: 'boolean', default: false, describe: 'a DIGEST column: the manifest digest' })
    .option('filter', { alias: 'f', type: 'string', array: true, describe: 'dangling=true|false, reference=PATTERN, label=KEY[=VALUE], before=IMAGE, since=IMAGE (as docker)' })
    .option('format', { type: 'string', describe: "Go template as docker's: '{{.Repository}}:{{.Tag}} {{.ID}}', '{{json .}}', 'table …'; fields: ID Repository Tag Digest CreatedSince CreatedAt Size VirtualSize SharedSize UniqueSize Containers" })
    .option('human', { alias: 'H', type: 'boolean', default: true, describe: 'CREATED as "3 years ago"; -H=false: RFC 3339 in UTC' })
    .example('$0 images app.tar -q', 'image IDs only')
    .example("$0 images /evidence --filter dangling=true --format '{{.ID}} {{.CreatedSince}}'", 'untagged images, docker-style template')
    .example('$0 images app.tar', 'one row per image and tag')
    .example('$0 images /evidence --json --no-content', 'every archive under a directory, no layer read') as never,
  async handler(a) {
    // everything the command line says is checked before an input is opened
    const filters = parseImageFilters(a.filter ?? []);
    const template = templateArg(a.format, DOCKER_IMAGES_HEADERS);
    const archives = await openAll(a, a.inputs);
    // -q prints IDs, and a template that never names Size does not need the layers read
    // standard input is read once: its images show BLOB SIZE (the layers would need a second pass)
    const stdin = a.inputs.includes('-');
    if (stdin && a.content) note(a, "standard input is read once: BLOB SIZE is shown; save the archive to a file for Docker's SIZE");
    const wantSize = a.content && !stdin && !(a.quiet && !a.json) && (!a.format || /\bSize\b|VirtualSize|json/.test(a.format));
    const sizes = wantSize ? new Map<string, number>() : null;
    const imgs: Image[] = [];
    let mismatch = false;
    for (const ar of archives) {
      const listed = selectImages(ar.images, undefined, a.platform);
      const hidden = a.all ? new Set<Image>() : intermediates(listed);
      const mine = listed.filter((i) => !hidden.has(i));
      if (sizes) {
        // a reader per archive: its listings are let go once the sizes are known (a directory may hold hundreds)
        const reader = layerReader(a);
        await readDiffSizes(reader, ar, mine, sizes);
        mismatch = warnMismatches(reader) || mismatch;
      }
      imgs.push(...mine);
    }
    if (mismatch) process.exitCode = EXIT.findings;
    const all = imgs;
    const shown = filters.reference.length || filters.label.length || filters.dangling !== undefined || filters.before || filters.since
      ? filterImages(all, filters, (sel) => selectOne(all, sel)) : all;
    if (a.quiet && !a.json) {
      // docker images -q: the IDs, each once, in list order
      process.stdout.write([...new Set(shown.map((i) => (a.trunc ? shortId(i.id) : i.id)))].map((x) => `${x}\n`).join(''));
      return;
    }
    if (template && !a.json) {
      const rows = shown.flatMap((i) => dockerImageRows(i, sizes ? dockerSize(i, sizes) : null, { trunc: a.trunc }));
      process.stdout.write(printableText(runTemplate(() => renderTemplate(a.format!, rows, DOCKER_IMAGES_HEADERS))));
      return;
    }
    emit(a, imagesReport(shown, sizes), () => renderImages(shown, sizes, { full: !a.trunc, human: a.human, digests: a.digests }));
  },
};
