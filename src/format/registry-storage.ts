import type { Readable } from 'node:stream';
import { sha256, toDigest, type Digest } from '../digest.js';
import { LayerdigError, where } from '../errors.js';
import { limits } from '../limits.js';
import { followLinks, parseJson, type Member, type Store } from '../store/store.js';
import type { ArchiveDeclared, ImageSource } from '../image/model.js';
import { INDEX_TYPES, isObject, MANIFEST_TYPES } from './common.js';
import { CONTAINERD_NAME, walkOciIndex } from './oci-index.js';
import { imageFromOciEntry } from './oci-layout.js';
import type { Format } from './format.js';

/**
 * A Distribution registry's filesystem storage (`/var/lib/registry`, copied or
 * tarred), read offline. Under `docker/registry/v2/`:
 * `repositories/<name>/_manifests/tags/<tag>/current/link` (a tag: the manifest's
 * digest), `_manifests/revisions/sha256/<hex>/link` (every manifest the
 * repository holds, tagged or not), `_layers/sha256/<hex>/link` (the blobs the
 * repository may serve), and `blobs/sha256/<2 hex>/<hex>/data` (every blob once,
 * by content). A link file holds `sha256:<hex>`, never a path.
 *
 * Read through a view that gives each blob the OCI layout's name
 * `blobs/sha256/<hex>` and each repository a virtual index of its tags and
 * untagged manifests, so manifests, indexes and artifacts are read exactly as an
 * OCI layout's (format/oci-index.ts, format/artifact.ts).
 */

/** Where the storage sits: `docker/registry/v2/` below '' (a copied rootdirectory) or `var/lib/registry/`. */
export interface RegistryRoot {
  /** `<prefix>docker/registry/v2/` */
  v2: string;
}

const V2 = 'docker/registry/v2/';
/** where registry hosts keep it (Distribution's default, Debian's docker-registry): looked for in a directory input */
const DIR_PREFIXES = ['', 'var/lib/registry/', 'var/lib/docker-registry/'];
const MARK = /^(.*\/)?docker\/registry\/v2\/(repositories|blobs)\//;

export function findRegistryRoot(store: Store): RegistryRoot | null {
  const isDir = (n: string) => store.member(n)?.type === 'dir';
  if (store.kind === 'dir') {
    for (const p of DIR_PREFIXES) if (isDir(`${p}${V2}repositories`) && isDir(`${p}${V2}blobs`)) return { v2: `${p}${V2}` };
    return null;
  }
  const seen = new Map<string, Set<string>>();
  for (const m of store.members()) {
    const r = MARK.exec(m.name);
    if (!r) continue;
    const p = r[1] ?? '';
    seen.set(p, (seen.get(p) ?? new Set()).add(r[2]!));
  }
  const found = [...seen].filter(([, s]) => s.size === 2).map(([p]) => p).sort((a, b) => a.length - b.length);
  return found.length ? { v2: `${found[0]}${V2}` } : null;
}

/** The member holding a blob's bytes. */
export function blobData(root: RegistryRoot, d: Digest): string {
  const hex = d.slice(7);
  return `${root.v2}blobs/sha256/${hex.slice(0, 2)}/${hex}/data`;
}

const OCI_BLOB = /^blobs\/sha256\/([0-9a-f]{64})$/;

/**
 * The view every later read goes through: `blobs/sha256/<hex>` is the blob's
 * `data` member; each repository's virtual index is a member of its own; every
 * other name is the input's.
 */
export class RegistryStore implements Store {
  readonly virtual = new Map<string, Buffer>();
  /** what load() read, kept for `garbage` (read once per open) */
  facts: RegistryFacts | undefined;
  /** a directory's entries, when the input can list one (a directory input) */
  readonly children?: (dir: string) => Member[];
  constructor(readonly base: Store, readonly root: RegistryRoot) {
    if (base.children) this.children = (dir) => base.children!(dir);
  }
  get path() { return this.base.path; }
  get kind() { return this.base.kind; }
  get outerCompression() { return this.base.outerCompression; }
  get duplicates() { return this.base.duplicates; }
  get unsafeNames() { return this.base.unsafeNames; }
  members(): Member[] { return this.base.members(); }
  member(name: string): Member | undefined {
    const v = this.virtual.get(name);
    if (v) return { name, type: 'file', size: v.length };
    return this.base.member(this.real(name));
  }
  private real(name: string): string {
    const b = OCI_BLOB.exec(name);
    return b ? blobData(this.root, `sha256:${b[1]}`) : name;
  }
  async readBytes(name: string, limit: number): Promise<Buffer> {
    return this.virtual.get(name) ?? this.base.readBytes(this.real(name), limit);
  }
  head(name: string, n: number): Promise<Buffer> { return this.base.head(this.real(name), n); }
  open(name: string): Readable { return this.base.open(this.real(name)); }
  /** `fn` hears each name as the caller gave it */
  each(names: string[], fn: (name: string, body: Readable) => Promise<void>): Promise<void> {
    const given = new Map(names.map((n) => [this.real(n), n]));
    return this.base.each([...given.keys()], (n, body) => fn(given.get(n) ?? n, body));
  }
  locate(name: string) { return this.base.locate?.(this.real(name)) ?? null; }
  storage(name: string): string { return this.base.storage(this.real(name)); }
  close(): void { this.base.close(); }
}

/**
 * The entries directly inside a directory, from one listing of the input (a tar
 * has no directory index, and may hold no entries for its directories at all).
 */
function lister(store: Store): (dir: string) => Member[] {
  if (store.children) return (dir) => store.children!(dir);
  const byDir = new Map<string, Map<string, Member>>();
  const add = (m: Member) => {
    const slash = m.name.lastIndexOf('/');
    const dir = slash < 0 ? '' : m.name.slice(0, slash);
    let kids = byDir.get(dir);
    if (!kids) {
      byDir.set(dir, (kids = new Map()));
      if (dir !== '') add({ name: dir, type: 'dir', size: 0 });
    }
    // a directory implied by a path never hides the member itself
    if (!kids.has(m.name) || m.type !== 'dir') kids.set(m.name, m);
  };
  for (const m of store.members()) add(m);
  return (dir) => [...(byDir.get(dir)?.values() ?? [])].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

const baseName = (n: string) => n.slice(n.lastIndexOf('/') + 1);

/** A link file's size is `sha256:` + 64 hex; anything much longer is not one. */
const MAX_LINK = 256;

export interface Link {
  /** the link file */
  member: string;
  digest: Digest | null;
  /** why it gives no digest, or why the blob it names cannot be read */
  problem: string | null;
}

export interface ManifestFacts {
  digest: Digest;
  member: string;
  size: number;
  mediaType: string;
  /** descriptors it references directly: an index's manifests, a manifest's config and layers (and blobs) */
  references: Digest[];
  /** an index's manifests */
  children: Digest[];
}

export interface RepositoryFacts {
  name: string;
  /** `<v2>repositories/<name>/` */
  dir: string;
  tags: (Link & { tag: string })[];
  revisions: Link[];
  layers: Link[];
  /** revisions whose link file is gone: manifests deleted through the API (their directory stays) */
  deleted: Digest[];
  /** unfinished uploads (`_uploads/<uuid>/data`): space garbage-collect never frees (the registry purges them by age) */
  uploads: { member: string; size: number }[];
}

export interface RegistryFacts {
  root: RegistryRoot;
  repositories: RepositoryFacts[];
  /** every blob in the store, by digest (from its path) */
  blobs: Map<Digest, { member: string; size: number }>;
  /** manifests (and indexes) that tags and revisions name, as read */
  manifests: Map<Digest, ManifestFacts>;
  /** one sentence each: what could not be read (the rest goes on) */
  problems: LayerdigError[];
}

const MAX_REPO_DEPTH = 32;

/** The blob a link names: its digest, or why not (garbage in the file, a link out of the input, no blob). */
async function readLink(store: Store, root: RegistryRoot, member: string, blobs: RegistryFacts['blobs']): Promise<Link> {
  const end = followLinks(store, member);
  if (end.problem !== undefined) return { member, digest: null, problem: end.problem };
  if (end.member.type !== 'file') return { member, digest: null, problem: `is a ${end.member.type}, not a link file` };
  if (end.member.size > MAX_LINK) return { member, digest: null, problem: `is ${end.member.size} bytes, not a link file (sha256:<64 hex>)` };
  const text = (await store.head(end.member.name, MAX_LINK)).toString('utf8').trim();
  const d = toDigest(text);
  if (!d || !text.startsWith('sha256:')) return { member, digest: null, problem: `holds ${JSON.stringify(text.slice(0, 80))}, not a digest (sha256:<64 hex>)` };
  if (!blobs.has(d)) return { member, digest: d, problem: `dangling link: names ${d}, whose blob ${blobData(root, d)} is not in the store` };
  return { member, digest: d, problem: null };
}

/** Every repository, tag, revision, layer link and blob of the store, and the manifests the links name. */
export async function readRegistry(store: Store, root: RegistryRoot): Promise<RegistryFacts> {
  const ls = lister(store instanceof RegistryStore ? store.base : store);
  const problems: LayerdigError[] = [];
  const blobs: RegistryFacts['blobs'] = new Map();
  for (const two of ls(`${root.v2}blobs/sha256`)) {
    if (two.type !== 'dir') continue;
    for (const b of ls(two.name)) {
      const hex = baseName(b.name);
      if (!/^[0-9a-f]{64}$/.test(hex) || hex.slice(0, 2) !== baseName(two.name)) continue;
      const data = store.member(`${b.name}/data`);
      // a symlinked data file is followed (and refused when it leaves the input) where it is read
      if (data && (data.type === 'file' || data.type === 'symlink' || data.type === 'hardlink')) {
        blobs.set(`sha256:${hex}`, { member: data.name, size: data.size });
      }
    }
  }

  const repositories: RepositoryFacts[] = [];
  const links = async (dir: string): Promise<Link[]> => {
    const out: Link[] = [];
    for (const d of ls(dir)) {
      // a deleted manifest or layer keeps its directory and loses its link file, as the registry deletes them
      if (d.type === 'dir' && store.member(`${d.name}/link`) !== undefined) out.push(await readLink(store, root, `${d.name}/link`, blobs));
    }
    return out;
  };
  const walk = async (dir: string, depth: number): Promise<void> => {
    const kids = ls(dir);
    if (kids.some((k) => k.type === 'dir' && ['_manifests', '_layers'].includes(baseName(k.name)))) {
      const name = dir.slice(`${root.v2}repositories/`.length);
      const tags: RepositoryFacts['tags'] = [];
      for (const t of ls(`${dir}/_manifests/tags`)) {
        if (t.type === 'dir') tags.push({ tag: baseName(t.name), ...(await readLink(store, root, `${t.name}/current/link`, blobs)) });
      }
      const revDir = `${dir}/_manifests/revisions/sha256`;
      const deleted = ls(revDir).filter((d) => d.type === 'dir' && /^[0-9a-f]{64}$/.test(baseName(d.name)) && store.member(`${d.name}/link`) === undefined)
        .map((d): Digest => `sha256:${baseName(d.name)}`);
      const uploads = ls(`${dir}/_uploads`).flatMap((u) => ls(u.name).filter((m) => baseName(m.name) === 'data' && m.type === 'file'))
        .map((m) => ({ member: m.name, size: m.size }));
      repositories.push({ name, dir: `${dir}/`, tags, revisions: await links(revDir), layers: await links(`${dir}/_layers/sha256`), deleted, uploads });
    }
    if (depth >= MAX_REPO_DEPTH) return;
    // nested names (library/debian): any directory not starting with `_`, as the registry walks them
    for (const k of kids) if (k.type === 'dir' && !baseName(k.name).startsWith('_')) await walk(k.name, depth + 1);
  };
  await walk(`${root.v2}repositories`, 0);
  repositories.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const manifests: RegistryFacts['manifests'] = new Map();
  const unreadable = new Set<Digest>();
  for (const r of repositories) {
    for (const l of [...r.tags, ...r.revisions]) {
      if (l.problem) {
        problems.push(new LayerdigError(l.digest ? 'E_INTEGRITY' : 'E_BAD_ARCHIVE', `${where(store.path, l.member)}: ${l.problem}`));
        continue;
      }
      const d = l.digest!;
      if (manifests.has(d) || unreadable.has(d)) continue;
      try {
        manifests.set(d, await readManifest(store, d, blobs.get(d)!.member));
      } catch (e) {
        if (!(e instanceof LayerdigError)) throw e;
        unreadable.add(d);
        problems.push(e);
      }
    }
  }
  // a revision link's directory is the digest it must hold
  for (const r of repositories) {
    for (const l of r.revisions) {
      const named = `sha256:${baseName(l.member.slice(0, -'/link'.length))}`;
      if (l.digest && l.digest !== named) {
        problems.push(new LayerdigError('E_INTEGRITY', `${where(store.path, l.member)}: holds ${l.digest}, not the digest its directory names (${named})`));
      }
    }
  }
  return { root, repositories, blobs, manifests, problems };
}

/** A manifest or index blob: its bytes must hash to the digest it is stored under. */
async function readManifest(store: Store, d: Digest, member: string): Promise<ManifestFacts> {
  const end = followLinks(store, member);
  if (end.problem !== undefined) throw new LayerdigError('E_BAD_ARCHIVE', `${where(store.path, member)}: ${end.problem}`);
  if (end.member.type !== 'file') throw new LayerdigError('E_BAD_ARCHIVE', `${where(store.path, member)}: is a ${end.member.type}, not a blob`);
  const bytes = await store.readBytes(end.member.name, limits().maxJsonBytes);
  const actual = sha256(bytes);
  if (actual !== d) {
    throw new LayerdigError('E_INTEGRITY', `${where(store.path, member)}: hashes to ${actual}, not to the digest it is stored under (${d})`);
  }
  const v = parseJson(bytes, store.path, member);
  if (!isObject(v)) throw new LayerdigError('E_BAD_ARCHIVE', `${where(store.path, member)}: is not a JSON object (a manifest or index)`);
  const mediaType = typeof v.mediaType === 'string' ? v.mediaType
    : Array.isArray(v.manifests) ? INDEX_TYPES[0]! : isObject(v.config) ? MANIFEST_TYPES[0]! : '';
  const digests = (list: unknown): Digest[] => (Array.isArray(list) ? list : [])
    .map((x) => (isObject(x) && typeof x.digest === 'string' ? toDigest(x.digest) : null)).filter((x): x is Digest => x !== null);
  const children = digests(v.manifests);
  const references = [...children, ...digests(v.config !== undefined ? [v.config] : []), ...digests(v.layers), ...digests(v.blobs)];
  return { digest: d, member, size: bytes.length, mediaType, references, children };
}

/** Manifests a tag reaches, itself and through indexes (in the same repository). */
function reachable(manifests: RegistryFacts['manifests'], from: Digest[]): Set<Digest> {
  const seen = new Set<Digest>();
  const stack = [...from];
  while (stack.length) {
    const d = stack.pop()!;
    if (seen.has(d)) continue;
    seen.add(d);
    for (const c of manifests.get(d)?.children ?? []) stack.push(c);
  }
  return seen;
}

/**
 * The manifests that are an image (or artifact) of their own in a repository:
 * each tagged one, and each untagged revision no tag reaches (not a platform
 * manifest of a tagged index, nor of another untagged index).
 */
export function repositoryRoots(r: RepositoryFacts, manifests: RegistryFacts['manifests']): { digest: Digest; tags: string[] }[] {
  const tagged = new Map<Digest, string[]>();
  for (const t of r.tags) if (t.digest && !t.problem) tagged.set(t.digest, [...(tagged.get(t.digest) ?? []), t.tag]);
  const reached = reachable(manifests, [...tagged.keys()]);
  const revs = r.revisions.filter((l) => l.digest && !l.problem).map((l) => l.digest!);
  const listedByRevision = new Set(revs.flatMap((d) => manifests.get(d)?.children ?? []));
  const out = [...tagged].map(([digest, tags]) => ({ digest, tags: tags.sort() }));
  for (const d of revs) if (!reached.has(d) && !listedByRevision.has(d) && !out.some((o) => o.digest === d)) out.push({ digest: d, tags: [] });
  return out;
}

async function loadRepository(view: RegistryStore, facts: RegistryFacts, r: RepositoryFacts, declared: ArchiveDeclared | undefined, errors: LayerdigError[]): Promise<ImageSource[]> {
  const roots = repositoryRoots(r, facts.manifests).filter((x) => facts.manifests.has(x.digest));
  if (roots.length === 0) return [];
  const index = `${r.dir}_manifests/tags`;
  // one descriptor per manifest; its first tag names it (a cosign `sha256-….sig` tag makes it a signature)
  const descriptors = roots.map(({ digest, tags }) => {
    const m = facts.manifests.get(digest)!;
    return { mediaType: m.mediaType, digest, size: m.size, ...(tags.length ? { annotations: { [CONTAINERD_NAME]: `${r.name}:${tags[0]}` } } : {}) };
  });
  view.virtual.set(index, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: INDEX_TYPES[0], manifests: descriptors })));
  const before = declared?.missing.length ?? 0;
  const walked = await walkOciIndex(view, index, declared);
  const { entries } = walked;
  // a registry takes an index only with all its manifests: one missing is lost, never left out of a save on purpose
  for (const m of declared?.missing.slice(before) ?? []) m.byDesign = false;
  const notes = walked.notes.filter((n) => !n.includes('but not in the archive: skipped'));
  for (const { digest, tags } of roots) {
    for (const c of facts.manifests.get(digest)!.children) {
      if (facts.blobs.has(c)) continue;
      const what = tags.length ? tags.map((t) => `${r.name}:${t}`).join(', ') : `${r.name}@${digest}`;
      errors.push(new LayerdigError('E_INTEGRITY', `${where(view.path, blobData(facts.root, c))}: is missing, but index ${digest} (${what}) lists it: that manifest is skipped`));
    }
  }
  const tagsOf = new Map(roots.filter((x) => x.tags.length).map((x) => [`${r.name}:${x.tags[0]}`, x.tags.map((t) => `${r.name}:${t}`)]));
  const linked = new Set(r.layers.filter((l) => l.digest).map((l) => l.digest!));
  // the registry serves a tag's manifest only through the repository's revision link (and garbage-collect only keeps those)
  const revisions = new Set(r.revisions.filter((l) => l.digest).map((l) => l.digest!));
  const unrevised = r.tags.filter((t) => t.digest && !t.problem && !revisions.has(t.digest));
  for (const t of unrevised) {
    const link = `${r.dir}_manifests/revisions/sha256/${t.digest!.slice(7)}/link`;
    declared?.agreements.push({ check: 'repository manifest link', subject: link, expected: `a link to ${t.digest} (tag ${r.name}:${t.tag})`, actual: 'missing' });
  }
  const out: ImageSource[] = [];
  for (const e of entries) {
    const name = e.containerdName ? tagsOf.get(e.containerdName) ?? [e.containerdName] : [];
    const what = name.length ? name.join(', ') : `${r.name}@${e.descriptor.digest} (untagged)`;
    // a blob the manifest needs and the store does not hold: this image cannot be read, the others can
    const missing = [e.config, ...e.layers].find((d) => !facts.blobs.has(d.digest));
    if (missing) {
      errors.push(new LayerdigError('E_INTEGRITY', `${where(view.path, blobData(facts.root, missing.digest))}: is missing, but manifest ${e.descriptor.digest} of ${what} refers to it: image skipped`));
      continue;
    }
    let src: ImageSource;
    try {
      src = await imageFromOciEntry(view, e, 'registry-storage', [...notes]);
    } catch (err) {
      if (!(err instanceof LayerdigError)) throw err;
      errors.push(new LayerdigError(err.code, `${err.message} (${what})`));
      continue;
    }
    src.repoTags = name;
    // the registry serves a repository's blobs only through its _layers links
    for (const d of [e.config, ...e.layers]) {
      if (linked.has(d.digest)) continue;
      const link = `${r.dir}_layers/sha256/${d.digest.slice(7)}/link`;
      src.notes.push(`${where(view.path, link)}: is missing, so the registry will not serve blob ${d.digest} that ${what} needs`);
      declared?.agreements.push({ check: 'repository layer link', subject: link, expected: `a link to ${d.digest}`, actual: 'missing' });
    }
    if (!name.length) src.repository = r.name;
    for (const t of unrevised.filter((x) => x.digest === e.descriptor.digest || name.includes(`${r.name}:${x.tag}`))) {
      src.notes.push(`${where(view.path, `${r.dir}_manifests/revisions/sha256/${t.digest!.slice(7)}/link`)}: is missing, so the registry will not serve ${r.name}:${t.tag} (and garbage-collect deletes its blobs)`);
    }
    out.push(src);
  }
  return out;
}

export const registryStorage: Format = {
  name: 'registry-storage',
  priority: 13,
  describe: 'docker/registry/v2',
  async detect(store) {
    return findRegistryRoot(store) !== null;
  },
  wrap(store) {
    const root = findRegistryRoot(store);
    if (!root) throw new LayerdigError('E_NOT_AN_ARCHIVE', `${store.path}: not a registry storage`);
    return new RegistryStore(store, root);
  },
  async load(store, declared) {
    if (!(store instanceof RegistryStore)) throw new LayerdigError('E_NOT_AN_ARCHIVE', `${store.path}: not a registry storage`);
    const facts = await readRegistry(store, store.root);
    store.facts = facts;
    const errors = [...facts.problems];
    const out: ImageSource[] = [];
    for (const r of facts.repositories) out.push(...await loadRepository(store, facts, r, declared, errors));
    if (declared) {
      (declared.unreadable ??= []).push(...errors);
      // verify hashes every blob against the digest its path names, and finds each link's blob
      for (const [d, b] of facts.blobs) declared.claims.push({ kind: 'layer', member: b.member, by: 'its path', digest: d, size: null });
      for (const r of facts.repositories) {
        for (const l of [...r.tags, ...r.revisions, ...r.layers]) {
          if (l.digest === null) declared.agreements.push({ check: 'link', subject: l.member, expected: 'a digest (sha256:<64 hex>) of a blob in the store', actual: l.problem ?? '' });
          else if (l.problem) declared.claims.push({ kind: r.layers.includes(l) ? 'layer' : 'manifest', member: blobData(store.root, l.digest), by: l.member, digest: l.digest, size: null });
        }
      }
    }
    return out;
  },
};
