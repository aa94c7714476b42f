import type { Image } from '../image/model.js';
import { blobSize, dockerSize, namesFor, type DiffSizes } from './images.js';

/** docker's container config with every field: what the config omits is Go's zero value, as docker inspect shows it. */
const CONFIG_ZERO: Record<string, unknown> = {
  Hostname: '', Domainname: '', User: '', AttachStdin: false, AttachStdout: false, AttachStderr: false, ExposedPorts: null,
  Tty: false, OpenStdin: false, StdinOnce: false, Env: null, Cmd: null, Image: '', Volumes: null, WorkingDir: '',
  Entrypoint: null, OnBuild: null, Labels: null,
};

export function dockerConfig(c: unknown): Record<string, unknown> | null {
  if (!c || typeof c !== 'object' || Array.isArray(c)) return null;
  return { ...CONFIG_ZERO, ...(c as Record<string, unknown>) };
}

/**
 * docker's GraphDriver for an image read from a Docker data-root, derived from
 * where its layers live: overlay2's upper/merged/work directories of the top
 * layer and the lower layers' diff directories, nearest first; vfs has no data.
 */
export function graphDriver(img: Image): { Data: Record<string, string> | null; Name: string } | undefined {
  const top = img.layers[img.layers.length - 1];
  if (!top?.cacheId) return undefined;
  const overlay = /^(.*\/overlay2\/[^/]+)\/diff$/.exec(top.storage);
  if (overlay) {
    const lower = img.layers.slice(0, -1).reverse().map((l) => l.storage);
    return {
      Data: { ...(lower.length ? { LowerDir: lower.join(':') } : {}), MergedDir: `${overlay[1]}/merged`, UpperDir: top.storage, WorkDir: `${overlay[1]}/work` },
      Name: 'overlay2',
    };
  }
  return /\/vfs\/dir\/[^/]+$/.test(top.storage) ? { Data: null, Name: 'vfs' } : undefined;
}

/**
 * A `docker image inspect`-like document, plus where the image came from.
 * `Size` is Docker's (Σ DiffSize; null when layers were not read), `BlobSize` the stored blobs.
 */
export function inspectReport(img: Image, sizes: DiffSizes | null) {
  const c = img.config;
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  return {
    Id: img.id,
    RepoTags: img.repoTags,
    // as docker: name@digest for each repository the image is known by, when the manifest digest is known
    RepoDigests: img.manifestDigest ? [...new Set(namesFor(img).filter((n) => n.repository !== '<none>').map((n) => `${n.repository}@${img.manifestDigest}`))] : [],
    // the local build parent (a Docker data-root's imagedb metadata); archives do not carry one
    Parent: img.buildSteps?.[1] ?? '',
    // as docker: the config's comment, else the newest history entry's
    Comment: str(c.comment) || (img.history[img.history.length - 1]?.comment ?? ''),
    Container: str(c.container),
    ContainerConfig: dockerConfig(c.container_config),
    DockerVersion: str(c.docker_version),
    RefName: img.refName,
    ManifestDigest: img.manifestDigest,
    ManifestMediaType: img.manifestMediaType,
    Format: img.format,
    Archive: img.archive,
    Created: img.created,
    Author: str(c.author),
    Config: dockerConfig(c.config),
    Architecture: img.platform.architecture,
    Variant: img.platform.variant,
    Os: img.platform.os,
    Size: dockerSize(img, sizes),
    BlobSize: blobSize(img),
    RootFS: { Type: 'layers', Layers: img.layers.map((l) => l.diffId) },
    ...(graphDriver(img) ? { GraphDriver: graphDriver(img) } : {}),
    // known only where an image store keeps it (a Docker data-root)
    ...(img.lastTagTime !== undefined ? { Metadata: { LastTagTime: img.lastTagTime } } : {}),
    // the config's own keys, as in the image config docker stores
    History: img.history.map((h) => ({
      created: h.created ?? undefined, created_by: h.createdBy || undefined, comment: h.comment ?? undefined,
      empty_layer: h.emptyLayer || undefined, layer_index: h.layerIndex,
    })),
    Notes: img.notes,
  };
}
