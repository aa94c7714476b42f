import { hexOf, isHex64, toDigest, type Digest } from '../digest.js';
import { badArchive, LayerdigError } from '../errors.js';
import { childrenOf, parseJson, type Store } from '../store/store.js';
import { chainIds } from '../image/chain.js';
import { configDiffIds } from '../image/build.js';
import type { ImageSource, LayerSource } from '../image/model.js';
import { DirLayerStore, dirLayerStore } from '../layer/dir-source.js';
import { limits } from '../limits.js';
import { isObject, readConfig } from './common.js';
import type { Format } from './format.js';

/**
 * A Docker engine's data-root (`/var/lib/docker`, copied or tarred), read
 * offline: `image/<driver>/repositories.json` (tags), `imagedb/content`
 * (configs), `imagedb/metadata/<id>/parent` (build steps), `layerdb/sha256/
 * <chainID>/{cache-id,size,tar-split.json.gz}`, and each layer unpacked in
 * `<driver>/<cache-id>/diff` (overlay2) or `vfs/dir/<cache-id>` (vfs). Layers
 * are read as the tars tar-split rebuilds (layer/dir-source.ts).
 */

/** Where the data-root sits in the input: '' for a copied directory, `var/lib/docker/` in a tar of `/`. */
export interface DataRoot {
  prefix: string;
  /** storage drivers with an image store (usually one) */
  drivers: string[];
}

const REPOS = /^(.*\/)?image\/([^/]+)\/repositories\.json$/;

export function findDataRoot(store: Store): DataRoot | null {
  if (store.kind === 'dir') {
    const drivers = childrenOf(store, 'image').filter((m) => m.type === 'dir')
      .map((m) => m.name.slice('image/'.length))
      .filter((d) => store.member(`image/${d}/repositories.json`)?.type === 'file' && store.member(`image/${d}/imagedb`)?.type === 'dir');
    return drivers.length ? { prefix: '', drivers } : null;
  }
  const found = new Map<string, string[]>();
  for (const m of store.members()) {
    const r = REPOS.exec(m.name);
    if (!r || m.type !== 'file') continue;
    const prefix = r[1] ?? '';
    if (!store.members().some((x) => x.name.startsWith(`${prefix}image/${r[2]}/imagedb/`))) continue;
    found.set(prefix, [...(found.get(prefix) ?? []), r[2]!]);
  }
  if (found.size === 0) return null;
  // the shallowest data-root when a tar holds several (a backup inside a backup)
  const prefix = [...found.keys()].sort((a, b) => a.length - b.length)[0]!;
  return { prefix, drivers: found.get(prefix)!.sort() };
}

/** A layer's unpacked directory for a storage driver. */
export function layerDir(prefix: string, driver: string, cacheId: string): string {
  return driver === 'vfs' ? `${prefix}vfs/dir/${cacheId}` : `${prefix}${driver}/${cacheId}/diff`;
}

export async function readText(store: Store, name: string): Promise<string | null> {
  const m = store.member(name);
  if (!m || m.type !== 'file') return null;
  return (await store.readBytes(name, 64 * 1024)).toString('utf8').trim();
}

/** `repositories.json`: `{Repositories: {repo: {"repo:tag": id, "repo@sha256:…": id}}}` → id → tags. */
async function readTags(store: Store, member: string): Promise<Map<Digest, string[]>> {
  const value = parseJson(await store.readBytes(member, limits().maxJsonBytes), store.path, member);
  const out = new Map<Digest, string[]>();
  const repos = isObject(value) && isObject(value.Repositories) ? value.Repositories : null;
  if (!repos) throw badArchive(store.path, member, 'has no Repositories object');
  for (const refs of Object.values(repos)) {
    if (!isObject(refs)) continue;
    for (const [ref, id] of Object.entries(refs)) {
      const d = typeof id === 'string' ? toDigest(id) : null;
      if (!d || ref.includes('@')) continue; // `repo@sha256:…` is a RepoDigest, not a tag
      out.set(d, [...(out.get(d) ?? []), ref]);
    }
  }
  return out;
}

async function loadDriver(view: DirLayerStore, root: DataRoot, driver: string): Promise<ImageSource[]> {
  const store = view.base;
  const img = `${root.prefix}image/${driver}`;
  const tags = await readTags(store, `${img}/repositories.json`);
  const parents = new Map<Digest, Digest>();
  const out: ImageSource[] = [];
  const skipped: string[] = [];
  for (const m of childrenOf(store, `${img}/imagedb/content/sha256`)) {
    const hex = m.name.slice(m.name.lastIndexOf('/') + 1);
    if (m.type !== 'file' || !isHex64(hex)) continue;
    const id: Digest = `sha256:${hex}`;
    const notes: string[] = [];
    const { config, digest, member } = await readConfig(store, m.name);
    if (digest !== id) notes.push(`${m.name}: the config hashes to ${digest}, not to its name`);
    const parent = await readText(store, `${img}/imagedb/metadata/sha256/${hex}/parent`);
    if (parent && toDigest(parent)) parents.set(id, toDigest(parent)!);
    // when the image was last tagged (docker inspect's Metadata.LastTagTime); never tagged: Go's zero time
    const lastTagTime = (await readText(store, `${img}/imagedb/metadata/sha256/${hex}/lastUpdated`))?.trim() || '0001-01-01T00:00:00Z';
    const diffIds = configDiffIds(config, store.path, member);
    const layers: LayerSource[] = [];
    let missing: string | null = null;
    for (const chain of chainIds(diffIds)) {
      const ld = `${img}/layerdb/sha256/${hexOf(chain)}`;
      const cacheId = await readText(store, `${ld}/cache-id`);
      // the cache ID becomes a path: a plain name only, never `..`
      if (!cacheId || !/^[0-9a-zA-Z_.-]+$/.test(cacheId) || cacheId.startsWith('.')) {
        missing = `${ld}/cache-id`;
        break;
      }
      const size = Number(await readText(store, `${ld}/size`) ?? 'NaN');
      const dir = layerDir(root.prefix, driver, cacheId);
      const tarSplit = `${ld}/tar-split.json.gz`;
      const layerMember = `${ld}/layer.tar`;
      if (store.member(tarSplit)?.type === 'file') {
        view.add(layerMember, { kind: 'tar-split', tarSplit, dir });
      } else {
        // no tar-split: the tar is written from the directory (its hash cannot match the diffID)
        view.add(layerMember, { kind: 'walk', dir, whiteouts: driver === 'vfs' ? 'none' : 'overlay' });
        notes.push(`${ld}: no tar-split.json.gz: the layer is listed from ${dir}, its diffID cannot be checked`);
      }
      layers.push({
        member: layerMember, referencedAs: layerMember, digest: null, declaredSize: null, mediaType: null,
        size: Number.isSafeInteger(size) && size >= 0 ? size : 0, compression: 'none', cacheId,
        ...(Number.isSafeInteger(size) && size >= 0 ? { recordedSize: size } : {}),
      });
    }
    if (missing) {
      // an image whose layer store entry is gone cannot be read; the others still can
      skipped.push(`image ${id}: ${missing} is missing: image skipped`);
      continue;
    }
    out.push({
      archive: store.path, format: 'docker-data-root', configDigest: digest, configMember: member, config, manifest: null,
      repoTags: tags.get(id) ?? [], refName: null, indexPlatform: null, layers, declaredDiffIds: diffIds, notes, lastTagTime,
      // verify reads a data-root's own records (verify-data-root.ts); the config member is what it needs from here
      declared: { claims: [], measured: {}, agreements: [], diffIds: 'config' },
    });
  }
  // `docker history` names each build step by the local image it made: this image, its parent, …
  const have = new Set(out.map((s) => s.configDigest));
  for (const s of out) {
    const steps: Digest[] = [s.configDigest];
    for (let p = parents.get(s.configDigest); p && have.has(p) && !steps.includes(p); p = parents.get(p)) steps.push(p);
    s.buildSteps = steps;
  }
  for (const s of out) s.notes.push(...skipped);
  return out;
}

export const dockerDataRoot: Format = {
  name: 'docker-data-root',
  // a tar of /var/lib/docker may hold anything else too: its own marker decides first
  priority: 10,
  describe: 'image/<driver>/repositories.json',
  // the image and layer stores' small records (parent, cache-id, size, diff, tar-split.json.gz…)
  isMetadata: (name) => /(^|\/)image\/[^/]+\/(imagedb|layerdb)\//.test(name),
  async detect(store) {
    return findDataRoot(store) !== null;
  },
  wrap(store) {
    return new DirLayerStore(store);
  },
  async load(store) {
    const view = dirLayerStore(store);
    const root = findDataRoot(view.base);
    if (!root) throw new LayerdigError('E_NOT_AN_ARCHIVE', `${store.path}: not a Docker data-root`);
    const out: ImageSource[] = [];
    for (const d of root.drivers) out.push(...await loadDriver(view, root, d));
    // newest first, as `docker images` lists them
    return out.sort((a, b) => String(b.config.created ?? '').localeCompare(String(a.config.created ?? '')) || a.configDigest.localeCompare(b.configDigest));
  },
};
