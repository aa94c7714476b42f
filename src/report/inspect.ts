import type { Image } from '../image/model.js';
import { blobSize, dockerSize, type DiffSizes } from './images.js';

/**
 * A `docker image inspect`-like document, plus where the image came from.
 * `Size` is Docker's (Σ DiffSize; null when layers were not read), `BlobSize` the stored blobs.
 */
export function inspectReport(img: Image, sizes: DiffSizes | null) {
  const c = img.config;
  return {
    Id: img.id,
    RepoTags: img.repoTags,
    RefName: img.refName,
    ManifestDigest: img.manifestDigest,
    ManifestMediaType: img.manifestMediaType,
    Format: img.format,
    Archive: img.archive,
    Created: img.created,
    Author: typeof c.author === 'string' ? c.author : '',
    Config: c.config ?? null,
    Architecture: img.platform.architecture,
    Variant: img.platform.variant,
    Os: img.platform.os,
    Size: dockerSize(img, sizes),
    BlobSize: blobSize(img),
    RootFS: { Type: 'layers', Layers: img.layers.map((l) => l.diffId) },
    History: img.history,
    Notes: img.notes,
  };
}
