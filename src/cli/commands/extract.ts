import type { CommandModule } from '../argv/types.js';
import { EXIT, LayerdigError } from '../../errors.js';
import { emit, globalOptions, note, openOneArchive, type GlobalArgs } from '../context.js';
import { visitBodies } from '../../layer/bodies.js';
import { normalizeImagePath, resolveImagePath } from '../../layer/image-path.js';
import { planExtract, plannedFiles } from '../../analysis/extract-plan.js';
import { SafeDirWriter } from '../../export/dir-writer.js';
import { extractToDir } from '../../export/write.js';
import { imageRef } from '../../report/images.js';
import { renderWriteSummary } from '../../report/export.js';
import { enforceRefusals, loadSelected, overlayAt, warnMismatches } from '../content.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs {
  input: string;
  paths: string[];
  output: string;
  image?: string;
  layer?: string;
  skipUnsafe: boolean;
  overwrite: boolean;
}

export const extract: CommandModule<object, Args> = {
  ...SPECS.extract,
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true, describe: 'archive or image directory' })
    .positional('paths', { type: 'string', array: true, demandOption: true, describe: 'paths inside the image (/ for everything)' })
    .option('output', { alias: 'o', type: 'string', demandOption: true, describe: 'directory to write into (created if missing)' })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('layer', { alias: 'l', type: 'string', describe: 'the filesystem as it stood after this layer (index or diffID): recovers files a later layer deleted' })
    .option('overwrite', { type: 'boolean', default: false, describe: 'replace files that already exist in the output directory (default: refuse, nothing written)' })
    .option('skip-unsafe', { type: 'boolean', default: false, describe: 'write everything else when members are refused (exit code 1) instead of writing nothing (exit code 3)' })
    .example('$0 extract app.tar etc usr/local/bin/app -o out', 'two subtrees into ./out (as out/etc, out/usr/local/bin/app)')
    .example('$0 extract app.tar --layer 3 root/.aws -o evidence', 'files as they were after layer 3') as never,
  async handler(a) {
    const ar = await openOneArchive(a, a.input);
    try {
      const { reader, loaded, layer } = await loadSelected(a, ar);
      const img = loaded.image;
      const tree = overlayAt(loaded, layer);
      const roots: string[] = [];
      for (const p of a.paths) {
        const want = normalizeImagePath(p);
        const r = resolveImagePath((x) => tree.final.get(x), want, false);
        if (!r.ok) throw new LayerdigError('E_NOT_FOUND', `${p}: ${r.reason === 'missing' ? `no ${r.at}` : r.reason === 'loop' ? `symbolic link loop at ${r.at}` : `${r.at} is not a directory`} in ${layer ? `the image as of layer ${layer.index}` : 'the final image'}`);
        if (r.path !== want) note(a, `${p} resolves to ${r.path || '/'}; written there`);
        roots.push(r.path);
      }
      const plan = planExtract(tree.final, roots, { symlinks: 'contain' });
      enforceRefusals(plan, ar.path, a.skipUnsafe);
      const w = await SafeDirWriter.open(a.output);
      if (!a.overwrite) {
        const there = await w.existing(plannedFiles(plan));
        if (there.length) {
          throw new LayerdigError('E_UNSAFE_PATH', `${w.root}: ${there.length} file${there.length === 1 ? '' : 's'} to extract already exist${there.length === 1 ? 's' : ''} (${there.slice(0, 3).map((p) => JSON.stringify(p)).join(', ')}${there.length > 3 ? ', …' : ''}); nothing written (--overwrite replaces them)`);
        }
      }
      const layers = layer ? img.layers.slice(0, layer.index + 1) : img.layers;
      const s = await extractToDir(plan, w, (want, fn) => visitBodies(ar.store, reader, layers, want, (e, body) => fn(e, body)));
      if (s.rewrittenSymlinks) note(a, `${s.rewrittenSymlinks} absolute symbolic link target(s) rewritten relative, so they stay inside ${w.root}`);
      if (s.skippedSpecials.length) note(a, `not created (devices and fifos): ${s.skippedSpecials.join(', ')}`);
      if (s.skippedDangling.length) note(a, `hard links to nothing, not created: ${s.skippedDangling.join(', ')}`);
      const doc = { image: imageRef(img), layer: layer ? { index: layer.index, diffId: layer.diffId } : null, output: w.root, ...s, refused: plan.refused };
      emit(a, doc, () => renderWriteSummary('extracted', w.root, s));
      if (warnMismatches(reader) || plan.refused.length) process.exitCode = EXIT.findings;
    } finally {
      ar.close();
    }
  },
};
