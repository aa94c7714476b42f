import { shortId, type Digest } from '../digest.js';
import { isFullReference } from '../image/reference.js';
import { isEmptyLayer } from './empty-layer.js';
import { sharedPrefix } from './none.js';
import { describeOs, type OsRelease } from './os-release.js';
import { isTagged, namesOf, summaryRef, type ImageSummary } from './summary.js';

export const BASE_NAME = 'org.opencontainers.image.base.name';
export const BASE_DIGEST = 'org.opencontainers.image.base.digest';

export type ClueKind = 'annotation' | 'label' | 'os' | 'chain' | 'history';

export interface BaseClue {
  kind: ClueKind;
  /** what the clue says the base is (a name, a digest, an OS, a layer range); null when it says nothing */
  value: string | null;
  /** why: where the value was found, in one sentence */
  evidence: string;
  /** the same, for programs */
  detail: Record<string, unknown>;
}

export interface BaseResult {
  image: ImageSummary;
  clues: BaseClue[];
  /** clues that contradict each other, one sentence each */
  disagreements: string[];
}

/** What `base` learned about the OS, read from the final filesystem (not pure: the CLI reads it). */
export type OsClueInput =
  | { status: 'found'; os: OsRelease; path: string; resolvedPath: string; links: string[]; layerIndex: number; diffId: Digest; size: number; sha256: Digest }
  | { status: 'absent'; why: string }
  | { status: 'skipped' };

/** `docker.io/library/x:t`, `docker.io/x:t` and `x:t` are one image; no tag means `latest`. */
export function canonicalRef(ref: string): string {
  let r = ref.trim();
  const at = r.indexOf('@');
  const digest = at === -1 ? '' : r.slice(at);
  if (at !== -1) r = r.slice(0, at);
  const slash = r.lastIndexOf('/');
  if (r.lastIndexOf(':') <= slash && !digest) r += ':latest';
  r = r.replace(/^(index\.)?docker\.io\//, '').replace(/^library\//, '');
  return r + digest;
}

const sameRef = (a: string, b: string) => canonicalRef(a) === canonicalRef(b);

/** The tag of a reference (`latest` when it has none); null for a digest-only reference. */
function tagOf(ref: string): string | null {
  const r = ref.trim();
  const at = r.indexOf('@');
  const name = at === -1 ? r : r.slice(0, at);
  const colon = name.lastIndexOf(':');
  if (colon > name.lastIndexOf('/')) return name.slice(colon + 1);
  return at === -1 ? 'latest' : null;
}

/**
 * Whether a name an --against image carries can be the image a reference names.
 * An OCI layout's `org.opencontainers.image.ref.name` is often only the tag
 * (`1.0`, as skopeo writes it): it agrees with any reference of that tag.
 */
function nameAgrees(candidate: string, ref: string): boolean {
  return isFullReference(candidate) ? sameRef(candidate, ref) : candidate === tagOf(ref);
}

/** `/bin/sh -c #(nop)  CMD ["x"]` (classic builder), `CMD ["x"]` (BuildKit), buildah's `#(nop) ENTRYPOINT …`. */
const CMD_RE = /^(\/bin\/sh -c\s+)?(#\(nop\)\s*)?(CMD|ENTRYPOINT)\b/;

function layersUpTo(img: ImageSummary, entry: number): number {
  let n = 0;
  for (let i = 0; i <= entry && i < img.history.length; i++) if (img.history[i]!.layerIndex !== null) n = img.history[i]!.layerIndex! + 1;
  return n;
}

function oneLine(s: string, max = 60): string {
  const t = s.replace(/\s+/g, ' ').trim();
  return t.length <= max ? t : `${t.slice(0, max - 1)}…`;
}

/** Clue 1: org.opencontainers.image.base.name/digest, in manifest annotations and config labels. */
function annotationClues(img: ImageSummary): BaseClue[] {
  const out: BaseClue[] = [];
  for (const [kind, map, where] of [['annotation', img.annotations, 'manifest annotation'], ['label', img.labels, 'config label']] as const) {
    for (const key of [BASE_NAME, BASE_DIGEST]) {
      const v = map[key];
      if (v) out.push({ kind, value: v, evidence: `${where} ${key}`, detail: { key, source: kind } });
    }
  }
  if (out.length === 0) {
    out.push({
      kind: 'annotation', value: null,
      evidence: `no ${BASE_NAME} or ${BASE_DIGEST} in the manifest annotations or the config labels`, detail: {},
    });
  }
  return out;
}

/** Clue 2: the OS from os-release, and the layer that set it. */
function osClue(os: OsClueInput): BaseClue {
  if (os.status === 'skipped') return { kind: 'os', value: null, evidence: 'not read (--no-os): the OS needs the layer contents', detail: {} };
  if (os.status === 'absent') return { kind: 'os', value: null, evidence: `no os-release in the final filesystem: ${os.why}`, detail: {} };
  const via = os.links.length ? ` (${os.links.map((l) => `/${l.replace(' -> ', ' → ')}`).join(', ')})` : '';
  return {
    kind: 'os',
    value: describeOs(os.os),
    evidence: `/${os.path}${os.resolvedPath === os.path ? '' : `${via} is /${os.resolvedPath}`}, last written by layer ${os.layerIndex} (diffID ${shortId(os.diffId)}), ${os.size} bytes`,
    detail: {
      id: os.os.id, versionId: os.os.versionId, name: os.os.name, prettyName: os.os.prettyName, versionCodename: os.os.versionCodename,
      idLike: os.os.idLike, path: os.path, resolvedPath: os.resolvedPath, links: os.links, layerIndex: os.layerIndex,
      diffId: os.diffId, size: os.size, sha256: os.sha256,
    },
  };
}

/** Full references (`repo:tag`) before bare OCI tags (`latest`), each sorted. */
function sortNames(names: string[]): string[] {
  const u = [...new Set(names)];
  return [...u.filter(isFullReference).sort(), ...u.filter((n) => !isFullReference(n)).sort()];
}

interface ChainMatch {
  rep: ImageSummary;
  /** the --against images of the representative's ID */
  all: ImageSummary[];
  layers: number;
  /** names of every --against image with this chain prefix (full references first) */
  names: string[];
  /** every --against image with this chain prefix */
  chainAll: ImageSummary[];
}

/** Clue 3: the longest chain prefix shared with an image of `against` that is wholly a prefix of this one. */
function chainClue(img: ImageSummary, against: readonly ImageSummary[] | null): { clue: BaseClue; match: ChainMatch | null } {
  if (against === null) {
    return { clue: { kind: 'chain', value: null, evidence: 'not checked: give --against <archive|dir>… (or --db) with candidate base images', detail: {} }, match: null };
  }
  const groups = new Map<string, ImageSummary[]>();
  let sibling: { s: ImageSummary; n: number } | null = null;
  for (const a of against) {
    if (a.layers.length === 0) continue;
    const n = sharedPrefix(img, a);
    if (n === 0) continue;
    // all of this image's layers: the image itself (a copy, a re-tag, a conversion) or an image built on it
    if (n === img.layers.length) continue;
    if (n < a.layers.length) {
      if (!sibling || n > sibling.n) sibling = { s: a, n };
      continue;
    }
    const k = `${a.layers.length}\0${a.id}`;
    groups.set(k, [...(groups.get(k) ?? []), a]);
  }
  let best: ChainMatch | null = null;
  for (const g of groups.values()) {
    g.sort((x, y) => Number(isTagged(y)) - Number(isTagged(x)) || x.archive.localeCompare(y.archive));
    const m: ChainMatch = { rep: g[0]!, all: g, layers: g[0]!.layers.length, names: sortNames(g.flatMap(namesOf)), chainAll: g };
    const fam = (x: ChainMatch) => Number(x.all.some((s) => s.mediaFamily !== null && s.mediaFamily === img.mediaFamily));
    if (!best || m.layers > best.layers
      || (m.layers === best.layers && (fam(m) - fam(best) || m.names.length - best.names.length || best.rep.id.localeCompare(m.rep.id)) > 0)) best = m;
  }
  if (best) {
    // every --against image with the same chain prefix is the same base, however its copy is named
    // (a docker-archive's `repo:tag`, an OCI layout's bare tag): all their names count
    const same = [...groups.values()].filter((g) => g[0]!.layers.length === best!.layers);
    best.names = sortNames(same.flat().flatMap(namesOf));
    best.chainAll = same.flat();
  }
  if (!best) {
    const why = sibling
      ? `no image in --against is a prefix of this one; the longest shared chain is ${sibling.n} layers with ${namesOf(sibling.s).join(', ') || shortId(sibling.s.id)} (a sibling: both built on a common ancestor that is not in --against)`
      : `no image in --against (${against.length} images) shares this image's first layer`;
    return { clue: { kind: 'chain', value: null, evidence: why, detail: {} }, match: null };
  }
  const onlyEmpty = img.layers.slice(0, best.layers).every((l) => isEmptyLayer(l));
  const name = best.names[0] ?? `<none> ${shortId(best.rep.id)}`;
  return {
    clue: {
      kind: 'chain',
      value: name,
      evidence: `its ${best.layers} layer${best.layers === 1 ? '' : 's'} are this image's first ${best.layers} (chainID ${shortId(img.layers[best.layers - 1]!.chainId)} at layer ${best.layers - 1}); image ${shortId(best.rep.id)} in ${best.all.length} place${best.all.length === 1 ? '' : 's'}${onlyEmpty ? ' (weak: only well-known empty layers)' : ''}`,
      detail: {
        image: summaryRef(best.rep), names: best.names, layers: best.layers, chainId: img.layers[best.layers - 1]!.chainId,
        archives: [...new Set(best.all.map((s) => s.archive))], weak: onlyEmpty,
      },
    },
    match: best,
  };
}

interface Boundary { entry: number; layers: number }

/** Clue 4: where the base's last history entry ends. */
function historyClues(img: ImageSummary, baseNames: { name: string; source: string }[]): { clues: BaseClue[]; boundaries: { b: Boundary; why: string }[] } {
  const h = img.history;
  const clues: BaseClue[] = [];
  const boundaries: { b: Boundary; why: string }[] = [];
  const describe = (b: Boundary) => `layers 0-${b.layers - 1} (history entries 0-${b.entry})`;
  const times = (b: Boundary) => {
    const a = h[b.entry]?.created;
    const n = h[b.entry + 1]?.created;
    return a && n ? `; created ${a}, next entry ${n}` : '';
  };

  // Docker's way: a base image ends with CMD/ENTRYPOINT; the last such entry that
  // more content follows is where the base stops
  let cmd = -1;
  for (let i = 0; i < h.length; i++) {
    if (!CMD_RE.test(h[i]!.createdBy)) continue;
    const more = h.slice(i + 1).some((e) => e.layerIndex !== null && !isEmptyLayer(img.layers[e.layerIndex]!));
    if (more) cmd = i;
  }
  if (cmd >= 0) {
    const b = { entry: cmd, layers: layersUpTo(img, cmd) };
    boundaries.push({ b, why: `history: the last CMD/ENTRYPOINT followed by more layers (entry ${cmd})` });
    clues.push({
      kind: 'history', value: describe(b),
      evidence: `entry ${cmd} "${oneLine(h[cmd]!.createdBy)}" is the last CMD/ENTRYPOINT with layers after it${times(b)}`,
      detail: { method: 'cmd-entrypoint', historyIndex: cmd, layers: b.layers },
    });
  }

  // buildah/podman write `FROM <image>` in the comment of the first entry of each step
  for (const { name, source } of baseNames) {
    const j = h.findIndex((e) => e.comment !== null && /^FROM\s+/.test(e.comment) && sameRef(e.comment.replace(/^FROM\s+/, ''), name));
    if (j <= 0) continue;
    const b = { entry: j - 1, layers: layersUpTo(img, j - 1) };
    boundaries.push({ b, why: `history: the "FROM ${name}" comment (${source})` });
    clues.push({
      kind: 'history', value: describe(b),
      evidence: `entry ${j}'s comment "FROM ${name}" (written by buildah) starts the first step on top of the ${source} base${times(b)}`,
      detail: { method: 'from-comment', historyIndex: b.entry, layers: b.layers, name },
    });
  }

  if (clues.length === 0) {
    clues.push({
      kind: 'history', value: null,
      evidence: h.length === 0 ? 'the config has no history'
        : 'no CMD/ENTRYPOINT with more layers after it, and no buildah "FROM <base>" comment: the history reads as one build (from scratch, or squashed)',
      detail: {},
    });
  }
  return { clues, boundaries };
}

/**
 * The base image, with the evidence for each clue. Pure: the OS (which needs
 * layer contents) is read by the caller and passed in; `against` is null when
 * no candidate bases were given.
 */
export function detectBase(img: ImageSummary, os: OsClueInput, against: readonly ImageSummary[] | null): BaseResult {
  const ann = annotationClues(img);
  const chain = chainClue(img, against);
  const names = ann.filter((c) => c.value !== null && c.detail.key === BASE_NAME).map((c) => ({ name: c.value!, source: c.evidence }));
  const digests = ann.filter((c) => c.value !== null && c.detail.key === BASE_DIGEST).map((c) => ({ digest: c.value!, source: c.evidence }));
  const hist = historyClues(img, names);
  const clues = [...ann, osClue(os), chain.clue, ...hist.clues];

  const disagreements: string[] = [];
  // names among themselves
  for (let i = 0; i < names.length; i++) {
    for (let j = i + 1; j < names.length; j++) {
      if (!sameRef(names[i]!.name, names[j]!.name)) disagreements.push(`${names[i]!.source} says ${names[i]!.name}, ${names[j]!.source} says ${names[j]!.name}`);
    }
  }
  for (let i = 0; i < digests.length; i++) {
    for (let j = i + 1; j < digests.length; j++) {
      if (digests[i]!.digest !== digests[j]!.digest) disagreements.push(`${digests[i]!.source} says ${digests[i]!.digest}, ${digests[j]!.source} says ${digests[j]!.digest}`);
    }
  }
  // names and digests against the image the layers point to
  const m = chain.match;
  if (m) {
    const who = `the chain prefix matches ${m.names.length ? m.names.join(', ') : `untagged ${shortId(m.rep.id)}`} (${m.layers} layers)`;
    for (const n of names) {
      if (m.names.length && !m.names.some((x) => nameAgrees(x, n.name))) disagreements.push(`${n.source} says ${n.name}, but ${who}`);
    }
    for (const d of digests) {
      const known = m.chainAll.some((s) => s.manifestDigest === d.digest || s.id === d.digest);
      if (!known) disagreements.push(`${d.source} says ${d.digest}, but ${who}, whose manifest digest is ${[...new Set(m.chainAll.map((s) => s.manifestDigest ?? 'not recorded'))].join(' or ')}`);
    }
  }
  // layer boundaries: chain prefix and history
  const bounds = [...(m ? [{ layers: m.layers, why: 'the chain prefix' }] : []), ...hist.boundaries.map((x) => ({ layers: x.b.layers, why: x.why }))];
  const byLayers = new Map<number, string[]>();
  for (const b of bounds) byLayers.set(b.layers, [...(byLayers.get(b.layers) ?? []), b.why]);
  if (byLayers.size > 1) {
    const parts = [...byLayers.entries()].sort(([a], [b]) => a - b).map(([n, whys]) => `${whys.join(' and ')} put${whys.length === 1 ? 's' : ''} it at ${n} layer${n === 1 ? '' : 's'}`);
    disagreements.push(`the base boundary differs: ${parts.join('; ')}`);
  }
  // the OS file written above the base: the image changed its OS identity
  if (os.status === 'found' && bounds.length) {
    const top = Math.min(...bounds.map((b) => b.layers));
    if (os.layerIndex >= top) disagreements.push(`os-release was last written by layer ${os.layerIndex}, above the base (${top} layers): this image changed it, so the OS may not be the base's`);
  }
  return { image: img, clues, disagreements };
}

