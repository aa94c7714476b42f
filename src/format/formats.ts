import { LayerdigError } from '../errors.js';
import type { Store } from '../store/store.js';
import { isOciBlobName, type Format } from './format.js';
import { skopeoDir } from './skopeo-dir.js';
import { dockerArchive } from './docker-archive.js';
import { ociLayout } from './oci-layout.js';
import { dockerV1 } from './docker-v1.js';
import { dockerDataRoot } from './docker-data-root.js';
import { containerd } from './containerd.js';
import { containersStorage } from './containers-storage.js';
import { registryStorage } from './registry-storage.js';

/** Every format layerdig reads (the order here only orders the words of the not-an-archive message). */
export const FORMATS: readonly Format[] = [dockerArchive, skopeoDir, ociLayout, dockerV1, dockerDataRoot, containerd, containersStorage, registryStorage];

/** Detection order: each format's own priority (a stable sort keeps ties in FORMATS order). */
const BY_PRIORITY = [...FORMATS].sort((a, b) => a.priority - b.priority);

export async function detectFormat(store: Store): Promise<Format> {
  for (const f of BY_PRIORITY) if (await f.detect(store)) return f;
  const markers = [...new Set(FORMATS.map((f) => f.describe))];
  const list = markers.length > 1 ? `${markers.slice(0, -1).join(', ')} or ${markers[markers.length - 1]}` : markers[0];
  throw new LayerdigError('E_NOT_AN_ARCHIVE',
    `${store.path}: not a container image archive (no ${list}${store.kind === 'dir' ? ' in this directory' : ''})`);
}

/** The format an archive was read as, by name. */
export function formatNamed(name: string): Format | undefined {
  return FORMATS.find((f) => f.name === name);
}

/** Some format reads this member whole as metadata (a compressed tar keeps it in memory). */
export function isFormatMetadata(name: string): boolean {
  return FORMATS.some((f) => f.isMetadata?.(name) === true);
}

/** A member named like a blob of the format `formatName` (see Format.isBlob). */
export function isBlobOf(formatName: string, name: string): boolean {
  const f = formatNamed(formatName);
  return f?.isBlob ? f.isBlob(name) : isOciBlobName(name);
}

/** The media family a format gives its images that no manifest media type classifies. */
export function formatMediaFamily(imageFormat: string): 'docker' | 'oci' | null {
  return formatNamed(imageFormat)?.mediaFamily ?? null;
}
