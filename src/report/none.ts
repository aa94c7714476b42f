import { summaryRef } from '../analysis/summary.js';
import type { NoneResult } from '../analysis/none.js';
import { id } from './text.js';
import { summaryLabel } from './summary.js';
import { table } from './table.js';

/** `none --json`: `[{image, candidates: [{image, sameId, sharedPrefix, sharedSet, samePlatform, sameArchive, sameMediaFamily, names, archives}]}]`. */
export function noneReport(results: NoneResult[]) {
  return results.map((r) => ({
    image: summaryRef(r.image),
    candidates: r.candidates.map((c) => ({
      image: summaryRef(c.image),
      sameId: c.sameId,
      sharedPrefix: c.sharedPrefix,
      sharedSet: c.sharedSet,
      samePlatform: c.samePlatform,
      sameArchive: c.sameArchive,
      sameMediaFamily: c.sameMediaFamily,
      names: c.names,
      archives: c.archives,
    })),
  }));
}

export function renderNone(results: NoneResult[], full: boolean): string {
  if (results.length === 0) return 'no untagged image in the inputs';
  return results.map((r) => {
    const head = `UNTAGGED ${summaryLabel(r.image, (d) => id(d, full))}, ${r.image.layers.length} layers`;
    if (r.candidates.length === 0) return `${head}\n  no tagged image shares a layer with it`;
    const rows = r.candidates.map((c, i) => [
      i + 1,
      c.names.join(', '),
      id(c.image.id, full),
      c.sameId ? 'yes' : 'no',
      `${c.sharedPrefix}/${r.image.layers.length}`,
      c.sharedSet,
      c.samePlatform ? c.image.platform : `${c.image.platform} (differs)`,
      c.archives.length > 1 ? `${c.image.archive} (+${c.archives.length - 1} more)` : c.image.archive,
    ]);
    return `${head}\n${table(['#', 'TAGGED AS', 'IMAGE ID', 'SAME ID', 'ROOTFS LAYERS', 'SHARED DIFFIDS', 'PLATFORM', 'ARCHIVE'], rows)}`;
  }).join('\n\n');
}
