import type { CommandModule } from '../argv/types.js';
import { printContainerChanges } from '../container-diff.js';
import { EXIT, LayerdigError } from '../../errors.js';
import { emit, globalOptions, openAll, layerReader, warn, type GlobalArgs } from '../context.js';
import { selectOne } from '../../image/select.js';
import { hashBodies } from '../../layer/bodies.js';
import type { LayerEntry } from '../../layer/entry.js';
import type { Digest } from '../../digest.js';
import { diffTrees, settle, sharedLayers } from '../../analysis/diff.js';
import { diffReport, renderDiff } from '../../report/diff.js';
import { loadImages, warnMismatches } from '../content.js';
import { finalPackages } from '../../packages/scan.js';
import { comparePackages } from '../../packages/compare.js';
import type { PackageSection } from '../../report/packages.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs {
  container?: string;
  a: string;
  b?: string;
  image?: string | string[];
  imageA?: string;
  imageB?: string;
  packages: boolean;
}

export const diff: CommandModule<object, Args> = {
  ...SPECS.diff,
  builder: (y) => globalOptions(y)
    .positional('a', { type: 'string', demandOption: true, describe: 'archive holding image A (and B, when b is not given)' })
    .positional('b', { type: 'string', describe: 'archive holding image B' })
    .option('image', { alias: 'i', type: 'string', describe: 'selector; given twice, the first picks A and the second B' })
    .option('image-a', { type: 'string', describe: 'selector for A' })
    .option('image-b', { type: 'string', describe: 'selector for B' })
    .option('packages', { type: 'boolean', default: true, describe: 'compare the installed packages (dpkg, apk, rpm) too: added, removed, upgraded, downgraded; --no-packages skips reading their databases' })
    .option('container', { type: 'string', describe: 'a Docker data-root\'s container (ID prefix or name): what it added, changed, deleted, as docker diff' })
    .example('$0 diff app-1.0.tar app-1.1.tar', 'two archives of one image each')
    .example('$0 diff images.tar -i app:1.0 -i app:1.1', 'two images of one archive')
    .example('$0 diff old.tar new.tar --image-b app:latest --json', 'pick B in an archive of several') as never,
  async handler(a) {
    if (a.container !== undefined) return printContainerChanges(a, a.a, a.container);
    const sels = a.image === undefined ? [] : Array.isArray(a.image) ? a.image : [a.image];
    if (sels.length > 2) throw new LayerdigError('E_USAGE', '-i selects A then B: give it at most twice');
    if ((a.imageA && sels.length > 0 && !a.imageB && sels.length > 1) || (a.imageA && a.imageB && sels.length)) {
      throw new LayerdigError('E_USAGE', 'give selectors either with -i (A then B) or with --image-a/--image-b');
    }
    const selA = a.imageA ?? sels[0];
    const selB = a.imageB ?? (a.imageA ? sels[0] : sels[1]);
    let packagesFailed = false;
    const archives = await openAll(a, a.b !== undefined ? [a.a, a.b] : [a.a], false, false);
    try {
      const arA = archives[0]!;
      const arB = archives[1] ?? arA;
      if (arB === arA && selA === undefined && selB === undefined) {
        throw new LayerdigError('E_USAGE', `${arA.path}: name the two images to compare with -i A -i B`);
      }
      const imgA = selectOne(arA.images, selA, a.platform);
      const imgB = selectOne(arB.images, selB, a.platform);
      const reader = layerReader(a);
      const [la] = await loadImages(reader, arA, [imgA]);
      const [lb] = await loadImages(reader, arB, [imgB]);
      const t = diffTrees(la!.overlay, lb!.overlay);
      const digests = new Map<LayerEntry, Digest>();
      if (t.pending.length) {
        await hashBodies(arA.store, reader, imgA.layers, new Set(t.pending.map((p) => p.a)), digests);
        await hashBodies(arB.store, reader, imgB.layers, new Set(t.pending.map((p) => p.b)), digests);
      }
      const files = settle(t, digests);
      const shared = sharedLayers(imgA, imgB);
      let packages: PackageSection | null = null;
      if (a.packages) {
        try {
          const pa = await finalPackages(arA.store, reader, imgA, la!.overlay);
          const pb = await finalPackages(arB.store, reader, imgB, lb!.overlay);
          packages = { databasesA: pa.databases, databasesB: pb.databases, changes: comparePackages(pa.packages, pb.packages), error: null };
        } catch (e) {
          // the files are still compared; the package section says why it is empty
          if (!(e instanceof LayerdigError)) throw e;
          warn(`${e.message}: the packages are not compared`);
          packages = { databasesA: [], databasesB: [], changes: [], error: e.message };
          packagesFailed = true;
        }
      }
      emit(a, diffReport(imgA, imgB, shared, files, packages), () => renderDiff(imgA, imgB, shared, files, !a.trunc, packages));
      // a diffID mismatch is warned about (diff's exit code stays as it was); an unreadable database makes the answer partial
      if (!warnMismatches(reader) && packagesFailed) process.exitCode = EXIT.partial;
    } finally {
      for (const ar of archives) ar.close();
    }
  },
};
