import type { Digest } from '../digest.js';
import type { Image } from '../image/model.js';
import { platformString } from '../image/model.js';
import { splitReference, isFullReference } from '../image/reference.js';
import { created, humanSize, id } from './text.js';
import { table } from './table.js';
import { createdSince } from './time.js';

/** Docker's DiffSize of each layer read, by diffID (what `docker history` shows per layer). */
export type DiffSizes = ReadonlyMap<Digest, number>;

/** Bytes of the image's layer blobs as stored in the archive (known without reading them; format-dependent). */
export function blobSize(img: Image): number {
  return img.layers.reduce((s, l) => s + l.compressedSize, 0);
}

/** What `docker images` and `docker image inspect` call Size: Σ DiffSize over the layers (null if one was not read). */
export function dockerSize(img: Image, sizes: DiffSizes | null): number | null {
  // podman's size also counts what its store keeps beside the layers (manifests, config)
  let sum = img.storeMetadataSize ?? 0;
  for (const l of img.layers) {
    const s = sizes?.get(l.diffId);
    if (s === undefined) return null;
    sum += s;
  }
  return sum;
}

export function imageRef(img: Image) {
  return { archive: img.archive, id: img.id, repoTags: img.repoTags, ...(img.namespace !== undefined ? { namespace: img.namespace } : {}), manifestDigest: img.manifestDigest, platform: platformString(img.platform) };
}

/** `size`: Docker's figure (null with --no-content); `blobSize`: the stored blobs. */
export function imagesReport(images: Image[], sizes: DiffSizes | null) {
  return images.map((i) => ({
    archive: i.archive,
    format: i.format,
    id: i.id,
    repoTags: i.repoTags,
    ...(i.namespace !== undefined ? { namespace: i.namespace } : {}),
    refName: i.refName,
    ...(i.repository !== undefined ? { repository: i.repository } : {}),
    manifestDigest: i.manifestDigest,
    created: i.created,
    platform: platformString(i.platform),
    size: dockerSize(i, sizes),
    blobSize: blobSize(i),
    layerCount: i.layers.length,
  }));
}

/** Repository and tag for display: RepoTags, else the OCI ref name, else `<none>`. */
export function namesFor(img: Pick<Image, 'repoTags' | 'refName' | 'repository'>): { repository: string; tag: string }[] {
  if (img.repoTags.length) return img.repoTags.map(splitReference);
  if (img.refName) return [isFullReference(img.refName) ? splitReference(img.refName) : { repository: '<none>', tag: img.refName }];
  return [{ repository: img.repository ?? '<none>', tag: '<none>' }];
}

export interface ImagesView {
  full: boolean;
  /** CREATED as docker shows it ("3 years ago"); false: RFC 3339 in UTC under CREATED AT */
  human: boolean;
  /** a DIGEST column (the manifest digest), as `docker images --digests` */
  digests: boolean;
  now?: number;
}

/** Docker's columns first (REPOSITORY TAG [DIGEST] IMAGE ID CREATED SIZE), then layerdig's PLATFORM and ARCHIVE. */
export function renderImages(images: Image[], sizes: DiffSizes | null, v: ImagesView): string {
  const rows = images.flatMap((i) => namesFor(i).map((n) => [
    n.repository, n.tag, ...(v.digests ? [i.manifestDigest ?? '<none>'] : []), id(i.id, v.full),
    v.human ? createdSince(i.created, v.now) : created(i.created),
    humanSize(sizes ? dockerSize(i, sizes) : blobSize(i)), platformString(i.platform), i.archive,
  ]));
  return table(['REPOSITORY', 'TAG', ...(v.digests ? ['DIGEST'] : []), 'IMAGE ID', v.human ? 'CREATED' : 'CREATED AT',
    sizes ? 'SIZE' : 'BLOB SIZE', 'PLATFORM', 'ARCHIVE'], rows);
}
