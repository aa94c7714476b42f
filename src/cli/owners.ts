import type { Store } from '../store/store.js';
import type { LayerReader } from '../layer/reader.js';
import type { Image } from '../image/model.js';
import type { Overlay } from '../analysis/filetree.js';
import { finalPackages } from '../packages/scan.js';
import { ownerIndex, type OwnerLookup } from '../packages/owner.js';
import { note, type GlobalArgs } from './context.js';

/** `--packages` of ls and file: the final image's package databases read, as an owner lookup; says when there are none. */
export async function ownerLookup(a: Pick<GlobalArgs, 'quiet'>, store: Store, reader: LayerReader, img: Image, ov: Overlay): Promise<OwnerLookup> {
  const fp = await finalPackages(store, reader, img, ov);
  for (const n of fp.notes) note(a, `${img.archive}: ${n}`);
  if (fp.databases.length === 0) note(a, `${img.archive}: no package database (dpkg, apk or rpm) in the final image: no path has an owner`);
  return ownerIndex(ov.final, fp.packages);
}
