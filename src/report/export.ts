import type { WriteSummary } from '../export/write.js';
import { humanSize } from './text.js';

export function renderWriteSummary(verb: string, where: string, s: WriteSummary): string {
  const n = (k: number, one: string, many: string) => `${k} ${k === 1 ? one : many}`;
  const parts = [`${n(s.files, 'file', 'files')} (${humanSize(s.bytes)})`, n(s.dirs, 'directory', 'directories'),
    n(s.symlinks, 'symbolic link', 'symbolic links'), n(s.hardlinks, 'hard link', 'hard links')];
  if (s.specials) parts.push(n(s.specials, 'device/fifo', 'devices/fifos'));
  return `${verb} ${parts.join(', ')} to ${where}`;
}
