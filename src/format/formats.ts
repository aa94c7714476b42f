import { LayerdigError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { Format } from './format.js';
import { skopeoDir } from './skopeo-dir.js';
import { dockerArchive } from './docker-archive.js';
import { ociLayout } from './oci-layout.js';
import { dockerV1 } from './docker-v1.js';
import { dockerDataRoot } from './docker-data-root.js';
import { containerd } from './containerd.js';
import { containersStorage } from './containers-storage.js';
import { registryStorage } from './registry-storage.js';

/** Tried in order: the first whose detect() says yes reads the input. */
export const FORMATS: readonly Format[] = [dockerDataRoot, containerd, containersStorage, registryStorage, skopeoDir, dockerArchive, ociLayout, dockerV1];

export async function detectFormat(store: Store): Promise<Format> {
  for (const f of FORMATS) if (await f.detect(store)) return f;
  throw new LayerdigError('E_NOT_AN_ARCHIVE',
    `${store.path}: not a container image archive (no manifest.json, index.json, repositories, image/<driver>/repositories.json, io.containerd.metadata.v1.bolt/meta.db, <driver>-images/images.json or docker/registry/v2${store.kind === 'dir' ? ' in this directory' : ''})`);
}
