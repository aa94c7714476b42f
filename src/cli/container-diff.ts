import { EXIT, LayerdigError } from '../errors.js';
import { canReadXattrs } from '../store/xattr.js';
import type { Archive } from '../app/archive.js';
import { DirLayerStore } from '../layer/dir-source.js';
import { hasDir, isOverlayOpaque, isOverlayWhiteout, walkDir } from '../layer/dir-walk.js';
import { findDataRoot, layerDir } from '../format/docker-data-root.js';
import { loadContainers, selectContainer, type Container } from '../format/docker-containers.js';
import { findStorageRoot, loadStorageContainers, storageLayerDir } from '../format/containers-storage.js';
import { copyChanges, overlayChanges, type Change } from '../layer/container-changes.js';
import { containerdStore, loadCtrContainers } from '../format/containerd.js';
import type { Store } from '../store/store.js';
import { emit, layerReader, note, openOneArchive, type GlobalArgs } from './context.js';
import { loadImages, warnMismatches } from './content.js';

/**
 * The mount points podman makes in every container's layer, which `podman diff`
 * leaves out (libpod's initInodes; /run/podman-init is its --init binary).
 */
const PODMAN_INIT_PATHS = new Set(['/dev', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/proc', '/run', '/run/notify',
  '/run/.containerenv', '/run/secrets', '/run/podman-init', '/sys', '/etc/mtab']);

/** An image store with containers: a Docker data-root or a podman containers-storage. */
export interface ContainerStore {
  view: DirLayerStore;
  root: { prefix: string; drivers: string[] };
  podman: boolean;
  /** a layer directory of this store (a container's writable layer, its init or lower layer) */
  dir(driver: string, id: string): string;
  /** where the virtual tars of a container's own layers are named */
  mounts(c: Container): string;
  containers(): Promise<Container[]>;
}

/** The image store an input is, or a usage error naming it. */
export function dataRootOf(ar: Archive): ContainerStore {
  if (ar.store instanceof DirLayerStore) {
    const view = ar.store;
    const docker = ar.format === 'docker-data-root' ? findDataRoot(view.base) : null;
    if (docker) {
      return { view, root: docker, podman: false, dir: (d, id) => layerDir(docker.prefix, d, id),
        mounts: (c) => `${docker.prefix}image/${c.driver}/layerdb/mounts/${c.id}`, containers: () => loadContainers(view.base, docker) };
    }
    const podman = ar.format === 'containers-storage' ? findStorageRoot(view.base) : null;
    if (podman) {
      return { view, root: podman, podman: true, dir: (d, id) => storageLayerDir(podman.prefix, d, id),
        mounts: (c) => `${podman.prefix}${c.driver}-containers/${c.id}`, containers: () => loadStorageContainers(view.base, podman) };
    }
  }
  throw new LayerdigError('E_USAGE', `${ar.path}: containers live in a Docker data-root, a containerd root or a podman containers-storage; this input is a ${ar.format}`);
}

/** The containers of a Docker data-root, a containerd root or a podman store. */
export async function containersOf(ar: Archive): Promise<Container[]> {
  if (ar.format === 'containerd') return loadCtrContainers(containerdStore(ar.store), ar.images);
  return dataRootOf(ar).containers();
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
 * image's layers and the init layer; vfs: the full copy against the init layer;
 * containerd: the active snapshot's upper directory against the image).
 */
export async function containerChanges(a: GlobalArgs, ar: Archive, c: Container): Promise<Change[]> {
  if (ar.format === 'containerd') {
    if (!c.rwDir) throw new LayerdigError('E_BAD_ARCHIVE', `${ar.path}: container ${c.id} has no active overlayfs snapshot (key ${c.id}, snapshotter ${c.driver || '?'}) in the root`);
    return upperChanges(containerdStore(ar.store).base, c.rwDir, await lowerOf(a, ar, c, 'root'));
  }
  const cs = dataRootOf(ar);
  const changes = await storeChanges(a, ar, cs, c);
  return cs.podman ? changes.filter((x) => !PODMAN_INIT_PATHS.has(x.path)) : changes;
}

async function storeChanges(a: GlobalArgs, ar: Archive, cs: ContainerStore, c: Container): Promise<Change[]> {
  const store = cs.view.base;
  if (!c.mountId) throw new LayerdigError('E_BAD_ARCHIVE', `${ar.path}: container ${c.id.slice(0, 12)} has no ${cs.podman ? 'layer in containers.json' : 'mount-id in the layer store'}`);
  const rw = cs.dir(c.driver, c.mountId);
  if (!hasDir(store, rw)) throw new LayerdigError('E_BAD_ARCHIVE', `${store.storage(rw)}: the container's writable layer directory is missing`);
  const init = c.initId ? cs.dir(c.driver, c.initId) : null;
  if (c.driver === 'vfs') {
    // docker compares the full copy with its init layer; podman (no init layer) with the image's top layer
    const lower = init ?? (c.lowerId ? cs.dir(c.driver, c.lowerId) : null);
    if (!lower) throw new LayerdigError('E_BAD_ARCHIVE', `${ar.path}: container ${c.id.slice(0, 12)} has no layer to compare with`);
    return copyChanges(walkDir(store, rw), walkDir(store, lower));
  }
  const lower = await lowerOf(a, ar, c, cs.podman ? 'store' : 'data-root');
  if (init) {
    for (const { path, member } of walkDir(store, init)) {
      if (!isOverlayWhiteout(member)) lower.set(path, { type: member.type, mode: member.meta?.mode ?? 0, mtime: member.meta?.mtime ?? 0 });
    }
  }
  return upperChanges(store, rw, lower);
}

type Lower = Map<string, { type: string; mode: number; mtime: number }>;

/** The image's final filesystem under a container's writable layer. */
async function lowerOf(a: GlobalArgs, ar: Archive, c: Container, where: string): Promise<Lower> {
  const img = ar.images.find((i) => i.id === c.imageId);
  if (!img) throw new LayerdigError('E_NOT_FOUND', `${ar.path}: the container's image ${c.imageId ?? c.imageRef ?? '?'} is not in the ${where}`);
  const reader = layerReader(a);
  const [loaded] = await loadImages(reader, ar, [img]);
  if (warnMismatches(reader)) process.exitCode = EXIT.findings;
  const lower: Lower = new Map();
  for (const [p, n] of loaded!.overlay.final) lower.set(p, { type: n.entry.type, mode: n.entry.mode, mtime: n.entry.mtime });
  return lower;
}

/** An overlay upper directory against what lies below it. */
function upperChanges(store: Store, rw: string, lower: Lower): Change[] {
  // a 0/0 device deletes a path, and so does an opaque directory (moby's and containers/storage's overlayDeletedFile);
  // a directory input's opaque markers are read in one go (its members carry no xattrs)
  const opaque = store.kind === 'dir' ? store.overlayOpaque?.(rw) ?? null : null;
  return overlayChanges(walkDir(store, rw), lower,
    (m) => isOverlayWhiteout(m) || isOverlayOpaque(m) || (m.type === 'dir' && !!opaque?.has(m.name.slice(rw.length + 1))));
}

/** `ls --container ID --changes` and `diff --container ID`: docker diff's lines. */
export async function printContainerChanges(a: GlobalArgs, input: string, sel: string): Promise<void> {
  const ar = await openOneArchive(a, input);
  try {
    const c = await findContainer(ar, sel);
    const changes = await containerChanges(a, ar, c);
    if (c.driver !== 'vfs' && ar.store.kind === 'dir' && !canReadXattrs()) {
      // Node cannot read xattrs: a directory input's opaque markers need getfattr or python3
      note(a, `opaque directories (trusted.overlay.opaque) cannot be seen in a directory input without getfattr (package attr) or python3: install one, or read a tar of the ${ar.format === 'containerd' ? 'containerd root' : 'store'}`);
    }
    emit(a, { container: { id: c.id, name: c.name, image: c.imageId }, changes }, () => changes.map((x) => `${x.kind} ${x.path}`).join('\n'));
  } finally {
    ar.close();
  }
}
