import { posix } from 'node:path';
import type { LayerEntry } from '../layer/entry.js';

/**
 * os-release(5): `/etc/os-release` wins; `/usr/lib/os-release` is the fallback.
 * Both are often symlinks (`/etc/os-release -> ../usr/lib/os-release`).
 */
export const OS_RELEASE_PATHS = ['etc/os-release', 'usr/lib/os-release'] as const;

export interface OsRelease {
  /** ID, e.g. `debian`, `alpine`, `ubuntu` */
  id: string | null;
  versionId: string | null;
  name: string | null;
  prettyName: string | null;
  versionCodename: string | null;
  idLike: string[];
  /** every KEY=value, unquoted */
  fields: Record<string, string>;
}

function unquote(raw: string): string {
  const v = raw.trim();
  if (v.length >= 2 && v[0] === '"' && v[v.length - 1] === '"') {
    // shell double quotes: \" \\ \$ \` are escapes
    return v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
  }
  if (v.length >= 2 && v[0] === "'" && v[v.length - 1] === "'") return v.slice(1, -1);
  return v.replace(/\\(.)/g, '$1');
}

/** Parse os-release text (shell-compatible KEY=value lines; `#` comments). */
export function parseOsRelease(text: string): OsRelease {
  const fields: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const m = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(t);
    if (m) fields[m[1]!] = unquote(m[2]!);
  }
  const get = (k: string) => (fields[k] !== undefined && fields[k] !== '' ? fields[k]! : null);
  return {
    id: get('ID'),
    versionId: get('VERSION_ID'),
    name: get('NAME'),
    prettyName: get('PRETTY_NAME'),
    versionCodename: get('VERSION_CODENAME'),
    idLike: (get('ID_LIKE') ?? '').split(/\s+/).filter(Boolean),
    fields,
  };
}

/** `debian 12 (Debian GNU/Linux 12 (bookworm))`: one line for a table. */
export function describeOs(os: OsRelease): string {
  const short = [os.id ?? os.name ?? 'unknown', os.versionId].filter(Boolean).join(' ');
  return os.prettyName && os.prettyName !== short ? `${short} (${os.prettyName})` : short;
}

/** One layer's entries, indexed for lookups. */
export interface LayerView {
  index: number;
  byPath: Map<string, LayerEntry>;
  /** paths this layer deletes from the layers below (`.wh.<name>`) */
  whiteouts: Set<string>;
  /** directories whose lower contents this layer hides (`.wh..wh..opq`) */
  opaques: Set<string>;
}

export function layerView(index: number, entries: readonly LayerEntry[]): LayerView {
  const v: LayerView = { index, byPath: new Map(), whiteouts: new Set(), opaques: new Set() };
  for (const e of entries) {
    if (e.whiteout !== undefined) v.whiteouts.add(e.whiteout);
    else if (e.opaque !== undefined) v.opaques.add(e.opaque);
    else v.byPath.set(e.path, e);
  }
  return v;
}

export type FinalLookup =
  | { status: 'found'; layerIndex: number; path: string; entry: LayerEntry; links: string[] }
  | { status: 'absent'; why: string; links: string[] }
  /** the layers seen so far do not decide it: look at lower layers */
  | { status: 'unknown'; path: string; links: string[] };

const MAX_HOPS = 40;

function ancestors(path: string): string[] {
  const parts = path.split('/');
  const out: string[] = [];
  for (let i = 1; i < parts.length; i++) out.push(parts.slice(0, i).join('/'));
  return out;
}

/** Resolve a symlink target found at `at` (inside the image: `..` stops at the root). */
export function resolveLink(at: string, target: string, rest: string): string {
  const base = target.startsWith('/') ? target : posix.join(posix.dirname(`/${at}`), target);
  const joined = posix.normalize(`/${base}/${rest}`);
  return joined.replace(/^\/+/, '').replace(/\/+$/, '');
}

/**
 * Look a path up in the image's final (merged) filesystem, from layers given
 * top (newest) first. Follows symlinks, also in parent directories, inside the
 * image; honours whiteouts and opaque directories, of the path and of its
 * parents. `complete` says the layers reach down to the bottom one: otherwise
 * an undecided path is `unknown` (read the next lower layer and ask again).
 */
export function lookupFinal(layersTopDown: readonly LayerView[], path: string, complete: boolean): FinalLookup {
  let p = path.replace(/^\/+/, '');
  const links: string[] = [];
  for (let hop = 0; hop <= MAX_HOPS; hop++) {
    const outcome = lookupOnce(layersTopDown, p);
    if (outcome.kind === 'link') {
      links.push(`${outcome.at} -> ${outcome.target}`);
      p = outcome.next;
      continue;
    }
    if (outcome.kind === 'found') return { status: 'found', layerIndex: outcome.layer, path: p, entry: outcome.entry, links };
    if (outcome.kind === 'absent') return { status: 'absent', why: outcome.why, links };
    return complete ? { status: 'absent', why: `/${p} is in no layer`, links } : { status: 'unknown', path: p, links };
  }
  return { status: 'absent', why: `more than ${MAX_HOPS} symlinks resolving /${path}`, links };
}

type Once =
  | { kind: 'found'; layer: number; entry: LayerEntry }
  | { kind: 'link'; at: string; target: string; next: string }
  | { kind: 'absent'; why: string }
  | { kind: 'none' };

function lookupOnce(layers: readonly LayerView[], p: string): Once {
  const parents = ancestors(p);
  for (const l of layers) {
    const e = l.byPath.get(p);
    if (e) {
      if (e.type === 'symlink') return { kind: 'link', at: p, target: e.linkTarget ?? '', next: resolveLink(p, e.linkTarget ?? '', '') };
      return { kind: 'found', layer: l.index, entry: e };
    }
    if (l.whiteouts.has(p)) return { kind: 'absent', why: `/${p} is deleted by a whiteout in layer ${l.index}` };
    // the deepest parent this layer says something about decides
    for (let i = parents.length - 1; i >= 0; i--) {
      const a = parents[i]!;
      const pe = l.byPath.get(a);
      if (pe) {
        if (pe.type === 'symlink') {
          const rest = p.slice(a.length + 1);
          return { kind: 'link', at: a, target: pe.linkTarget ?? '', next: resolveLink(a, pe.linkTarget ?? '', rest) };
        }
        if (pe.type !== 'dir') return { kind: 'absent', why: `/${a} is a ${pe.type}, not a directory, in layer ${l.index}` };
      }
      if (l.opaques.has(a)) return { kind: 'absent', why: `/${a} is made opaque in layer ${l.index}, which has no /${p}` };
      if (l.whiteouts.has(a)) return { kind: 'absent', why: `/${a} is deleted by a whiteout in layer ${l.index}` };
      // a plain directory here: lower layers may still hold the path, unless a shallower parent is opaque
    }
  }
  return { kind: 'none' };
}
