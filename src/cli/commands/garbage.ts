import type { CommandModule } from '../argv/types.js';
import { LayerdigError } from '../../errors.js';
import { emit, globalOptions, openAll, problem, warn, type GlobalArgs } from '../context.js';
import { readRegistry, RegistryStore } from '../../format/registry-storage.js';
import { SPECS } from './specs.js';
import { registryGarbage } from '../../analysis/registry-garbage.js';
import { garbageDocument, renderGarbage, type GarbageReport } from '../../report/garbage.js';

interface Args extends GlobalArgs { inputs: string[]; deleteUntagged: boolean }

export const garbage: CommandModule<object, Args> = {
  ...SPECS.garbage,
  builder: (y) => globalOptions(y)
    .positional('inputs', { type: 'string', array: true, demandOption: true, describe: 'registry storages (/var/lib/registry, a copy or a tar of it)' })
    .option('delete-untagged', { alias: 'm', type: 'boolean', default: false, describe: 'as garbage-collect --delete-untagged: manifests no tag points at are deleted, and their blobs' })
    .example('$0 garbage /var/lib/registry', 'why the registry holds more than its images')
    .example('$0 garbage registry.tar.gz --delete-untagged --json', 'and after deleting untagged manifests') as never,
  async handler(a) {
    const archives = await openAll(a, a.inputs, false);
    const reports: GarbageReport[] = [];
    try {
      for (const ar of archives) {
        if (!(ar.store instanceof RegistryStore)) {
          problem(a, { input: ar.path, error: new LayerdigError('E_NOT_AN_ARCHIVE', `${ar.path}: a ${ar.format}, not a registry storage: it holds no registry garbage`) });
          continue;
        }
        const r = registryGarbage(ar.store.facts ?? await readRegistry(ar.store, ar.store.root), a.deleteUntagged);
        // the registry's own run stops at such a manifest ("failed to mark"): say so, the rest is still answered
        for (const u of r.unmarkable) warn(`${ar.path}!${u.member}: ${u.why}: registry garbage-collect stops here; the blobs this manifest references are counted as garbage`);
        reports.push({ archive: ar.path, ...r });
      }
    } finally {
      for (const ar of archives) ar.close();
    }
    if (reports.length === 0) throw new LayerdigError('E_NOT_AN_ARCHIVE', `${a.inputs.join(', ')}: no registry storage (docker/registry/v2/repositories and blobs) found`);
    emit(a, reports.map(garbageDocument), () => renderGarbage(reports, !a.trunc));
  },
};
