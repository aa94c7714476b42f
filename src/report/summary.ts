import { isFullReference, splitReference } from '../image/reference.js';
import type { ImageSummary } from '../analysis/summary.js';

/** REPOSITORY and TAG columns of an image summary, as `images` shows them. */
export function summaryNames(s: Pick<ImageSummary, 'repoTags' | 'refName'>): { repository: string; tag: string }[] {
  if (s.repoTags.length) return s.repoTags.map(splitReference);
  if (s.refName) return [isFullReference(s.refName) ? splitReference(s.refName) : { repository: '<none>', tag: s.refName }];
  return [{ repository: '<none>', tag: '<none>' }];
}

export function summaryLabel(s: ImageSummary, short: (d: string) => string): string {
  const names = s.repoTags.length ? s.repoTags : s.refName ? [s.refName] : ['<none>'];
  return `${names.join(', ')} ${short(s.id)} ${s.platform} (${s.archive})`;
}
