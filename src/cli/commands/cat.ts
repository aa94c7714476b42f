import { pipeline } from 'node:stream/promises';
import type { CommandModule } from '../argv/types.js';
import { LayerdigError } from '../../errors.js';
import { globalOptions, note, openOneArchive, type GlobalArgs } from '../context.js';
import { visitBodies } from '../../layer/bodies.js';
import { normalizeImagePath } from '../../layer/image-path.js';
import { loadSelected, overlayAt, warnMismatches } from '../content.js';
import { locateFile } from '../../analysis/locate.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { input: string; path: string; image?: string; layer?: string }

export const cat: CommandModule<object, Args> = {
  ...SPECS.cat,
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true, describe: 'archive or image directory' })
    .positional('path', { type: 'string', demandOption: true, describe: 'a path inside the image' })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('layer', { alias: 'l', type: 'string', describe: 'read the filesystem as it stood after this layer (index or diffID): recovers files a later layer deleted' })
    .example('$0 cat app.tar etc/os-release', 'a file of the final image')
    .example('$0 cat app.tar --layer 2 root/.ssh/id_rsa', 'a file that a later layer deleted') as never,
  async handler(a) {
    const ar = await openOneArchive(a, a.input);
    try {
      const { reader, loaded, layer } = await loadSelected(a, ar);
      const img = loaded.image;
      const found = locateFile(overlayAt(loaded, layer), loaded.listings, normalizeImagePath(a.path), layer?.index ?? null);
      if (found.resolvedPath !== normalizeImagePath(a.path)) note(a, `${a.path} resolves to ${found.resolvedPath}`);
      let seen = false;
      await visitBodies(ar.store, reader, [img.layers[found.layerIndex]!], new Set([found.entry]), async (_e, body) => {
        seen = true;
        await pipeline(body, process.stdout, { end: false });
      });
      if (!seen) throw new LayerdigError('E_BAD_ARCHIVE', `${img.layers[found.layerIndex]!.storage}: ${found.entry.path} was listed but not found when read`);
      warnMismatches(reader);
    } finally {
      ar.close();
    }
  },
};
