import type { Store } from '../store/store.js';
import type { LayerReader } from '../layer/reader.js';
import type { LayerEntry } from '../layer/entry.js';
import type { Image } from '../image/model.js';
import type { Overlay } from '../analysis/filetree.js';
import { visitBodies } from '../layer/bodies.js';
import { LayerdigError } from '../errors.js';
import { classifyDbPath, hasDatabase, readGroup } from './databases.js';
import { MAX_DB_BYTES, MAX_DB_TOTAL_BYTES, type Package } from './model.js';

/** The packages as they stood after each layer. */
export interface LayerPackages {
  layerIndex: number;
  /** this layer wrote or deleted a package-database file */
  touched: boolean;
  packages: Package[];
}

export interface PackageScan {
  layers: LayerPackages[];
  /** databases present in the final image: `dpkg`, `apk`, `rpm:var/lib/rpm` */
  databases: string[];
  notes: string[];
}

/**
 * Read every package-database file each layer writes, from the layer entries
 * (no extraction), and the package set as of each layer: a layer that does not
 * touch a database keeps the previous set; a whiteout of it removes it. A
 * database that cannot be read is an error naming the layer and the file.
 */
export async function scanPackages(store: Store, reader: LayerReader, image: Image, overlay: Overlay): Promise<PackageScan> {
  // 1. what each layer does to database files; a hard link's bytes are its source's
  const want = new Set<LayerEntry>();
  const source = (k: number, e: LayerEntry): LayerEntry => (e.type === 'hardlink' ? overlay.links.get(e)?.entry ?? e : e);
  overlay.changes.forEach((changes, k) => {
    for (const c of changes) {
      if (!c.entry || !classifyDbPath(c.path) || (c.entry.type !== 'file' && c.entry.type !== 'hardlink')) continue;
      const s = source(k, c.entry);
      if (s.size > MAX_DB_BYTES) {
        throw new LayerdigError('E_LIMIT', `${image.layers[k]!.storage}: /${c.path} is ${s.size} bytes, more than the ${MAX_DB_BYTES / 1024 / 1024} MiB a package database may have here`);
      }
      want.add(s);
    }
  });
  let total = 0;
  for (const e of want) total += e.size;
  if (total > MAX_DB_TOTAL_BYTES) {
    throw new LayerdigError('E_LIMIT', `${image.archive}: the package databases its layers write add up to ${total} bytes, more than the ${MAX_DB_TOTAL_BYTES / 1024 ** 3} GiB layerdig holds at once`);
  }
  // 2. their bytes, each layer read once
  const bodies = new Map<LayerEntry, Buffer>();
  await visitBodies(store, reader, image.layers, want, async (e, body) => {
    const parts: Buffer[] = [];
    for await (const c of body as AsyncIterable<Buffer>) parts.push(c);
    bodies.set(e, Buffer.concat(parts));
  });
  // 3. replay: database files as they stand after each layer
  const files = new Map<string, Map<string, Buffer>>(); // group → path → bytes
  const groupPackages = new Map<string, Package[]>();
  const layers: LayerPackages[] = [];
  const notes: string[] = [];
  overlay.changes.forEach((changes, k) => {
    const touched = new Set<string>();
    for (const c of changes) {
      const db = classifyDbPath(c.path);
      if (!db) continue;
      const g = files.get(db.group) ?? new Map<string, Buffer>();
      files.set(db.group, g);
      if (c.change === 'deleted') {
        if (g.delete(c.path)) touched.add(db.group);
      } else if (c.entry && (c.entry.type === 'file' || c.entry.type === 'hardlink')) {
        const b = bodies.get(source(k, c.entry));
        if (!b) throw new LayerdigError('E_BAD_ARCHIVE', `${image.layers[k]!.storage}: /${c.path} was listed but its bytes were not found when read`);
        g.set(c.path, b);
        touched.add(db.group);
      } else if (g.delete(c.path)) {
        touched.add(db.group); // replaced by a directory, symlink or device: no longer a database file
      }
    }
    for (const group of touched) {
      const g = files.get(group)!;
      if (!hasDatabase(g)) {
        groupPackages.delete(group);
        continue;
      }
      const r = readGroup(group, g);
      for (const [path, why] of r.errors) {
        throw new LayerdigError('E_BAD_ARCHIVE', `${image.layers[k]!.storage}: /${path} (layer ${k}) cannot be read as a package database: ${why}`);
      }
      for (const n of r.notes) notes.push(`layer ${k}: ${n}`);
      groupPackages.set(group, r.packages);
    }
    layers.push({ layerIndex: k, touched: touched.size > 0, packages: [...groupPackages.values()].flat() });
  });
  return { layers, databases: [...groupPackages.keys()].sort(), notes };
}

/** The packages of the final image only, and the databases they came from. */
export interface FinalPackages {
  databases: string[];
  packages: Package[];
  notes: string[];
}

/**
 * The final image's installed packages, reading only the database files as
 * they stand in the merged filesystem (each from the layer that last wrote
 * it): what `file`/`ls --packages` and `diff` need, without the per-layer
 * history `scanPackages` replays. An image with no database reads nothing.
 */
export async function finalPackages(store: Store, reader: LayerReader, image: Image, overlay: Overlay): Promise<FinalPackages> {
  const wanted = new Map<string, { entry: LayerEntry; layerIndex: number }>(); // path → the entry holding its bytes
  for (const [path, n] of overlay.final) {
    if (!classifyDbPath(path) || (n.entry.type !== 'file' && n.entry.type !== 'hardlink')) continue;
    const src = n.entry.type === 'hardlink' ? overlay.links.get(n.entry)?.entry : n.entry;
    if (!src) continue; // a hard link to nothing holds no database
    if (src.size > MAX_DB_BYTES) {
      throw new LayerdigError('E_LIMIT', `${image.layers[n.layerIndex]!.storage}: /${path} is ${src.size} bytes, more than the ${MAX_DB_BYTES / 1024 / 1024} MiB a package database may have here`);
    }
    wanted.set(path, { entry: src, layerIndex: n.layerIndex });
  }
  const bodies = new Map<LayerEntry, Buffer>();
  if (wanted.size > 0) {
    await visitBodies(store, reader, image.layers, new Set([...wanted.values()].map((w) => w.entry)), async (e, body) => {
      const parts: Buffer[] = [];
      for await (const c of body as AsyncIterable<Buffer>) parts.push(c);
      bodies.set(e, Buffer.concat(parts));
    });
  }
  const groups = new Map<string, Map<string, Buffer>>();
  for (const [path, w] of wanted) {
    const b = bodies.get(w.entry);
    if (!b) throw new LayerdigError('E_BAD_ARCHIVE', `${image.layers[w.layerIndex]!.storage}: /${path} was listed but its bytes were not found when read`);
    const g = classifyDbPath(path)!.group;
    groups.set(g, (groups.get(g) ?? new Map<string, Buffer>()).set(path, b));
  }
  const databases: string[] = [];
  const packages: Package[] = [];
  const notes: string[] = [];
  for (const [group, files] of [...groups].sort(([x], [y]) => (x < y ? -1 : 1))) {
    if (!hasDatabase(files)) continue;
    const r = readGroup(group, files);
    for (const [path, why] of r.errors) {
      const k = wanted.get(path)!.layerIndex;
      throw new LayerdigError('E_BAD_ARCHIVE', `${image.layers[k]!.storage}: /${path} (layer ${k}) cannot be read as a package database: ${why}`);
    }
    notes.push(...r.notes);
    databases.push(group);
    packages.push(...r.packages);
  }
  return { databases, packages, notes };
}
