import { EXIT, LayerdigError } from '../errors.js';
import { canReadXattrs } from '../store/xattr.js';
import type { Archive } from '../app/archive.js';
import { DirLayerStore } from '../layer/dir-source.js';
import { hasDir, isOverlayWhiteout, walkDir } from '../layer/dir-walk.js';
import { findDataRoot, layerDir } from '../format/docker-data-root.js';
import { loadContainers, selectContainer, type Container } from '../format/docker-containers.js';
import { copyChanges, overlayChanges, type Change } from '../analysis/container-changes.js';
import { containerdStore, loadCtrContainers } from '../format/containerd.js';
import { emit, layerReader, note, openOneArchive, type GlobalArgs } from './context.js';
import { loadImages, warnMismatches } from './content.js';

/** The data-root an input is, or a usage error naming it. */
export function dataRootOf(ar: Archive): { view: DirLayerStore; root: NonNullable<ReturnType<typeof findDataRoot>> } {
  const root = ar.store instanceof DirLayerStore ? findDataRoot(ar.store.base) : null;
  if (!root || !(ar.store instanceof DirLayerStore)) throw new LayerdigError('E_USAGE', `${ar.path}: containers live in a Docker data-root; this input is a ${ar.format}`);
  return { view: ar.store, root };
}

/** The containers of a Docker data-root or of a containerd root. */
export async function containersOf(ar: Archive): Promise<Container[]> {
  if (ar.format === 'containerd') return loadCtrContainers(containerdStore(ar.store), ar.images);
  const { view, root } = dataRootOf(ar);
  return loadContainers(view.base, root);
}

export async function findContainer(ar: Archive, sel: string): Promise<Container> {
  const all = await containersOf(ar);
  const c = selectContainer(all, sel);
  if (!c) throw new LayerdigError('E_NOT_FOUND', `${ar.path}: no container ${sel}`, all.map((x) => `${x.id.slice(0, 12)} ${x.name}`));
  return c;
}

/**
 * `docker diff` offline: what the container's writable layer added, changed
 * and deleted against its image (overlay2: the upper directory against the
 * image's layers and the init layer; vfs: the full copy against the init layer).
 */
export async function containerChanges(a: GlobalArgs, ar: Archive, c: Container): Promise<Change[]> {
  if (ar.format === 'containerd') {
    // containerd: the active snapshot's upper directory over the image's layers (no init layer)
    if (!c.rwDir) throw new LayerdigError('E_BAD_ARCHIVE', `${ar.path}: container ${c.id} has no active overlayfs snapshot (key ${c.id}, snapshotter ${c.driver || '?'}) in the root`);
    return overlayChanges(walkDir(containerdStore(ar.store).base, c.rwDir), await lowerOf(a, ar, c), isOverlayWhiteout);
  }
  const { view, root } = dataRootOf(ar);
  const store = view.base;
  if (!c.mountId) throw new LayerdigError('E_BAD_ARCHIVE', `${ar.path}: container ${c.id.slice(0, 12)} has no mount-id in the layer store`);
  const rw = layerDir(root.prefix, c.driver, c.mountId);
  if (!hasDir(store, rw)) throw new LayerdigError('E_BAD_ARCHIVE', `${store.storage(rw)}: the container's writable layer directory is missing`);
  const init = c.initId ? layerDir(root.prefix, c.driver, c.initId) : null;
  if (c.driver === 'vfs') {
    if (!init) throw new LayerdigError('E_BAD_ARCHIVE', `${ar.path}: container ${c.id.slice(0, 12)} has no init layer to compare with`);
    return copyChanges(walkDir(store, rw), walkDir(store, init));
  }
  const lower = await lowerOf(a, ar, c);
  if (init) {
    for (const { path, member } of walkDir(store, init)) {
      if (!isOverlayWhiteout(member)) lower.set(path, { type: member.type, mode: member.meta?.mode ?? 0, mtime: member.meta?.mtime ?? 0 });
    }
  }
  return overlayChanges(walkDir(store, rw), lower, isOverlayWhiteout);
}

/** The image's final filesystem under a container's writable layer. */
async function lowerOf(a: GlobalArgs, ar: Archive, c: Container): Promise<Map<string, { type: string; mode: number; mtime: number }>> {
  const img = ar.images.find((i) => i.id === c.imageId);
  if (!img) throw new LayerdigError('E_NOT_FOUND', `${ar.path}: the container's image ${c.imageId ?? c.imageRef} is not in the ${ar.format === 'containerd' ? 'root' : 'data-root'}`);
  const reader = layerReader(a);
  const [loaded] = await loadImages(reader, ar, [img]);
  if (warnMismatches(reader)) process.exitCode = EXIT.findings;
  const lower = new Map<string, { type: string; mode: number; mtime: number }>();
  for (const [p, n] of loaded!.overlay.final) lower.set(p, { type: n.entry.type, mode: n.entry.mode, mtime: n.entry.mtime });
  return lower;
}

/** `ls --container ID --changes` and `diff --container ID`: docker diff's lines. */
export async function printContainerChanges(a: GlobalArgs, input: string, sel: string): Promise<void> {
  const ar = await openOneArchive(a, input);
  try {
    const c = await findContainer(ar, sel);
    const changes = await containerChanges(a, ar, c);
    if (c.driver !== 'vfs' && ar.store.kind === 'dir' && !canReadXattrs()) {
      // Node cannot read xattrs: a directory input's opaque markers need getfattr or python3
      note(a, `opaque directories (trusted.overlay.opaque) cannot be seen in a directory input without getfattr (package attr) or python3: install one, or read a tar of the ${ar.format === 'containerd' ? 'containerd root' : 'data-root'}`);
    }
    emit(a, { container: { id: c.id, name: c.name, image: c.imageId }, changes }, () => changes.map((x) => `${x.kind} ${x.path}`).join('\n'));
  } finally {
    ar.close();
  }
}
