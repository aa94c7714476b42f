import type { Readable } from 'node:stream';
import { shortId, toDigest } from '../digest.js';
import type { Container } from './docker-containers.js';
import { LayerdigError, where as at } from '../errors.js';
import { chainIds } from '../image/chain.js';
import { configDiffIds } from '../image/build.js';
import { emptyArchiveDeclared, type ArchiveDeclared, type BlobClaim, type ImageSource, type LayerSource } from '../image/model.js';
import { DirLayerStore } from '../layer/dir-source.js';
import type { Member, Store } from '../store/store.js';
import { blobPath, claimOf, layerSource, manifestAnnotations, MEDIA, readConfig } from './common.js';
import { readMetaDb, readSnapshotterDb, type CtrImage, type CtrMeta, type CtrSnapshot } from './containerd-meta.js';
import { CONTAINERD_NAME, walkOciIndex, type OciManifestEntry } from './oci-index.js';
import type { Format } from './format.js';

/**
 * containerd's root (`/var/lib/containerd`, copied or tarred), read offline:
 * images per namespace from `io.containerd.metadata.v1.bolt/meta.db`, each
 * read like an OCI layout from the content store `io.containerd.content.v1.
 * content/blobs/sha256/<hex>`; a layer whose blob is gone (containerd keeps
 * what it pulled; CRI can discard unpacked blobs) is read from its unpacked
 * snapshot `io.containerd.snapshotter.v1.overlayfs/snapshots/<id>/fs`.
 */

export const CTR_CONTENT = 'io.containerd.content.v1.content/blobs/sha256';
export const CTR_META = 'io.containerd.metadata.v1.bolt/meta.db';
/** snapshotter name → its directory; `fs` below a snapshot's id for overlayfs, the id itself for native */
const SNAPSHOTTERS: Record<string, { dir: string; fs: string }> = {
  overlayfs: { dir: 'io.containerd.snapshotter.v1.overlayfs', fs: '/fs' },
  native: { dir: 'io.containerd.snapshotter.v1.native', fs: '' },
};
/** meta.db is no JSON document: a busy node's is tens of MB; bigger than this is refused */
const MAX_DB_BYTES = 1 << 30;
const BLOB = /^blobs\/sha256\/[0-9a-f]{64}$/;

/** Where the root sits in the input: '' for a copied directory, `var/lib/containerd/` in a tar of `/`. */
export function findContainerdRoot(store: Store): string | null {
  if (store.kind === 'dir') {
    return store.member(CTR_META)?.type === 'file' && store.member(CTR_CONTENT)?.type === 'dir' ? '' : null;
  }
  const found: string[] = [];
  const names = new Set(store.members().map((m) => m.name));
  for (const m of store.members()) {
    if (m.type !== 'file' || !m.name.endsWith(CTR_META)) continue;
    const prefix = m.name.slice(0, -CTR_META.length);
    if (prefix !== '' && !prefix.endsWith('/')) continue;
    if (names.has(`${prefix}${CTR_CONTENT}`) || store.members().some((x) => x.name.startsWith(`${prefix}${CTR_CONTENT}/`))) found.push(prefix);
  }
  // the shallowest root when a tar holds several
  return found.length ? found.sort((a, b) => a.length - b.length)[0]! : null;
}

/**
 * The input seen as an OCI layout: `blobs/sha256/<hex>` is the content
 * store's blob, a few virtual JSON members hold what meta.db says (one index
 * per image, naming its target), and snapshot directories are layers (as a
 * Docker data-root's are, through DirLayerStore).
 */
export class ContainerdStore extends DirLayerStore {
  private readonly json = new Map<string, Buffer>();
  private listed: Member[] | null = null;
  meta: CtrMeta | null = null;
  /** snapshotter → its snapshots by its own name */
  readonly snapshotters = new Map<string, Map<string, CtrSnapshot>>();

  constructor(base: Store, readonly prefix: string) {
    super(base);
  }

  private real(name: string): string {
    return BLOB.test(name) ? `${this.prefix}io.containerd.content.v1.content/${name}` : name;
  }

  /** a JSON document made from meta.db's records, readable as a member */
  addJson(name: string, value: unknown): void {
    this.json.set(name, Buffer.from(JSON.stringify(value)));
  }

  override members(): Member[] {
    const content = `${this.prefix}io.containerd.content.v1.content/`;
    this.listed ??= this.base.members().map((m) => (m.name.startsWith(content) && BLOB.test(m.name.slice(content.length)) ? { ...m, name: m.name.slice(content.length) } : m));
    return this.listed;
  }

  override member(name: string): Member | undefined {
    const j = this.json.get(name);
    if (j) return { name, type: 'file', size: j.length };
    // a blob's member is the content store's file: layers and the catalog name where the bytes are
    return super.member(this.real(name));
  }

  override readBytes(name: string, limit: number): Promise<Buffer> {
    const j = this.json.get(name);
    return j ? Promise.resolve(j) : super.readBytes(this.real(name), limit);
  }

  override head(name: string, n: number): Promise<Buffer> {
    return super.head(this.real(name), n);
  }

  override open(name: string): Readable {
    return super.open(this.real(name));
  }

  override each(names: string[], fn: (name: string, body: Readable) => Promise<void>): Promise<void> {
    const back = new Map(names.map((n) => [this.real(n), n]));
    return super.each([...back.keys()], (n, body) => fn(back.get(n) ?? n, body));
  }

  locate(name: string): { file: string; start: number; length: number } | null {
    if (this.layer(name) || this.json.has(name)) return null;
    return this.base.locate?.(this.real(name)) ?? null;
  }

  override storage(name: string): string {
    return this.json.has(name) ? this.base.storage(`${this.prefix}${CTR_META}`) : super.storage(this.real(name));
  }

  /** Read meta.db and the snapshotters' databases once. */
  async load(): Promise<CtrMeta> {
    if (this.meta) return this.meta;
    const member = `${this.prefix}${CTR_META}`;
    const meta = readMetaDb(await this.base.readBytes(member, MAX_DB_BYTES), this.base.storage(member));
    for (const [name, s] of Object.entries(SNAPSHOTTERS)) {
      const db = `${this.prefix}${s.dir}/metadata.db`;
      if (this.base.member(db)?.type !== 'file') continue;
      try {
        this.snapshotters.set(name, readSnapshotterDb(await this.base.readBytes(db, MAX_DB_BYTES), this.base.storage(db)));
      } catch (e) {
        // images whose blobs are all present are still read without it
        if (!(e instanceof LayerdigError)) throw e;
        meta.problems.push(e.message);
      }
    }
    this.meta = meta;
    return meta;
  }

  /** A namespace's snapshot by its key (an image layer's chainID, a container's id), with its directory. */
  snapshot(namespace: string, key: string, snapshotter?: string): { snapshot: CtrSnapshot; dir: string; snapshotter: string } | null {
    for (const [name, keys] of this.meta?.snapshots.get(namespace) ?? []) {
      if (snapshotter && name !== snapshotter) continue;
      const own = keys.get(key);
      const s = own ? this.snapshotters.get(name)?.get(own) : undefined;
      // the id becomes a path: digits only
      if (s && /^[0-9]+$/.test(s.id)) return { snapshot: s, dir: `${this.prefix}${SNAPSHOTTERS[name]!.dir}/snapshots/${s.id}${SNAPSHOTTERS[name]!.fs}`, snapshotter: name };
    }
    return null;
  }
}

export function containerdStore(store: Store): ContainerdStore {
  if (!(store instanceof ContainerdStore)) throw new LayerdigError('E_BAD_ARCHIVE', `${store.path}: internal: not a containerd store`);
  return store;
}

/** `image localhost/rw/app1:latest (namespace demo)` */
export const imageLabel = (img: { name: string; namespace: string }) => `image ${img.name} (namespace ${img.namespace})`;

/** One image manifest of a containerd image: its layers from the content store, or from snapshots where the blob is gone. */
async function imageFromEntry(view: ContainerdStore, rec: CtrImage, e: OciManifestEntry, notes: string[]): Promise<ImageSource> {
  const cfgPath = blobPath(e.config.digest);
  if (!view.member(cfgPath)) {
    throw new LayerdigError('E_INTEGRITY', `${at(view.path, cfgPath)}: the config of ${imageLabel(rec)} is not in the content store: image skipped`);
  }
  const cfg = await readConfig(view, cfgPath);
  const diffIds = configDiffIds(cfg.config, view.path, cfg.member);
  const chains = chainIds(diffIds);
  const layers: LayerSource[] = [];
  const claims: BlobClaim[] = [e.claim, claimOf('config', cfgPath, `${e.member} config`, e.config)];
  for (const [j, l] of e.layers.entries()) {
    const path = blobPath(l.digest);
    if (view.member(path)) {
      layers.push(await layerSource(view, path, { digest: l.digest, size: l.size, mediaType: l.mediaType }));
      claims.push(claimOf('layer', path, `${e.member} layers[${j}]`, l));
      continue;
    }
    const chain = chains[j];
    const snap = chain ? view.snapshot(rec.namespace, chain) : null;
    if (!snap) {
      throw new LayerdigError('E_INTEGRITY', `${at(view.path, path)}: layer ${j} of ${imageLabel(rec)} is neither in the content store nor unpacked in a snapshot${chain ? ` (chainID ${chain})` : ''}: image skipped`);
    }
    // the virtual layer member is the directory's own name: STORAGE, the catalog and every listing name the directory
    const member = snap.dir;
    view.add(member, { kind: 'walk', dir: snap.dir, whiteouts: snap.snapshotter === 'overlayfs' ? 'overlay' : 'none' });
    notes.push(`namespace ${rec.namespace}: layer blob ${shortId(l.digest)} is not in the content store: read from its snapshot ${snap.snapshot.id} (${view.base.storage(snap.dir)}); a layer read from a directory cannot be checked against its diffID (containerd keeps no tar-split)`);
    // referenced as itself: the blob's name is no claim about these bytes
    layers.push({ member, referencedAs: member, digest: l.digest, declaredSize: l.size, mediaType: l.mediaType, size: Math.max(l.size, 0), compression: 'none' });
  }
  return {
    archive: view.path, format: 'containerd', configDigest: cfg.digest, configMember: cfg.member, config: cfg.config,
    manifest: { digest: e.descriptor.digest, mediaType: e.descriptor.mediaType || String(e.manifest.mediaType ?? ''), size: e.descriptor.size, member: e.member, annotations: manifestAnnotations(e.manifest, e.descriptor) },
    repoTags: [rec.name], refName: null, indexPlatform: e.platform, layers, declaredDiffIds: diffIds, notes,
    namespace: rec.namespace,
    declared: { claims, measured: { ...e.measured, [cfg.member]: { digest: cfg.digest, size: cfg.size } }, agreements: [], diffIds: 'config' },
  };
}

/** Every image of every namespace; one image that cannot be read is named in `declared.unreadable`, the others go on. */
async function loadImages(view: ContainerdStore, declared: ArchiveDeclared): Promise<ImageSource[]> {
  const meta = await view.load();
  for (const p of meta.problems) declared.unreadable = [...(declared.unreadable ?? []), new LayerdigError('E_BAD_ARCHIVE', p)];
  const out: ImageSource[] = [];
  const images = [...meta.images].sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
  for (const rec of images) {
    // meta.db's record as an index of one: the OCI walk then reads the target like an image layout's
    const member = `${view.prefix}${CTR_META}:v1/${rec.namespace}/images/${rec.name}`;
    view.addJson(member, {
      schemaVersion: 2, mediaType: MEDIA.ociIndex,
      manifests: [{ mediaType: rec.target.mediaType, digest: rec.target.digest, size: rec.target.size, annotations: { [CONTAINERD_NAME]: rec.name } }],
    });
    const notes: string[] = [];
    try {
      const { entries, notes: walked } = await walkOciIndex(view, member, declared);
      notes.push(...walked);
      if (entries.length === 0 && !view.member(blobPath(rec.target.digest))) {
        throw new LayerdigError('E_INTEGRITY', `${at(view.path, blobPath(rec.target.digest))}: the target of ${imageLabel(rec)} is not in the content store: image skipped`);
      }
      for (const e of entries) out.push(await imageFromEntry(view, rec, e, notes));
    } catch (e) {
      if (!(e instanceof LayerdigError)) throw e;
      declared.unreadable = [...(declared.unreadable ?? []), e];
    }
  }
  contentRecordChecks(view, meta, declared);
  return mergeNames(out);
}

/** meta.db's record of each blob (per namespace) against the blob the content store holds. */
function contentRecordChecks(view: ContainerdStore, meta: CtrMeta, declared: ArchiveDeclared): void {
  for (const c of meta.content) {
    const path = blobPath(c.digest);
    const m = view.member(path);
    declared.referenced.add(path);
    declared.agreements.push({
      check: `content record (namespace ${c.namespace})`, subject: path,
      expected: `a blob of ${c.size ?? '?'} bytes`, actual: m?.type === 'file' ? `a blob of ${m.size} bytes` : 'no blob in the content store',
    });
  }
}

/** The same manifest under several names of one namespace is one image with several tags, as docker lists it. */
function mergeNames(sources: ImageSource[]): ImageSource[] {
  const byKey = new Map<string, ImageSource>();
  for (const s of sources) {
    const k = `${s.namespace}\0${s.manifest?.digest}\0${s.configDigest}`;
    const had = byKey.get(k);
    if (!had) byKey.set(k, s);
    else {
      had.repoTags = [...new Set([...had.repoTags, ...s.repoTags])];
      had.notes = [...new Set([...had.notes, ...s.notes])];
      had.declared?.claims.push(...(s.declared?.claims ?? []));
    }
  }
  return [...byKey.values()];
}

export const containerd: Format = {
  name: 'containerd',
  // an image store is recognised by its own files before any archive layout it may also contain
  priority: 11,
  describe: 'io.containerd.metadata.v1.bolt/meta.db',
  async detect(store) {
    return findContainerdRoot(store) !== null;
  },
  wrap(store) {
    return new ContainerdStore(store, findContainerdRoot(store) ?? '');
  },
  async load(store, declared) {
    return loadImages(containerdStore(store), declared ?? emptyArchiveDeclared());
  },
};

/** A protobuf `Any` (containerd's stored runtime spec): its `value` bytes (field 2), or null. */
function anyValue(b: Buffer | undefined): Buffer | null {
  let i = 0;
  const uv = () => {
    let x = 0;
    for (let s = 0; i < (b?.length ?? 0) && s < 35; s += 7) {
      const c = b![i++]!;
      x += (c & 0x7f) * 2 ** s;
      if (c < 0x80) return x;
    }
    return -1;
  };
  while (b && i < b.length) {
    const tag = uv();
    if (tag < 0 || (tag & 7) !== 2) return null;
    const len = uv();
    if (len < 0 || i + len > b.length) return null;
    if (tag >> 3 === 2) return b.subarray(i, i + len);
    i += len;
  }
  return null;
}

/**
 * The containers meta.db records (`ctr containers ls`), in the shape the Docker
 * containers code uses. containerd keeps no task state in its root (a task is
 * a runtime's, under the state directory): every container is `created` here.
 * The writable layer is the snapshot named by the container's snapshot key.
 */
export async function loadCtrContainers(view: ContainerdStore, images: { id: string; repoTags: string[]; namespace?: string }[]): Promise<Container[]> {
  const meta = await view.load();
  const out: Container[] = [];
  for (const c of meta.containers) {
    const snap = c.snapshotKey ? view.snapshot(c.namespace, c.snapshotKey, c.snapshotter || undefined) : null;
    let command = '';
    try {
      const spec: unknown = JSON.parse(anyValue(c.spec)?.toString('utf8') ?? 'null');
      const args = (spec as { process?: { args?: unknown } } | null)?.process?.args;
      if (Array.isArray(args)) command = args.map(String).join(' ');
    } catch { /* a spec that is no JSON: no command shown */ }
    const img = images.find((i) => i.namespace === c.namespace && i.repoTags.includes(c.image));
    out.push({
      id: c.id, name: c.id, imageId: img?.id ?? null, imageRef: c.image, command, created: c.createdAt, state: 'created', exitCode: 0,
      startedAt: null, finishedAt: null, driver: c.snapshotter, mountId: snap?.snapshot.id ?? null, initId: null,
      parent: (snap?.snapshot.parent ?? '').split('/').pop()?.startsWith('sha256:') ? toDigest(snap!.snapshot.parent!.split('/').pop()!) : null,
      namespace: c.namespace, runtime: c.runtime, ...(snap && snap.snapshot.kind === 'active' && snap.snapshotter === 'overlayfs' ? { rwDir: snap.dir } : {}),
    });
  }
  return out.sort((a, b) => String(b.created).localeCompare(String(a.created)));
}
