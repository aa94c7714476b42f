import type { IndexedArchive } from '../catalog/indexer.js';
import { table } from './table.js';

/** `index --json`: `{db, archives: [{archive, status, format, images, layersListed, reason}]}`. */
export function indexReport(db: string, archives: IndexedArchive[]) {
  return { db, archives };
}

export function renderIndex(db: string, archives: IndexedArchive[]): string {
  const rows = archives.map((a) => [a.archive, a.status + (a.reason ? `: ${a.reason}` : ''), a.format ?? '-', a.images, a.layersListed]);
  const count = (s: string) => archives.filter((a) => a.status === s).length;
  const summary = `${db}: ${count('indexed')} indexed, ${count('updated')} updated, ${count('unchanged')} unchanged, ${count('removed')} removed, ${count('failed')} failed`;
  return `${table(['ARCHIVE', 'STATUS', 'FORMAT', 'IMAGES', 'LAYERS LISTED'], rows)}\n${summary}`;
}
