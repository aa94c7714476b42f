import { namedDigest, shortId, toDigest, type Digest } from '../digest.js';
import { badArchive } from '../errors.js';
import type { Agreement, ArchiveDeclared, BlobClaim, ImageSource, SourceDescriptor } from '../image/model.js';
import { configDiffIds } from '../image/build.js';
import { canonicalRef } from '../image/select.js';
import { blobPath, claimOf, isObject, layerSource, manifestAnnotations, readConfig, readJsonMember } from './common.js';
import { walkOciIndex, type OciManifestEntry } from './oci-index.js';
import { cosignTag, recordArtifact } from './artifact.js';
import { imageFromOciEntry } from './oci-layout.js';
import { baseNameIn, type Format } from './format.js';
import type { Store } from '../store/store.js';

/** `manifest.json` LayerSources, keyed by diffID. */
function layerSources(v: unknown): Map<string, SourceDescriptor> {
  const out = new Map<string, SourceDescriptor>();
  if (!isObject(v)) return out;
  for (const [diffId, d] of Object.entries(v)) {
    if (!isObject(d)) continue;
    const urls = Array.isArray(d.urls) ? d.urls.filter((u): u is string => typeof u === 'string') : [];
    out.set(diffId, {
      digest: typeof d.digest === 'string' ? toDigest(d.digest) : null,
      size: typeof d.size === 'number' ? d.size : null,
      mediaType: typeof d.mediaType === 'string' ? d.mediaType : null,
      ...(urls.length ? { urls } : {}),
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
  priority: 30,
  describe: 'manifest.json',
  // docker save writes manifest.json, repositories and v1 <id>/{json,VERSION}; Docker 25+ adds an OCI layout
  isMetadata: (name) => baseNameIn(name, ['manifest.json', 'repositories', 'json', 'VERSION', 'index.json', 'oci-layout']),
  mediaFamily: 'docker',
  async detect(store) {
    if (!store.member('manifest.json')) return false;
    // skopeo dir: also has a manifest.json, but it is one manifest object, not a list
    const { value } = await readJsonMember(store, 'manifest.json');
    return value === null || Array.isArray(value);
  },
  async load(store, declared) {
    const { value } = await readJsonMember(store, 'manifest.json');
    if (value === null) throw badArchive(store.path, 'manifest.json', 'is null: the archive lists no images');
    if (!Array.isArray(value)) throw badArchive(store.path, 'manifest.json', 'is not a list of images');
    if (value.length === 0) throw badArchive(store.path, 'manifest.json', 'is an empty list: the archive holds no images');

    let oci: { entries: OciManifestEntry[]; notes: string[] } | null = null;
    if (store.member('index.json') && store.member('oci-layout')) oci = await walkOciIndex(store, 'index.json', declared);
    const notes = oci?.notes ?? [];
    const out: ImageSource[] = [];
    const matched = new Set<OciManifestEntry>();

    for (let i = 0; i < value.length; i++) {
      const e = value[i];
      const what = `manifest.json[${i}]`;
      if (!isObject(e) || typeof e.Config !== 'string') throw badArchive(store.path, 'manifest.json', `${what} has no Config`);
      if (!Array.isArray(e.Layers)) throw badArchive(store.path, 'manifest.json', `${what} has no Layers list`);
      const cfg = await readConfig(store, e.Config);
      const tagged = strings(e.RepoTags);
      const sig = tagged.length > 0 && tagged.every((t) => cosignTag(t) !== null) ? cosignTag(tagged[0]!) : null;
      if (sig) {
        recordSignature(declared, e as Record<string, unknown> & { Config: string; Layers: unknown[] }, cfg, what, tagged[0]!, sig);
        continue;
      }
      const diffIds = configDiffIds(cfg.config, store.path, cfg.member);
      const sources = layerSources(e.LayerSources);
      const { layers, claims } = await entryLayers(store, e.Layers, what, diffIds.map((d) => sources.get(d)), oci !== null);
      const match = oci?.entries.find((o) => o.config.digest === cfg.digest && !matched.has(o));
      if (match) matched.add(match);
      const repoTags = tagged;
      const agreements: Agreement[] = oci ? agree(oci.entries, what, cfg.digest, repoTags, e.Layers as string[]) : [];
      for (const key of sources.keys()) {
        // LayerSources is keyed by diffID: a key the config does not list describes no layer
        const known = diffIds.includes(key);
        agreements.push({ check: 'LayerSources key', subject: `${what}.LayerSources`, expected: 'a diffID of the config', actual: known ? 'a diffID of the config' : key });
      }
      if (match?.containerdName && repoTags.length === 0) repoTags.push(match.containerdName);
      if (match) {
        claims.push(match.claim, claimOf('config', blobPath(match.config.digest), `${match.member} config`, match.config),
          ...match.layers.map((l, j) => claimOf('layer', blobPath(l.digest), `${match.member} layers[${j}]`, l)));
      }
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
        declared: {
          claims,
          measured: { ...match?.measured, [cfg.member]: { digest: cfg.digest, size: cfg.size } },
          agreements,
          diffIds: 'config',
        },
      });
    }
    const fromManifestJson = new Set(out.map((s) => s.configDigest));
    for (const o of oci?.entries ?? []) {
      if (matched.has(o)) continue;
      // Docker writes one index.json entry per tag: a second tag of an image manifest.json lists is not another image
      if (fromManifestJson.has(o.config.digest)) continue;
      notes.push(`index.json lists manifest ${shortId(o.descriptor.digest)} that manifest.json does not: read from the OCI layout alone`);
      out.push(await imageFromOciEntry(store, o, 'docker-archive-oci', notes));
    }
    return out;
  },
};

/**
 * Every tag is cosign's `sha256-<hex>.sig|.att|.sbom`: a signature or
 * attestation wearing an image config, recorded as an artifact. Its members are
 * referenced, and those named by a digest are checked against it.
 */
function recordSignature(
  declared: ArchiveDeclared | undefined, e: { Config: string; Layers: unknown[] }, cfg: { digest: Digest; member: string },
  what: string, tag: string, sig: NonNullable<ReturnType<typeof cosignTag>>,
): void {
  recordArtifact(declared, {
    kind: sig.kind, digest: cfg.digest, member: cfg.member, mediaType: '', artifactType: null,
    subject: sig.subject, attachedBy: 'tag', by: what, name: tag, why: `tag ${tag}`,
  }, null, (d) => d, () => true);
  for (const [kind, ref] of [['config', e.Config], ...e.Layers.map((l) => ['layer', l])] as [BlobClaim['kind'], unknown][]) {
    if (typeof ref !== 'string') continue;
    declared?.referenced.add(ref);
    const named = namedDigest(ref);
    if (named) declared?.claims.push(claimOf(kind, ref, `${what} (its name)`, { digest: named }));
  }
}

/** One manifest.json entry's layers, with LayerSources (`sources[j]`, by the config's diffIDs) as claims or as metadata. */
async function entryLayers(store: Store, refs: unknown[], what: string, sources: (SourceDescriptor | undefined)[], oci: boolean) {
  const layers = [];
  const claims: BlobClaim[] = [];
  for (let j = 0; j < refs.length; j++) {
    const ref = refs[j];
    if (typeof ref !== 'string') throw badArchive(store.path, 'manifest.json', `${what}.Layers[${j}] is not a path`);
    const d = sources[j];
    if (oci) {
      // Docker 25+ writes LayerSources for every layer: the descriptor of the blob it stored in blobs/
      if (d?.digest) claims.push(claimOf('layer', ref, `${what}.LayerSources`, { digest: d.digest, size: d.size }));
      layers.push(await layerSource(store, ref, d ?? {}));
    } else {
      // before 25 (and in crane tarballs) it says where a layer came from — for a foreign layer the
      // registry's gzip blob while `layer.tar` holds the diff: Docker's load keeps it as metadata, unchecked
      layers.push({ ...await layerSource(store, ref), ...(d ? { source: d } : {}) });
    }
  }
  return { layers, claims };
}

/**
 * Docker 25+ saves list each image twice, in `manifest.json` and through
 * `index.json`: where both list an image (same config) they must agree on its
 * layers and tags, and a tagged image must be in both.
 */
function agree(entries: OciManifestEntry[], what: string, config: Digest, repoTags: string[], refs: string[]): Agreement[] {
  const check = 'manifest.json agrees with index.json';
  const same = entries.filter((o) => o.config.digest === config);
  const out: Agreement[] = [];
  if (same.length === 0) {
    if (repoTags.length) out.push({ check, subject: what, expected: `an index.json entry for ${repoTags.join(', ')}`, actual: 'none' });
    return out;
  }
  const tags = new Set(repoTags.map(canonicalRef));
  for (const o of same) {
    const want = o.layers.map((l) => blobPath(l.digest));
    const j = want.findIndex((p, k) => refs[k] !== p);
    out.push(j === -1 && want.length === refs.length
      ? { check, subject: what, expected: `${want.length} layers as ${o.member}`, actual: `${refs.length} layers as ${o.member}` }
      : j === -1
        ? { check, subject: what, expected: `${want.length} layers as ${o.member}`, actual: `${refs.length} layers` }
        : { check, subject: `${what}.Layers[${j}]`, expected: want[j]!, actual: refs[j] ?? '(none)' });
    if (o.containerdName) {
      const ok = tags.has(canonicalRef(o.containerdName));
      out.push({ check, subject: `${what}.RepoTags`, expected: `${o.containerdName} (as ${o.member} is named in index.json)`,
        actual: ok ? `${o.containerdName} (as ${o.member} is named in index.json)` : repoTags.length ? repoTags.join(', ') : '(none)' });
    }
  }
  return out;
}
