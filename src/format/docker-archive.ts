import { toDigest, type Digest } from '../digest.js';
import { badArchive } from '../errors.js';
import type { Store } from '../store/store.js';
import type { ImageSource } from '../image/model.js';
import { configDiffIds } from '../image/build.js';
import { isObject, layerSource, manifestAnnotations, readConfig, readJsonMember } from './common.js';
import { walkOciIndex, type OciManifestEntry } from './oci-index.js';
import { imageFromOciEntry } from './oci-layout.js';
import type { Format } from './format.js';

interface LayerSourceDescriptor { digest: Digest | null; size: number | null; mediaType: string | null }

function layerSources(v: unknown): Map<string, LayerSourceDescriptor> {
  const out = new Map<string, LayerSourceDescriptor>();
  if (!isObject(v)) return out;
  for (const [diffId, d] of Object.entries(v)) {
    if (!isObject(d)) continue;
    out.set(diffId, {
      digest: typeof d.digest === 'string' ? toDigest(d.digest) : null,
      size: typeof d.size === 'number' ? d.size : null,
      mediaType: typeof d.mediaType === 'string' ? d.mediaType : null,
    });
  }
  return out;
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((s): s is string => typeof s === 'string') : [];
}

/**
 * `docker save` and its relatives (skopeo, podman, crane, kaniko): a
 * `manifest.json` list. Docker 25+ also writes an OCI layout alongside; its
 * manifests give the manifest digest, and `index.json` may omit an untagged
 * image that `manifest.json` has, or the reverse, so both are read.
 */
export const dockerArchive: Format = {
  name: 'docker-archive',
  async detect(store) {
    if (!store.member('manifest.json')) return false;
    // skopeo dir: also has a manifest.json, but it is one manifest object, not a list
    const { value } = await readJsonMember(store, 'manifest.json');
    return value === null || Array.isArray(value);
  },
  async load(store) {
    const { value } = await readJsonMember(store, 'manifest.json');
    if (value === null) throw badArchive(store.path, 'manifest.json', 'is null: the archive lists no images');
    if (!Array.isArray(value)) throw badArchive(store.path, 'manifest.json', 'is not a list of images');
    if (value.length === 0) throw badArchive(store.path, 'manifest.json', 'is an empty list: the archive holds no images');

    let oci: { entries: OciManifestEntry[]; notes: string[] } | null = null;
    if (store.member('index.json') && store.member('oci-layout')) oci = await walkOciIndex(store);
    const notes = oci?.notes ?? [];
    const out: ImageSource[] = [];
    const matched = new Set<OciManifestEntry>();

    for (let i = 0; i < value.length; i++) {
      const e = value[i];
      const what = `manifest.json[${i}]`;
      if (!isObject(e) || typeof e.Config !== 'string') throw badArchive(store.path, 'manifest.json', `${what} has no Config`);
      if (!Array.isArray(e.Layers)) throw badArchive(store.path, 'manifest.json', `${what} has no Layers list`);
      const cfg = await readConfig(store, e.Config);
      const diffIds = configDiffIds(cfg.config, store.path, cfg.member);
      const sources = layerSources(e.LayerSources);
      const layers = [];
      for (let j = 0; j < e.Layers.length; j++) {
        const ref = e.Layers[j];
        if (typeof ref !== 'string') throw badArchive(store.path, 'manifest.json', `${what}.Layers[${j}] is not a path`);
        const d = diffIds[j] ? sources.get(diffIds[j]!) : undefined;
        layers.push(await layerSource(store, ref, d ?? {}));
      }
      const match = oci?.entries.find((o) => o.config.digest === cfg.digest && !matched.has(o));
      if (match) matched.add(match);
      const repoTags = strings(e.RepoTags);
      if (match?.containerdName && repoTags.length === 0) repoTags.push(match.containerdName);
      out.push({
        archive: store.path,
        format: oci ? 'docker-archive-oci' : 'docker-archive',
        configDigest: cfg.digest,
        configMember: cfg.member,
        config: cfg.config,
        manifest: match
          ? { digest: match.descriptor.digest, mediaType: match.descriptor.mediaType, size: match.descriptor.size, member: match.member, annotations: manifestAnnotations(match.manifest, match.descriptor) }
          : null,
        repoTags,
        refName: match?.refName ?? null,
        indexPlatform: match?.platform ?? null,
        layers,
        declaredDiffIds: diffIds,
        notes,
      });
    }
    for (const o of oci?.entries ?? []) {
      if (!matched.has(o)) out.push(await imageFromOciEntry(store, o, 'docker-archive-oci', notes));
    }
    return out;
  },
};
