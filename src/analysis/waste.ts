import type { LayerEntry } from '../layer/entry.js';
import { diveEfficiency, type DiveEfficiency } from './efficiency.js';
import { deadBytes, type DeadBytes } from './deadbytes.js';
import { overlay, type Overlay } from './filetree.js';

export interface Waste {
  dive: DiveEfficiency;
  overlay: Overlay;
  dead: DeadBytes;
}

/** dive's metrics and the dead bytes of one image, from its layers' entries. Pure. */
export function analyseWaste(layers: readonly (readonly LayerEntry[])[]): Waste {
  const ov = overlay(layers);
  return { dive: diveEfficiency(layers), overlay: ov, dead: deadBytes(layers, ov) };
}

/** Regular files (and hard links) of the merged filesystem with the setuid bit, sorted. */
export function setuidPaths(ov: Overlay): string[] {
  const out: string[] = [];
  for (const [path, n] of ov.final) {
    if ((n.entry.type === 'file' || n.entry.type === 'hardlink') && (n.entry.mode & 0o4000) !== 0) out.push(path);
  }
  return out.sort();
}
