import type { Archive } from '../app/archive.js';
import { chainIds } from '../image/chain.js';
import type { Image, Layer } from '../image/model.js';
import { readLayer } from '../layer/pass.js';
import { LayerdigError } from '../errors.js';
import { dataRootOf, findContainer } from './container-diff.js';
import { containerdStore } from '../format/containerd.js';
import type { DirLayerStore } from '../layer/dir-source.js';

/**
 * A container as an image, so every content command can read it: its image's
 * layers, then (overlay2) the init layer and the writable layer, each walked
 * from its directory with overlay whiteouts turned into OCI ones — or (vfs)
 * the container's full copy as one layer. Their diffIDs are hashed first
 * (nothing declares them), so the reader's check holds.
 */
export async function containerImage(ar: Archive, sel: string): Promise<{ image: Image; writable: number }> {
  const c = await findContainer(ar, sel);
  const img = ar.images.find((i) => i.id === c.imageId);
  const own: { member: string; dir: string; what: string }[] = [];
  let view: DirLayerStore;
  if (ar.format === 'containerd') {
    if (!img) throw new LayerdigError('E_NOT_FOUND', `${ar.path}: the image ${c.imageId ?? c.imageRef} of container ${c.name} is not in the root`);
    // containerd: the active snapshot's upper directory (no init layer)
    view = containerdStore(ar.store);
    if (!c.rwDir) throw new LayerdigError('E_BAD_ARCHIVE', `${ar.path}: container ${c.name} has no active overlayfs snapshot in the root`);
    own.push({ member: c.rwDir, dir: c.rwDir, what: 'the container\'s writable layer' });
  } else {
    const cs = dataRootOf(ar);
    view = cs.view;
    if (!img) throw new LayerdigError('E_NOT_FOUND', `${ar.path}: the image ${c.imageId ?? '?'} of container ${c.name} is not in the ${cs.podman ? 'store' : 'data-root'}`);
    if (!c.mountId) throw new LayerdigError('E_BAD_ARCHIVE', `${ar.path}: container ${c.name} has no ${cs.podman ? 'layer in containers.json' : 'mount-id in the layer store'}`);
    const mounts = cs.mounts(c);
    if (c.driver === 'vfs') {
      own.push({ member: `${mounts}/rootfs.tar`, dir: cs.dir(c.driver, c.mountId), what: 'the container\'s filesystem (vfs: a full copy)' });
    } else {
      if (c.initId) own.push({ member: `${mounts}/init.tar`, dir: cs.dir(c.driver, c.initId), what: 'the container\'s init layer' });
      own.push({ member: `${mounts}/rw.tar`, dir: cs.dir(c.driver, c.mountId), what: 'the container\'s writable layer' });
    }
  }
  const base = c.driver === 'vfs' ? [] : img.layers;
  const diffIds = base.map((l) => l.diffId);
  for (const o of own) {
    view.add(o.member, { kind: 'walk', dir: o.dir, whiteouts: c.driver === 'vfs' ? 'none' : 'overlay' });
    diffIds.push((await readLayer(view.open(o.member), { where: view.storage(o.member), hashOnly: true })).diffId);
  }
  const chains = chainIds(diffIds);
  const layers: Layer[] = [...base, ...own.map((o, k): Layer => {
    const index = base.length + k;
    return { index, diffId: diffIds[index]!, chainId: chains[index]!, digest: diffIds[index]!, mediaType: null, compression: 'none',
      compressedSize: 0, member: o.member, storage: view.storage(o.member) };
  })];
  const history = [...(c.driver === 'vfs' ? [] : img.history), ...own.map((o, k) => ({
    created: c.created, createdBy: `${o.what}: ${c.name}`, comment: null, emptyLayer: false, layerIndex: base.length + k,
  }))];
  const image: Image = { ...img, repoTags: [`container:${c.name}`], layers, history, notes: [] };
  delete image.buildSteps;
  return { image, writable: layers.length - 1 };
}

/**
 * `--container`: the input's only image becomes the container (so `-i` is not
 * needed); returns the index of its writable layer (vfs: its whole copy).
 */
export async function useContainer(ar: Archive, sel: string): Promise<number> {
  const { image, writable } = await containerImage(ar, sel);
  ar.images = [image];
  return writable;
}
