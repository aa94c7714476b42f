import type { Archive } from '../app/archive.js';
import type { LayerReader } from '../layer/reader.js';
import { loadImages } from '../app/load.js';
import { LayerdigError } from '../errors.js';
import { stepOf } from '../image/history.js';
import type { Ecosystem } from './version.js';
import { scanPackages } from './scan.js';
import { attribute } from './attribution.js';

/**
 * One image's package inventory as the catalog records it (`index
 * --packages`): every installed package with the layer and step that
 * installed its version, or why the databases could not be read.
 */
export interface InventoryPackage {
  ecosystem: Ecosystem;
  name: string;
  version: string;
  arch: string;
  source: string | null;
  layerIndex: number;
  diffId: string;
  step: string;
  earlier: { version: string; layerIndex: number }[];
}

export interface ImageInventory {
  databases: string[];
  packages: InventoryPackage[];
  /** the image's databases (or layers) could not be read: no packages recorded, this says why */
  error: string | null;
}

/** Every image of an open archive, in `ar.images` order. An image that cannot be read gets its error, the others their packages. */
export async function readInventories(reader: LayerReader, ar: Archive): Promise<ImageInventory[]> {
  const out: ImageInventory[] = [];
  for (const image of ar.images) {
    try {
      const [loaded] = await loadImages(reader, ar, [image]);
      const scan = await scanPackages(ar.store, reader, image, loaded!.overlay);
      const att = attribute(scan.layers.map((l) => l.packages), loaded!.listings);
      out.push({
        databases: scan.databases,
        error: null,
        packages: att.packages.map((p) => ({
          ecosystem: p.ecosystem, name: p.name, version: p.version, arch: p.arch, source: p.source,
          layerIndex: p.layerIndex, diffId: image.layers[p.layerIndex]!.diffId, step: stepOf(image, p.layerIndex), earlier: p.earlier,
        })),
      });
    } catch (e) {
      if (!(e instanceof LayerdigError)) throw e;
      out.push({ databases: [], packages: [], error: e.message });
    }
  }
  return out;
}
