import { createWriteStream, renameSync, rmSync } from 'node:fs';
import { finished } from 'node:stream/promises';
import type { CommandModule } from '../argv/types.js';
import { useContainer } from '../container-image.js';
import { EXIT, LayerdigError } from '../../errors.js';
import { emit, globalOptions, note, openOneArchive, layerReader, type GlobalArgs } from '../context.js';
import { selectOne } from '../../image/select.js';
import { visitBodies } from '../../layer/bodies.js';
import { planExtract } from '../../analysis/extract-plan.js';
import { TarWriter } from '../../export/tar-writer.js';
import { exportToTar } from '../../export/write.js';
import { imageRef } from '../../report/images.js';
import { renderWriteSummary } from '../../report/export.js';
import { enforceRefusals, loadImages, warnMismatches } from '../content.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { input: string; output: string; image?: string; skipUnsafe: boolean; container?: string }

export const exportCmd: CommandModule<object, Args> = {
  ...SPECS.export,
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true, describe: 'archive or image directory' })
    .option('container', { type: 'string', describe: 'a Docker data-root\'s container (ID prefix or name): read its filesystem (image + writable layer)' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'the tar to write; - for stdout' })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('skip-unsafe', { type: 'boolean', default: false, describe: 'leave out refused members (exit code 1) instead of writing nothing (exit code 3)' })
    .example('$0 export app.tar -o rootfs.tar', 'the final filesystem as one tar')
    .example('$0 export app.tar -i app:1.0 -o - | tar -t', 'to stdout') as never,
  async handler(a) {
    const toStdout = a.output === '-';
    if (toStdout && a.json) throw new LayerdigError('E_USAGE', '--json prints a summary on stdout: write the tar to a file with -o');
    const ar = await openOneArchive(a, a.input);
    try {
      if (a.container !== undefined) await useContainer(ar, a.container);
      const img = selectOne(ar.images, a.image, a.platform);
      const reader = layerReader(a);
      const [loaded] = await loadImages(reader, ar, [img]);
      const plan = planExtract(loaded!.overlay.final, [''], { symlinks: 'verbatim' });
      enforceRefusals(plan, ar.path, a.skipUnsafe);
      const tmp = toStdout ? null : `${a.output}.layerdig-${process.pid}.tmp`;
      const out = toStdout ? process.stdout : createWriteStream(tmp!, { flags: 'wx' });
      const t = new TarWriter(out);
      let s;
      try {
        s = await exportToTar(plan, t, (want, fn) => visitBodies(ar.store, reader, img.layers, want, (e, body) => fn(e, body)));
        if (!toStdout) {
          out.end();
          await finished(out);
          renameSync(tmp!, a.output);
        }
      } catch (e) {
        if (tmp) {
          out.destroy();
          rmSync(tmp, { force: true });
        }
        if ((e as NodeJS.ErrnoException).code && !(e instanceof LayerdigError)) throw new LayerdigError('E_IO', `${a.output}: ${(e as Error).message}`);
        throw e;
      }
      if (s.skippedDangling.length) note(a, `hard links to nothing, left out: ${s.skippedDangling.join(', ')}`);
      if (s.skippedSpecials.length) note(a, `entries of unknown type left out: ${s.skippedSpecials.join(', ')}`);
      const doc = { image: imageRef(img), output: a.output, tarBytes: t.written, entries: t.entries, ...s, refused: plan.refused };
      if (toStdout) note(a, renderWriteSummary('exported', 'stdout', s));
      else emit(a, doc, () => renderWriteSummary('exported', a.output, s));
      if (warnMismatches(reader) || plan.refused.length) process.exitCode = EXIT.findings;
    } finally {
      ar.close();
    }
  },
};
