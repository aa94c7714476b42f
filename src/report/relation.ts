import { summaryRef } from '../analysis/summary.js';
import type { RelationResult } from '../analysis/relation.js';
import { id } from './text.js';
import { summaryNames } from './summary.js';
import { table } from './table.js';

/** `relation --json`: `{query, id, matches: [{image, layerIndex, matchedOn, diffId, chainId, digest, sameChain, chainGroup, weak}]}`. */
export function relationReport(r: RelationResult) {
  return {
    query: r.query,
    id: r.id,
    matches: r.matches.map((m) => ({
      image: summaryRef(m.image),
      layerIndex: m.layerIndex,
      matchedOn: m.matchedOn,
      diffId: m.diffId,
      chainId: m.chainId,
      digest: m.digest,
      sameChain: m.sameChain,
      chainGroup: m.chainGroup,
      weak: m.weak,
    })),
  };
}

export function renderRelation(r: RelationResult, full: boolean): string {
  const distinct = new Set(r.matches.map((m) => `${m.image.archive}\0${m.image.id}\0${m.image.platform}`)).size;
  const archives = new Set(r.matches.map((m) => m.image.archive)).size;
  const rows = r.matches.flatMap((m) => summaryNames(m.image).map((n) => [
    n.repository, n.tag, id(m.image.id, full), m.layerIndex,
    m.matchedOn.join(', ') + (m.weak ? ' (weak)' : ''),
    m.sameChain ? `yes (chain ${m.chainGroup})` : distinct > 1 ? 'no: content only' : '-',
    m.image.archive,
  ]));
  const lines = [
    `${id(r.id, full)}: ${r.matches.length} layer${r.matches.length === 1 ? '' : 's'} in ${distinct} image${distinct === 1 ? '' : 's'}, ${archives} archive${archives === 1 ? '' : 's'}`,
    table(['REPOSITORY', 'TAG', 'IMAGE ID', 'LAYER', 'MATCHED ON', 'SAME CHAIN', 'ARCHIVE'], rows),
  ];
  if (r.matches.some((m) => m.weak)) lines.push('(weak) a well-known empty layer: unrelated images share it, so it says nothing about ancestry');
  return lines.join('\n');
}
