import { isHex64, toDigest, type Digest } from '../digest.js';
import { badArchive, LayerdigError } from '../errors.js';
import { childrenOf, parseJson, type Store } from '../store/store.js';
import { configDiffIds } from '../image/build.js';
import type { ArchiveDeclared, ImageSource, LayerSource } from '../image/model.js';
import { DirLayerStore, dirLayerStore } from '../layer/dir-source.js';
import { limits } from '../limits.js';
import { isObject, readConfig, readJsonMember } from './common.js';
import type { Container } from './docker-containers.js';
import type { Format } from './format.js';

/**
 * A podman / buildah / CRI-O image store (github.com/containers/storage:
 * `/var/lib/containers/storage` or a rootless `~/.local/share/containers/
 * storage`), copied or tarred, read offline: `<driver>-images/images.json`
 * (names, manifest digest, big-data items: manifests and the config, kept as
 * files in `<driver>-images/<id>/`), `<driver>-layers/layers.json` (each layer,
 * its parent, diff digest and size) with `<id>.tar-split.gz`, the unpacked
 * layers in `overlay/<id>/diff` or `vfs/dir/<id>`, and the containers in
 * `<driver>-containers/containers.json`. Layers are read as the tars tar-split
 * rebuilds (layer/dir-source.ts), as for a Docker data-root.
 */

/** The drivers whose layers are plain directories (btrfs, zfs and devicemapper keep them elsewhere). */
const DRIVERS = ['overlay', 'vfs'] as const;

export interface StorageRoot {
  /** '' for a copied storage directory, `var/lib/containers/storage/` (or a rootless home's) in a tar of `/` */
  prefix: string;
  drivers: string[];
}

const IMAGES = /^(.*\/)?(overlay|vfs)-images\/images\.json$/;

export function findStorageRoot(store: Store): StorageRoot | null {
  const has = (n: string) => store.member(n)?.type === 'file';
  const at = (prefix: string) => DRIVERS.filter((d) => has(`${prefix}${d}-images/images.json`) && has(`${prefix}${d}-layers/layers.json`));
  if (store.kind === 'dir') {
    // the storage root itself, or a copied `/` holding the root's or a rootless user's store
    const homes = childrenOf(store, 'home').filter((m) => m.type === 'dir').map((m) => `${m.name}/.local/share/containers/storage/`);
    for (const prefix of ['', 'var/lib/containers/storage/', ...homes]) {
      const drivers = at(prefix);
      if (drivers.length) return { prefix, drivers };
    }
    return null;
  }
  const found = new Map<string, string[]>();
  for (const m of store.members()) {
    const r = IMAGES.exec(m.name);
    if (!r || m.type !== 'file' || !has(`${r[1] ?? ''}${r[2]}-layers/layers.json`)) continue;
    found.set(r[1] ?? '', [...(found.get(r[1] ?? '') ?? []), r[2]!]);
  }
  if (found.size === 0) return null;
  // the shallowest store when a tar holds several (the root's before a user's)
  const prefix = [...found.keys()].sort((a, b) => a.length - b.length || a.localeCompare(b))[0]!;
  return { prefix, drivers: found.get(prefix)!.sort() };
}

/** A layer's unpacked directory: `overlay/<id>/diff`, `vfs/dir/<id>`. */
export function storageLayerDir(prefix: string, driver: string, id: string): string {
  return driver === 'vfs' ? `${prefix}vfs/dir/${id}` : `${prefix}${driver}/${id}/diff`;
}

/**
 * The file a big-data item is kept in (containers/storage makeBigDataBaseName):
 * a key of only `[.0-9a-z]` is its own name, any other is `=` + its base64.
 */
export function bigDataFile(key: string): string {
  return /^[.0-9a-z]+$/.test(key) ? key : `=${Buffer.from(key, 'utf8').toString('base64')}`;
}

/** One record of layers.json (the fields this reader needs). */
export interface LayerRecord {
  id: string;
  parent: string | null;
  diffDigest: Digest | null;
  compressedDigest: Digest | null;
  /** the layer tar's length (`diff-size`): what podman shows as the layer's size */
  diffSize: number | null;
  compressedSize: number | null;
}

/** An image record of images.json. */
export interface ImageRecord {
  id: string;
  names: string[];
  digest: Digest | null;
  layer: string | null;
  created: string | null;
  bigDataNames: string[];
  bigDataSizes: Record<string, number>;
  bigDataDigests: Record<string, Digest>;
}

/** a name from the documents that becomes a path: a plain name only, never `..` */
const plainId = (s: unknown): string | null => (typeof s === 'string' && /^[0-9a-zA-Z_.-]+$/.test(s) && !s.startsWith('.') ? s : null);
const count = (v: unknown) => (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 ? v : null);
const digestOf = (v: unknown) => (typeof v === 'string' ? toDigest(v) : null);

async function readArray(store: Store, member: string): Promise<unknown[]> {
  const v = parseJson(await store.readBytes(member, limits().maxJsonBytes), store.path, member);
  if (!Array.isArray(v)) throw badArchive(store.path, member, 'is not a JSON list');
  return v;
}

/**
 * layers.json's records by ID. An entry without a usable ID (one that is not a
 * plain name could climb out of the store) is left out and reported to `bad`;
 * an image standing on it then says its chain is broken.
 */
export async function readLayerRecords(store: Store, root: StorageRoot, driver: string, bad?: (e: LayerdigError) => void): Promise<Map<string, LayerRecord>> {
  const member = `${root.prefix}${driver}-layers/layers.json`;
  const out = new Map<string, LayerRecord>();
  for (const [i, r] of (await readArray(store, member)).entries()) {
    const id = isObject(r) ? plainId(r.id) : null;
    if (!isObject(r) || !id) {
      bad?.(badArchive(store.path, member, `entry ${i} has no valid layer id: left out`));
      continue;
    }
    out.set(id, {
      id,
      parent: typeof r.parent === 'string' && r.parent !== '' ? r.parent : null,
      diffDigest: digestOf(r['diff-digest']),
      compressedDigest: digestOf(r['compressed-diff-digest']),
      diffSize: count(r['diff-size']),
      compressedSize: count(r['compressed-size']),
    });
  }
  return out;
}

/** images.json's records; an entry without a valid image ID is left out and reported to `bad`. */
export async function readImageRecords(store: Store, root: StorageRoot, driver: string, bad?: (e: LayerdigError) => void): Promise<ImageRecord[]> {
  const member = `${root.prefix}${driver}-images/images.json`;
  const out: ImageRecord[] = [];
  for (const [i, r] of (await readArray(store, member)).entries()) {
    const id = isObject(r) && typeof r.id === 'string' && isHex64(r.id) ? r.id : null;
    if (!isObject(r) || !id) {
      bad?.(badArchive(store.path, member, `entry ${i} has no valid image id: left out`));
      continue;
    }
    const strings = (v: unknown) => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
    const sizes: Record<string, number> = {};
    for (const [k, v] of Object.entries(isObject(r['big-data-sizes']) ? r['big-data-sizes'] : {})) if (count(v) !== null) sizes[k] = v as number;
    const digests: Record<string, Digest> = {};
    for (const [k, v] of Object.entries(isObject(r['big-data-digests']) ? r['big-data-digests'] : {})) if (digestOf(v)) digests[k] = digestOf(v)!;
    out.push({
      id, names: strings(r.names), digest: digestOf(r.digest),
      // a top layer that is no plain name is kept as given: the image's chain is then reported broken
      layer: typeof r.layer === 'string' && r.layer !== '' ? r.layer : null,
      created: typeof r.created === 'string' ? r.created : null,
      bigDataNames: strings(r['big-data-names']), bigDataSizes: sizes, bigDataDigests: digests,
    });
  }
  return out;
}

/** The virtual member a layer's rebuilt tar is read as. */
export function layerMember(root: StorageRoot, driver: string, id: string): string {
  return `${root.prefix}${driver}-layers/${id}.tar`;
}

/**
 * podman history's IMAGE column (libimage's History), oldest entry first: walking
 * the entries from the newest down the layer chain, an entry gets the first local
 * image whose top layer is the current layer (each image once), the newest entry
 * the image itself; an empty-layer entry stays on the same layer.
 */
export function historyImages(history: readonly unknown[], chain: readonly string[], self: Digest, topOf: ReadonlyMap<string, Digest>): (Digest | null)[] {
  const out: (Digest | null)[] = history.map(() => null);
  const used = new Set<Digest>();
  let k = chain.length - 1;
  for (let x = history.length - 1; x >= 0; x--) {
    if (x === history.length - 1) out[x] = self;
    if (k < 0) continue;
    const img = topOf.get(chain[k]!);
    if (img && !used.has(img)) {
      out[x] = img;
      used.add(img);
    }
    const h = history[x];
    const empty = isObject(h) && h.empty_layer === true;
    // the bottom layer ends the walk on any entry; another moves to its parent on a non-empty entry
    if (k === 0) k = -1;
    else if (!empty) k--;
  }
  return out;
}

/** The layer chain of an image, bottom first, or the sentence saying which link is missing. */
function chainOf(top: string | null, layers: Map<string, LayerRecord>, where: string): LayerRecord[] | string {
  const out: LayerRecord[] = [];
  for (let id = top, child: string | null = null; id !== null; child = id, id = layers.get(id)!.parent) {
    if (!layers.has(id)) return child === null ? `its layer ${id} is not in ${where}` : `layer ${child}'s parent ${id} is not in ${where}`;
    if (out.length > layers.size) return `the parents of layer ${top} form a loop`;
    out.unshift(layers.get(id)!);
  }
  return out;
}

async function loadDriver(view: DirLayerStore, root: StorageRoot, driver: string, skipped: LayerdigError[]): Promise<ImageSource[]> {
  const store = view.base;
  const bad = (e: LayerdigError) => skipped.push(e);
  const layers = await readLayerRecords(store, root, driver, bad);
  const out: ImageSource[] = [];
  const records = await readImageRecords(store, root, driver, bad);
  const topOf = new Map<string, Digest>();
  for (const r of records) if (r.layer && !topOf.has(r.layer)) topOf.set(r.layer, `sha256:${r.id}`);
  for (const rec of records) {
    const dir = `${root.prefix}${driver}-images/${rec.id}`;
    const imagesJson = `${root.prefix}${driver}-images/images.json`;
    try {
      const configKey = rec.bigDataNames.find((k) => k === `sha256:${rec.id}`) ?? `sha256:${rec.id}`;
      const configFile = `${dir}/${bigDataFile(configKey)}`;
      if (store.member(configFile)?.type !== 'file') throw badArchive(store.path, configFile, `image ${rec.id.slice(0, 12)}'s config (big-data item ${configKey}) is missing`);
      const { config, digest, member } = await readConfig(store, configFile);
      const notes: string[] = [];
      if (digest !== `sha256:${rec.id}`) notes.push(`${configFile}: the config hashes to ${digest}, not to its image ID ${rec.id}`);
      const diffIds = configDiffIds(config, store.path, member);
      const chain = chainOf(rec.layer, layers, `${driver}-layers/layers.json`);
      if (typeof chain === 'string') throw badArchive(store.path, imagesJson, `image ${rec.id.slice(0, 12)}: ${chain}`);
      const srcs: LayerSource[] = chain.map((l) => {
        const m = layerMember(root, driver, l.id);
        const tarSplit = `${root.prefix}${driver}-layers/${l.id}.tar-split.gz`;
        const ldir = storageLayerDir(root.prefix, driver, l.id);
        if (store.member(tarSplit)?.type === 'file') view.add(m, { kind: 'tar-split', tarSplit, dir: ldir });
        else {
          // no tar-split: the tar is written from the directory (its hash cannot match the diffID)
          // vfs: the directory is a full copy up to this layer; the layer is what differs from the copy below it
          const lower = driver === 'vfs' && l.parent ? storageLayerDir(root.prefix, driver, l.parent) : undefined;
          view.add(m, { kind: 'walk', dir: ldir, whiteouts: driver === 'vfs' ? 'none' : 'overlay', ...(lower ? { lower } : {}) });
          notes.push(`${tarSplit} is missing: the layer is listed from ${ldir}${lower ? ` (what differs from ${lower})` : ''}, its diffID cannot be checked`);
        }
        return {
          member: m, referencedAs: m, digest: null, declaredSize: null, mediaType: null, compression: 'none',
          size: l.diffSize ?? 0, cacheId: l.id, ...(l.diffSize !== null ? { recordedSize: l.diffSize } : {}),
        };
      });
      let manifest: ImageSource['manifest'] = null;
      const manifestFile = `${dir}/manifest`;
      if (store.member(manifestFile)?.type === 'file') {
        const m = await readJsonMember(store, manifestFile);
        const mediaType = isObject(m.value) && typeof m.value.mediaType === 'string' ? m.value.mediaType : '';
        const annotations = isObject(m.value) && isObject(m.value.annotations)
          ? Object.fromEntries(Object.entries(m.value.annotations).filter((e): e is [string, string] => typeof e[1] === 'string')) : undefined;
        // images.json's digest is the one podman shows; the file's own hash is checked by verify
        manifest = { digest: rec.digest ?? m.digest, mediaType, size: m.bytes.length, member: manifestFile, ...(annotations ? { annotations } : {}) };
      }
      out.push({
        archive: store.path, format: 'containers-storage', configDigest: digest, configMember: member, config, manifest,
        // `repo@sha256:…` names a digest, not a tag
        repoTags: rec.names.filter((n) => !n.includes('@')), refName: null, indexPlatform: null, layers: srcs, declaredDiffIds: diffIds, notes,
        // podman counts the big-data items (manifests, config, signatures) in an image's size
        storeMetadataSize: Object.values(rec.bigDataSizes).reduce((a, b) => a + b, 0),
        ...(Array.isArray(config.history) ? { historyImages: historyImages(config.history, chain.map((l) => l.id), `sha256:${rec.id}`, topOf) } : {}),
        declared: { claims: [], measured: {}, agreements: [], diffIds: 'config' },
      });
    } catch (e) {
      // one image whose records are broken never hides the others
      if (!(e instanceof LayerdigError)) throw e;
      skipped.push(e);
    }
  }
  return out;
}

export const containersStorage: Format = {
  name: 'containers-storage',
  priority: 12,
  describe: '<driver>-images/images.json',
  async detect(store) {
    return findStorageRoot(store) !== null;
  },
  wrap(store) {
    return new DirLayerStore(store);
  },
  async load(store, declared?: ArchiveDeclared) {
    const view = dirLayerStore(store);
    const root = findStorageRoot(view.base);
    if (!root) throw new LayerdigError('E_NOT_AN_ARCHIVE', `${store.path}: not a containers-storage directory`);
    const out: ImageSource[] = [];
    const skipped: LayerdigError[] = [];
    for (const d of root.drivers) out.push(...await loadDriver(view, root, d, skipped));
    if (declared) (declared.unreadable ??= []).push(...skipped);
    else if (out.length === 0 && skipped.length) throw skipped[0];
    else for (const s of out) s.notes.push(...skipped.map((e) => e.message));
    // newest first, as `podman images` lists them
    return out.sort((a, b) => String(b.config.created ?? '').localeCompare(String(a.config.created ?? '')) || a.configDigest.localeCompare(b.configDigest));
  },
};

// ---- containers ----

/** The containers of every driver's `containers.json`, newest first (their state is podman's, not the store's). */
export async function loadStorageContainers(store: Store, root: StorageRoot): Promise<Container[]> {
  const out: Container[] = [];
  for (const driver of root.drivers) {
    const member = `${root.prefix}${driver}-containers/containers.json`;
    if (store.member(member)?.type !== 'file') continue;
    const layers = await readLayerRecords(store, root, driver);
    for (const [i, r] of (await readArray(store, member)).entries()) {
      const id = isObject(r) && typeof r.id === 'string' && isHex64(r.id) ? r.id : null;
      if (!isObject(r) || !id) throw badArchive(store.path, member, `entry ${i} has no valid container id`);
      let meta: Record<string, unknown> = {};
      try {
        const v: unknown = typeof r.metadata === 'string' ? JSON.parse(r.metadata) : {};
        if (isObject(v)) meta = v;
      } catch {
        // metadata is podman's free-form string: without it the image is named by its ID
      }
      const layer = plainId(r.layer);
      // podman writes the OCI runtime spec when the container is first started: its process.args are the command
      let command = '';
      const spec = `${root.prefix}${driver}-containers/${id}/userdata/config.json`;
      if (store.member(spec)?.type === 'file') {
        const v = parseJson(await store.readBytes(spec, limits().maxJsonBytes), store.path, spec);
        const args = isObject(v) && isObject(v.process) && Array.isArray(v.process.args) ? v.process.args.map(String) : [];
        command = args.join(' ');
      }
      const names = Array.isArray(r.names) ? r.names.filter((n): n is string => typeof n === 'string') : [];
      const imageId = typeof r.image === 'string' ? toDigest(r.image) : null;
      out.push({
        id, name: names[0] ?? '', imageId, imageRef: typeof meta['image-name'] === 'string' ? meta['image-name'] : imageId ?? '',
        command, created: typeof r.created === 'string' ? r.created : null,
        // the state lives in podman's own database (libpod/bolt_state.db), which is not read
        state: 'unknown', exitCode: 0, startedAt: null, finishedAt: null, driver,
        mountId: layer, initId: null, parent: null,
        // vfs: the container's full copy is compared with its image's top layer (there is no init layer)
        lowerId: layer ? plainId(layers.get(layer)?.parent) : null,
      });
    }
  }
  return out.sort((a, b) => String(b.created).localeCompare(String(a.created)));
}
