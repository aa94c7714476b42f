import type { Image } from '../image/model.js';
import { platformString } from '../image/model.js';
import { splitReference, isFullReference } from '../image/reference.js';
import { created, humanSize, id } from './format.js';
import { table } from './table.js';

/** Bytes of the image's layer blobs as stored in the archive (known without reading them). */
export function storedSize(img: Image): number {
  return img.layers.reduce((s, l) => s + l.compressedSize, 0);
}

export function imageRef(img: Image) {
  return { archive: img.archive, id: img.id, repoTags: img.repoTags, manifestDigest: img.manifestDigest, platform: platformString(img.platform) };
}

export function imagesReport(images: Image[]) {
  return images.map((i) => ({
    archive: i.archive,
    format: i.format,
    id: i.id,
    repoTags: i.repoTags,
    refName: i.refName,
    manifestDigest: i.manifestDigest,
    created: i.created,
    platform: platformString(i.platform),
    size: storedSize(i),
    layerCount: i.layers.length,
  }));
}

/** Repository and tag for display: RepoTags, else the OCI ref name, else `<none>`. */
export function namesFor(img: Pick<Image, 'repoTags' | 'refName'>): { repository: string; tag: string }[] {
  if (img.repoTags.length) return img.repoTags.map(splitReference);
  if (img.refName) return [isFullReference(img.refName) ? splitReference(img.refName) : { repository: '<none>', tag: img.refName }];
  return [{ repository: '<none>', tag: '<none>' }];
}

export function renderImages(images: Image[], full: boolean): string {
  const rows = images.flatMap((i) => namesFor(i).map((n) => [
    n.repository, n.tag, id(i.id, full), created(i.created), humanSize(storedSize(i)), platformString(i.platform), i.archive,
  ]));
  return table(['REPOSITORY', 'TAG', 'IMAGE ID', 'CREATED', 'SIZE', 'PLATFORM', 'ARCHIVE'], rows);
}
