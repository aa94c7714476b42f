import { LayerdigError } from '../errors.js';
import type { Image } from '../image/model.js';

/**
 * `images --filter` as docker applies it: `dangling=true|false`,
 * `reference=PATTERN` (Go's path.Match against each name:tag, then against
 * the name alone), `label=KEY` / `label=KEY=VALUE`, `before=IMAGE` /
 * `since=IMAGE` (created strictly before / after that image). Several
 * filters must all hold; several values of one key, any of them.
 */
export interface ImageFilters {
  dangling?: boolean;
  reference: string[];
  label: { key: string; value?: string }[];
  before?: string;
  since?: string;
}

const KEYS = ['dangling', 'reference', 'label', 'before', 'since'];

/** Parse `--filter k=v` arguments; a bad one is a usage error before anything is read. */
export function parseImageFilters(args: readonly string[]): ImageFilters {
  const f: ImageFilters = { reference: [], label: [] };
  for (const a of args) {
    const eq = a.indexOf('=');
    const key = eq < 0 ? a : a.slice(0, eq);
    const value = eq < 0 ? '' : a.slice(eq + 1);
    if (!KEYS.includes(key)) throw new LayerdigError('E_USAGE', `--filter ${a}: unknown filter "${key}" (filters: ${KEYS.join(', ')})`);
    if (eq < 0 || value === '') throw new LayerdigError('E_USAGE', `--filter ${a}: "${key}" needs a value (${key}=…)`);
    if (key === 'dangling') {
      if (!/^(true|false|1|0)$/i.test(value)) throw new LayerdigError('E_USAGE', `--filter ${a}: dangling is true or false`);
      f.dangling = /^(true|1)$/i.test(value);
    } else if (key === 'reference') {
      pathMatchRegExp(value); // reject a malformed pattern now
      f.reference.push(value);
    } else if (key === 'label') {
      const k = value.indexOf('=');
      f.label.push(k < 0 ? { key: value } : { key: value.slice(0, k), value: value.slice(k + 1) });
    } else if (key === 'before') f.before = value;
    else f.since = value;
  }
  return f;
}

/** Go's path.Match as a RegExp: `*` any run of non-`/`, `?` one non-`/`, `[…]` / `[^…]` classes, `\` escapes. */
export function pathMatchRegExp(pattern: string): RegExp {
  let re = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i]!;
    if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else if (c === '\\' && i + 1 < pattern.length) re += escape(pattern[++i]!);
    else if (c === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) throw new LayerdigError('E_USAGE', `reference=${pattern}: syntax error in pattern`);
      let body = pattern.slice(i + 1, end);
      const neg = body.startsWith('^');
      if (neg) body = body.slice(1);
      re += `[${neg ? '^/' : ''}${body.replace(/[\\\]]/g, '\\$&')}]`;
      i = end;
    } else re += escape(c);
  }
  return new RegExp(`^${re}$`, 'u');
}

const escape = (c: string) => c.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** docker's untagged: no repo:tag and no OCI ref name. */
export function isDangling(img: Pick<Image, 'repoTags' | 'refName'>): boolean {
  return img.repoTags.length === 0 && !img.refName;
}

/**
 * docker's intermediate images: untagged build parents of another image in the
 * same input (only a Docker data-root records build parents). `docker images`
 * hides them without -a and `dangling=true` never lists them.
 */
export function intermediates<T extends Pick<Image, 'repoTags' | 'refName' | 'id' | 'buildSteps'>>(imgs: readonly T[]): Set<T> {
  const parents = new Set(imgs.flatMap((i) => i.buildSteps?.slice(1) ?? []));
  return new Set(imgs.filter((i) => isDangling(i) && parents.has(i.id)));
}

function nameOf(ref: string): string {
  const slash = ref.lastIndexOf('/');
  const colon = ref.lastIndexOf(':');
  return colon > slash ? ref.slice(0, colon) : ref;
}

function labels(img: Image): Record<string, unknown> {
  const l = (img.config.config as { Labels?: unknown } | null | undefined)?.Labels;
  return l && typeof l === 'object' ? l as Record<string, unknown> : {};
}

/**
 * Keep what the filters select. `resolve` finds the image a before/since
 * value names among all inputs (the same selector rules as -i).
 */
export function filterImages(images: Image[], f: ImageFilters, resolve: (sel: string) => Image): Image[] {
  const before = f.before !== undefined ? Date.parse(resolve(f.before).created ?? '') : NaN;
  const since = f.since !== undefined ? Date.parse(resolve(f.since).created ?? '') : NaN;
  const patterns = f.reference.map(pathMatchRegExp);
  return images.filter((img) => {
    if (f.dangling !== undefined && isDangling(img) !== f.dangling) return false;
    if (patterns.length) {
      const refs = img.repoTags.length ? img.repoTags : img.refName ? [img.refName] : [];
      if (!refs.some((r) => patterns.some((p) => p.test(r) || p.test(nameOf(r))))) return false;
    }
    if (f.label.length) {
      const l = labels(img);
      if (!f.label.every((x) => x.key in l && (x.value === undefined || String(l[x.key]) === x.value))) return false;
    }
    const created = Date.parse(img.created ?? '');
    if (f.before !== undefined && !(created < before)) return false;
    if (f.since !== undefined && !(created > since)) return false;
    return true;
  });
}
