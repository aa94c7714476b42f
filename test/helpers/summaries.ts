import { createHash } from 'node:crypto';
import { chainIds } from '../../src/image/chain.js';
import type { ImageSummary } from '../../src/analysis/summary.js';
import { LayerdigError } from '../../src/errors.js';

/** Hand-made image summaries for the unit tests of the cross-image analyses (relation, none, base, empty layers). */
export const d = (s: string) => `sha256:${createHash('sha256').update(s).digest('hex')}`;
export const EMPTY = 'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef';

export function img(name: string | null, diffIds: string[], extra: Partial<ImageSummary> = {}): ImageSummary {
  const chains = chainIds(diffIds);
  return {
    archive: extra.archive ?? `${name ?? 'untagged'}.tar`,
    format: 'docker-archive',
    id: d(`config of ${name} ${diffIds.join()} ${extra.archive ?? ''}`),
    manifestDigest: null,
    repoTags: name ? [name] : [],
    refName: null,
    platform: 'linux/amd64',
    mediaFamily: 'docker',
    created: '2024-01-01T00:00:00Z',
    labels: {},
    annotations: {},
    layers: diffIds.map((x, i) => ({ diffId: x, chainId: chains[i]!, digest: x, compressedSize: 10, member: `${i}/layer.tar` })),
    history: diffIds.map((_, i) => ({ created: null, createdBy: `step ${i}`, comment: null, emptyLayer: false, layerIndex: i })),
    ...extra,
  };
}

export const [L0, L1, L2, L3, L4] = ['os', 'deps', 'app-v1', 'app-v2', 'other'].map(d) as [string, string, string, string, string];

/** The LayerdigError code a call throws, OTHER for anything else, NONE if it returns. */
export function code(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return e instanceof LayerdigError ? e.code : 'OTHER';
  }
  return 'NONE';
}
