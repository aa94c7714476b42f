import type { CommandModule } from '../argv/types.js';
import { printContainerChanges } from '../container-diff.js';
import { useContainer } from '../container-image.js';
import { LayerdigError } from '../../errors.js';
import { emit, globalOptions, openOneArchive, type GlobalArgs } from '../context.js';
import { ownerLookup } from '../owners.js';
import { mergedEntries } from '../../analysis/filetree.js';
import { isUnder, normalizeImagePath } from '../../layer/image-path.js';
import { loadSelected, warnMismatches } from '../content.js';
import { id } from '../../report/text.js';
import { lsReport, renderLong, renderTree, type LsRow } from '../../report/ls.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs {
  container?: string;
  input: string;
  path?: string;
  image?: string;
  layer?: string;
  merged: boolean;
  changes: boolean;
  tree: boolean;
  packages: boolean;
}

export const ls: CommandModule<object, Args> = {
  ...SPECS.ls,
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true, describe: 'archive or image directory' })
    .positional('path', { type: 'string', describe: 'only this path and what is under it' })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('layer', { alias: 'l', type: 'string', describe: 'a layer by index (0 = bottom) or diffID (prefix): its entries as stored, whiteouts included' })
    .option('merged', { type: 'boolean', default: false, describe: 'the final filesystem, whiteouts applied (the default without --layer)' })
    .option('changes', { type: 'boolean', default: false, describe: 'A/M/D: what the layer (or every layer) added, modified and deleted' })
    .option('tree', { type: 'boolean', default: false, describe: 'print a tree instead of a long listing' })
    .option('packages', { type: 'boolean', default: false, describe: 'the installed package that owns each path (dpkg, apk, rpm database of the final image; reads the layers holding it)' })
    .option('container', { type: 'string', describe: 'a Docker data-root\'s container (ID prefix or name): its filesystem; with --changes docker diff\'s A/C/D lines' })
    .example('$0 ls app.tar', 'the final filesystem, like ls -lR')
    .example('$0 ls app.tar --layer 2 etc', 'what layer 2 stores under /etc')
    .example('$0 ls app.tar --changes --tree', 'each layer\'s additions, modifications, deletions')
    .example('$0 ls app.tar -i app:1.0 --merged --json', 'the merged filesystem as JSON')
    .example('$0 ls app.tar usr/bin --packages', 'which package owns each file under /usr/bin') as never,
  async handler(a) {
    if (a.container !== undefined && a.changes) return printContainerChanges(a, a.input, a.container);
    if (a.merged && (a.layer !== undefined || a.changes)) {
      throw new LayerdigError('E_USAGE', '--merged is the final filesystem: it does not combine with --layer or --changes');
    }
    const ar = await openOneArchive(a, a.input);
    try {
      if (a.container !== undefined) await useContainer(ar, a.container);
      const { reader, loaded, layer } = await loadSelected(a, ar);
      const img = loaded.image;
      const { listings, overlay: ov } = loaded;
      const bytes = (e: LsRow['entry']) => e.type === 'file' ? e.size : e.type === 'hardlink' ? ov.links.get(e)?.entry.size ?? 0 : 0;

      let rows: LsRow[];
      if (a.changes) {
        const ks = layer ? [layer.index] : img.layers.map((l) => l.index);
        rows = ks.flatMap((k) => ov.changes[k]!.map((c) => {
          const e = c.entry ?? c.before!.entry;
          return { path: c.path, entry: e, layerIndex: k, size: bytes(e), change: c.change };
        }));
      } else if (layer) {
        rows = listings[layer.index]!.map((e) => ({ path: e.path, entry: e, layerIndex: layer.index, size: bytes(e) }));
      } else {
        rows = mergedEntries(ov).map((n) => ({ path: n.path, entry: n.entry, layerIndex: n.layerIndex, size: bytes(n.entry) }));
      }
      if (a.path !== undefined) {
        const root = normalizeImagePath(a.path);
        rows = rows.filter((r) => isUnder(r.path, root));
        if (rows.length === 0 && root !== '') {
          throw new LayerdigError('E_NOT_FOUND', `${ar.path}: no entry ${root} in ${layer ? `layer ${layer.index}` : a.changes ? 'any layer\'s changes' : 'the final filesystem'}`);
        }
      }
      if (a.packages) {
        const owners = await ownerLookup(a, ar.store, reader, img, ov);
        for (const r of rows) r.owners = owners(r.path);
      }
      emit(a, lsReport(img, layer, rows, a.changes),
        () => {
          if (!a.tree) return renderLong(rows, a.changes, a.changes && !layer);
          if (!a.changes || layer) return renderTree(rows, a.changes);
          // every layer's changes: one tree per layer
          return img.layers.map((l) => `layer ${l.index} ${id(l.diffId, !a.trunc)}\n${renderTree(rows.filter((r) => r.layerIndex === l.index), true)}`).join('\n\n');
        });
      warnMismatches(reader);
    } finally {
      ar.close();
    }
  },
};
