import type { Image } from '../image/model.js';
import type { FileDiff, SharedLayers } from '../analysis/diff.js';
import { summarize } from '../analysis/diff.js';
import { describeImage } from '../image/select.js';
import { humanSize, id } from './text.js';
import { imageRef } from './images.js';
import { printable } from './text.js';
import { table } from './table.js';
import { packageSectionJson, renderPackageSection, type PackageSection } from './packages.js';

const layerJson = (l: { index: number; diffId: string; chainId: string }) => ({ index: l.index, diffId: l.diffId, chainId: l.chainId });

export function diffReport(a: Image, b: Image, shared: SharedLayers, files: FileDiff[], packages: PackageSection | null = null) {
  return {
    a: imageRef(a),
    b: imageRef(b),
    sharedLayers: shared.count,
    sharedChainId: shared.chainId,
    layersOnlyA: shared.onlyA.map(layerJson),
    layersOnlyB: shared.onlyB.map(layerJson),
    files: files.map((f) => ({
      path: f.path,
      change: f.change,
      typeA: f.a?.entry.type ?? null,
      typeB: f.b?.entry.type ?? null,
      sizeA: f.sizeA,
      sizeB: f.sizeB,
      what: f.what,
    })),
    summary: summarize(files),
    packages: packages ? packageSectionJson(packages) : null,
  };
}

const signed = (n: number) => (n < 0 ? `-${humanSize(-n)}` : `+${humanSize(n)}`);

export function renderDiff(a: Image, b: Image, shared: SharedLayers, files: FileDiff[], full: boolean, packages: PackageSection | null = null): string {
  const s = summarize(files);
  const head = [
    `A  ${describeImage(a)}`,
    `B  ${describeImage(b)}`,
    shared.count
      ? `shared layers: ${shared.count} (A has ${a.layers.length}, B has ${b.layers.length}; up to chainID ${id(shared.chainId, full)})`
      : `shared layers: none (A has ${a.layers.length}, B has ${b.layers.length})`,
    ...shared.onlyA.map((l) => `  only in A: layer ${l.index} ${id(l.diffId, full)}`),
    ...shared.onlyB.map((l) => `  only in B: layer ${l.index} ${id(l.diffId, full)}`),
  ].join('\n');
  const rows = files.map((f) => {
    const n = f.b ?? f.a!;
    const name = printable(f.path) + (n.entry.type === 'dir' ? '/' : '');
    return [f.change, name, f.sizeA === null ? '-' : humanSize(f.sizeA), f.sizeB === null ? '-' : humanSize(f.sizeB), f.what.join(',') || '-'];
  });
  const body = rows.length ? table(['CHANGE', 'PATH', 'SIZE A', 'SIZE B', 'WHAT'], rows) : '(the final filesystems are the same, mtimes aside)';
  const foot = `${s.added} added (${humanSize(s.bytesAdded)}), ${s.removed} removed (${humanSize(s.bytesRemoved)}), ${s.changed} changed (${signed(s.bytesChanged)})`;
  return `${head}\n\n${body}\n\n${foot}${packages ? `\n\n${renderPackageSection(packages)}` : ''}`;
}
