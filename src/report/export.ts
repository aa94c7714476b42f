import type { WriteSummary } from '../export/write.js';
import { humanSize } from './format.js';

export function renderWriteSummary(verb: string, where: string, s: WriteSummary): string {
  const parts = [`${s.files} files (${humanSize(s.bytes)})`, `${s.dirs} directories`, `${s.symlinks} symbolic links`, `${s.hardlinks} hard links`];
  if (s.specials) parts.push(`${s.specials} devices/fifos`);
  return `${verb} ${parts.join(', ')} to ${where}`;
}
