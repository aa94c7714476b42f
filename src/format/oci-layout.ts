import type { Store } from '../store/store.js';
import type { BlobClaim, FormatName, ImageSource } from '../image/model.js';
import { configDiffIds } from '../image/build.js';
import { blobPath, claimOf, layerSource, manifestAnnotations, readConfig, readJsonMember } from './common.js';
import { walkOciIndex, type OciManifestEntry } from './oci-index.js';
import { baseNameIn, isOciBlobName, type Format } from './format.js';

/** An image reached through an OCI index: config and layers are blobs by digest. */
export async function imageFromOciEntry(store: Store, e: OciManifestEntry, format: FormatName, notes: string[]): Promise<ImageSource> {
  const cfg = await readConfig(store, blobPath(e.config.digest));
  const layers = [];
  for (const l of e.layers) {
    layers.push(await layerSource(store, blobPath(l.digest), { digest: l.digest, size: l.size, mediaType: l.mediaType }));
  }
  const claims: BlobClaim[] = [
    e.claim,
    claimOf('config', blobPath(e.config.digest), `${e.member} config`, e.config),
    ...e.layers.map((l, j) => claimOf('layer', blobPath(l.digest), `${e.member} layers[${j}]`, l)),
  ];
  return {
    archive: store.path,
    format,
    configDigest: cfg.digest,
    configMember: cfg.member,
    config: cfg.config,
    manifest: { digest: e.descriptor.digest, mediaType: e.descriptor.mediaType || String(e.manifest.mediaType ?? ''), size: e.descriptor.size, member: e.member, annotations: manifestAnnotations(e.manifest, e.descriptor) },
    repoTags: e.containerdName ? [e.containerdName] : [],
    refName: e.refName,
    indexPlatform: e.platform,
    layers,
    declaredDiffIds: configDiffIds(cfg.config, store.path, cfg.member),
    notes,
    declared: {
      claims,
      measured: { ...e.measured, [cfg.member]: { digest: cfg.digest, size: cfg.size } },
      agreements: [],
      diffIds: 'config',
    },
  };
}

export const ociLayout: Format = {
  name: 'oci-layout',
  priority: 40,
  describe: 'index.json',
  isMetadata: (name) => baseNameIn(name, ['index.json', 'oci-layout']),
  isBlob: isOciBlobName,
  async detect(store) {
    if (!store.member('index.json')) return false;
    if (store.member('oci-layout')) return true;
    // some writers omit oci-layout; accept an index.json that looks like an image index
    try {
      const { value } = await readJsonMember(store, 'index.json');
      return typeof value === 'object' && value !== null && 'manifests' in value;
    } catch {
      return false;
    }
  },
  async load(store, declared) {
    const { entries, notes } = await walkOciIndex(store, 'index.json', declared);
    const out: ImageSource[] = [];
    for (const e of entries) out.push(await imageFromOciEntry(store, e, 'oci-layout', notes));
    return out;
  },
};
