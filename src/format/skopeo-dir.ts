import { toDigest, type Digest } from '../digest.js';
import { badArchive } from '../errors.js';
import { parseJsonText, type Store } from '../store/store.js';
import type { ArchiveDeclared, BlobClaim, ImageSource, RawConfig, RawHistory } from '../image/model.js';
import { configDiffIds } from '../image/build.js';
import {
  claimOf, INDEX_TYPES, isObject, layerSource, manifestAnnotations, mediaTypeAgreements, MEDIA, parseDescriptor, readConfig, readJsonMember,
  type Descriptor,
} from './common.js';
import { classify, configJson, recordArtifact, settle } from './artifact.js';
import { baseNameIn, isOciBlobName, type Format } from './format.js';

const bare = (d: Digest) => d.slice(7);

/** Schema 1: no config. History and the v1 image ID come from `v1Compatibility`; diffIDs need hashing. */
async function schema1(store: Store, member: string, m: Record<string, unknown>, digest: Digest, size: number): Promise<ImageSource> {
  if (!Array.isArray(m.fsLayers) || !Array.isArray(m.history)) throw badArchive(store.path, member, 'schema 1 manifest without fsLayers/history');
  const v1 = m.history.map((h, i) => {
    const raw = isObject(h) && typeof h.v1Compatibility === 'string' ? h.v1Compatibility : null;
    if (!raw) throw badArchive(store.path, member, `history[${i}] has no v1Compatibility`);
    const v = parseJsonText(raw, store.path, `${member} history[${i}].v1Compatibility`);
    if (!isObject(v)) throw badArchive(store.path, member, `history[${i}].v1Compatibility is not a JSON object`);
    return v;
  });
  // fsLayers and history run top (newest) first; throwaway entries carry an empty layer
  const layers = [];
  const claims: BlobClaim[] = [];
  const history: RawHistory[] = [];
  for (let i = m.fsLayers.length - 1; i >= 0; i--) {
    const fl = m.fsLayers[i];
    const sum = isObject(fl) && typeof fl.blobSum === 'string' ? toDigest(fl.blobSum) : null;
    if (!sum) throw badArchive(store.path, member, `fsLayers[${i}] has no valid blobSum`);
    const c = v1[i] ?? {};
    const cc = isObject(c.container_config) ? c.container_config : {};
    const cmd = Array.isArray(cc.Cmd) ? cc.Cmd.join(' ') : '';
    const throwaway = c.throwaway === true;
    history.push({ created: typeof c.created === 'string' ? c.created : undefined, created_by: cmd, empty_layer: throwaway });
    // every fsLayers blob is a claim, a throwaway one too: its bytes must still be what blobSum says
    claims.push(claimOf('layer', bare(sum), `${member} fsLayers[${i}]`, { digest: sum }));
    if (!throwaway) layers.push(await layerSource(store, bare(sum), { digest: sum }));
  }
  const top = v1[0] ?? {};
  const config: RawConfig = {
    created: typeof top.created === 'string' ? top.created : undefined,
    architecture: typeof top.architecture === 'string' ? top.architecture : typeof m.architecture === 'string' ? m.architecture : undefined,
    os: typeof top.os === 'string' ? top.os : undefined,
    config: isObject(top.config) ? top.config : null,
  };
  const v1Id = typeof top.id === 'string' ? toDigest(top.id) : null;
  return {
    archive: store.path, format: 'skopeo-dir',
    configDigest: v1Id ?? digest, configMember: member, config,
    manifest: { digest, mediaType: typeof m.mediaType === 'string' ? m.mediaType : MEDIA.dockerSchema1, size, member },
    // an empty name or tag names nothing: the image is <none>, never ":"
    repoTags: typeof m.name === 'string' && typeof m.tag === 'string' && m.name && m.tag ? [`${m.name}:${m.tag}`] : [],
    refName: null, indexPlatform: null, layers, declaredDiffIds: null, v1History: history,
    notes: ['schema 1 manifest: no image config, so the image ID shown is the v1 image ID and diffIDs are computed by hashing each layer'],
    declared: { claims, measured: { [member]: { digest, size } }, agreements: [], diffIds: 'computed' },
  };
}

/** An instance's manifest, read as an image — or, when it is an artifact, put on the archive (null). */
async function fromManifest(
  store: Store, member: string, notes: string[], declared: ArchiveDeclared | undefined, listed?: { claim: BlobClaim; descriptor: Descriptor },
): Promise<ImageSource | null> {
  const { value, digest, bytes, member: read } = await readJsonMember(store, member);
  if (!isObject(value)) throw badArchive(store.path, member, 'is not a JSON object');
  if (value.schemaVersion === 1) {
    const img = await schema1(store, member, value, digest, bytes.length);
    if (listed) img.declared!.claims.unshift(listed.claim);
    return img;
  }
  const configType = isObject(value.config) && typeof value.config.mediaType === 'string' ? value.config.mediaType : '';
  const v = await settle(classify(value, listed ? { descriptor: listed.descriptor } : {}), configType,
    () => configJson(store, value.config, bare), listed === undefined);
  if (v.image === false) {
    if (declared) {
      if (listed) declared.claims.push(listed.claim);
      declared.measured[read] = { digest, size: bytes.length, ...(typeof value.mediaType === 'string' ? { mediaType: value.mediaType } : {}) };
    }
    recordArtifact(declared, {
      kind: v.kind, digest, member, mediaType: typeof value.mediaType === 'string' ? value.mediaType : '',
      artifactType: typeof value.artifactType === 'string' ? value.artifactType : listed?.descriptor.artifactType ?? (configType || null),
      subject: v.subject, attachedBy: v.attachedBy, by: listed?.claim.by ?? 'manifest.json', name: null, why: v.why,
    }, value, bare, (n) => store.member(n) !== undefined);
    return null;
  }
  const config = parseDescriptor(value.config, store.path, member, 'config');
  if (!Array.isArray(value.layers)) throw badArchive(store.path, member, '"layers" is not a list');
  const cfg = await readConfig(store, bare(config.digest));
  const layers = [];
  const claims: BlobClaim[] = [...(listed ? [listed.claim] : []), claimOf('config', bare(config.digest), `${member} config`, config)];
  for (let i = 0; i < value.layers.length; i++) {
    const l = parseDescriptor(value.layers[i], store.path, member, `layers[${i}]`);
    claims.push(claimOf('layer', bare(l.digest), `${member} layers[${i}]`, l));
    layers.push(await layerSource(store, bare(l.digest), { digest: l.digest, size: l.size, mediaType: l.mediaType }));
  }
  return {
    archive: store.path, format: 'skopeo-dir',
    configDigest: cfg.digest, configMember: cfg.member, config: cfg.config,
    manifest: { digest, mediaType: typeof value.mediaType === 'string' ? value.mediaType : MEDIA.ociManifest, size: bytes.length, member, annotations: manifestAnnotations(value) },
    repoTags: [], refName: null, indexPlatform: null, layers,
    declaredDiffIds: configDiffIds(cfg.config, store.path, cfg.member), notes,
    declared: {
      claims,
      measured: { [read]: { digest, size: bytes.length }, [cfg.member]: { digest: cfg.digest, size: cfg.size } },
      // the top manifest.json is covered by no digest: it must at least say what a v2 manifest says
      agreements: listed ? [] : [
        { check: 'manifest schemaVersion', subject: member, expected: '2', actual: String(value.schemaVersion) },
        ...mediaTypeAgreements(member, value, config, layers),
      ],
      diffIds: 'config',
    },
  };
}

/** skopeo `dir:` export: `version`, `manifest.json`, blobs named by bare hex; `--all` adds `<hex>.manifest.json` per instance. */
export const skopeoDir: Format = {
  name: 'skopeo-dir',
  // its manifest.json is one manifest object: tried before docker-archive's list
  priority: 20,
  describe: 'manifest.json',
  isMetadata: (name) => baseNameIn(name, ['manifest.json', 'version']),
  // skopeo names blobs by bare hex (`<hex>`, `<hex>.manifest.json` for an index's manifests)
  isBlob: (name) => isOciBlobName(name) || /^[0-9a-f]{64}(\.manifest\.json)?$/.test(name),
  async detect(store) {
    if (!store.member('version') || !store.member('manifest.json')) return false;
    const v = await store.head('version', 64);
    return v.toString('utf8').startsWith('Directory Transport Version');
  },
  async load(store, declared?: ArchiveDeclared) {
    const { value, member: listMember, digest: listDigest, bytes: listBytes } = await readJsonMember(store, 'manifest.json');
    const notes: string[] = [];
    const isIndex = isObject(value) && (INDEX_TYPES.includes(String(value.mediaType)) || Array.isArray(value.manifests));
    if (!isIndex) {
      const one = await fromManifest(store, 'manifest.json', notes, declared);
      return one ? [one] : [];
    }
    const out: ImageSource[] = [];
    if (declared) {
      declared.measured[listMember] = { digest: listDigest, size: listBytes.length };
      declared.agreements.push({ check: 'index schemaVersion', subject: 'manifest.json', expected: '2', actual: String((value as Record<string, unknown>).schemaVersion) });
    }
    const list = (value as Record<string, unknown>).manifests;
    if (!Array.isArray(list)) throw badArchive(store.path, 'manifest.json', '"manifests" is not a list');
    const descriptors = list.map((v, i) => parseDescriptor(v, store.path, 'manifest.json', `manifests[${i}]`));
    const somePresent = descriptors.some((d) => store.member(`${bare(d.digest)}.manifest.json`) !== undefined);
    for (let i = 0; i < descriptors.length; i++) {
      const d = descriptors[i]!;
      const member = `${bare(d.digest)}.manifest.json`;
      declared?.referenced.add(member);
      if (!store.member(member)) {
        declared?.missing.push({ member, by: `manifest.json manifests[${i}]`, byDesign: somePresent });
        notes.push(`instance ${d.digest} is listed but ${member} is not in the directory: skipped`);
        continue;
      }
      const img = await fromManifest(store, member, notes, declared, { claim: claimOf('manifest', member, `manifest.json manifests[${i}]`, d), descriptor: d });
      if (!img) continue;
      if (d.platform?.os && d.platform.architecture) {
        img.indexPlatform = { os: d.platform.os, architecture: d.platform.architecture, ...(d.platform.variant ? { variant: d.platform.variant } : {}) };
      }
      out.push(img);
    }
    return out;
  },
};
