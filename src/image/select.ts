import { idPrefix, shortId } from '../digest.js';
import { LayerdigError } from '../errors.js';
import { platformString, type Image, type Platform } from './model.js';
import { splitReference } from './reference.js';

export function parsePlatform(s: string): Platform {
  const parts = s.split('/');
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => p === '')) {
    throw new LayerdigError('E_USAGE', `--platform must be os/arch[/variant], not "${s}"`);
  }
  return parts.length === 3 ? { os: parts[0]!, architecture: parts[1]!, variant: parts[2]! } : { os: parts[0]!, architecture: parts[1]! };
}

export function platformMatches(p: Platform, want: Platform): boolean {
  return p.os === want.os && p.architecture === want.architecture && (!want.variant || p.variant === want.variant);
}

/** `docker.io/library/x:t`, `docker.io/x:t` and `x:t` name the same image. */
export function canonicalRef(ref: string): string {
  const { repository, tag } = splitReference(ref);
  let repo = repository.replace(/^docker\.io\//, '').replace(/^index\.docker\.io\//, '');
  repo = repo.replace(/^library\//, '');
  return `${repo}:${tag}`;
}

export function imageNames(img: Image): string[] {
  return img.repoTags.length ? img.repoTags : img.refName ? [img.refName] : [];
}

export function describeImage(img: Image): string {
  const names = imageNames(img);
  return `${names.length ? names.join(', ') : '<none>'} ${shortId(img.id)} ${platformString(img.platform)} (${img.archive})`;
}

function matches(img: Image, sel: string): boolean {
  const names = imageNames(img);
  if (names.includes(sel)) return true;
  if (!/^(sha256:)?[0-9a-f]+$/i.test(sel) && names.some((n) => canonicalRef(n) === canonicalRef(sel))) return true;
  const prefix = idPrefix(sel);
  if (!prefix) return false;
  return img.id.slice(7).startsWith(prefix) || (img.manifestDigest?.slice(7).startsWith(prefix) ?? false);
}

/** Same image (same ID on the same platform) listed twice, e.g. under two ref names. */
function distinct(images: Image[]): Image[] {
  const seen = new Set<string>();
  return images.filter((i) => {
    const k = `${i.archive}\0${i.id}\0${platformString(i.platform)}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** The images on `platform` (all when none is given); none there is not found. */
function onPlatform(images: Image[], platform?: string): Image[] {
  if (!platform) return images;
  const want = parsePlatform(platform);
  const pool = images.filter((i) => platformMatches(i.platform, want));
  if (pool.length === 0) throw new LayerdigError('E_NOT_FOUND', `no image for platform ${platform}`, images.map(describeImage));
  return pool;
}

/**
 * The one selection rule every command uses. No selector: every image (on
 * `--platform`), for the commands that report each image. A selector
 * (`-i`: repo:tag, a full or unique-prefix image ID, or a manifest digest)
 * names exactly one image: none is not found (exit 4), several are ambiguous
 * (exit 2), each with the candidates listed — on every command alike.
 */
export function selectImages(images: Image[], selector?: string, platform?: string): Image[] {
  const pool = onPlatform(images, platform);
  return selector ? [selectOne(pool, selector)] : pool;
}

/** Exactly one image, or an error listing the candidates. */
export function selectOne(images: Image[], selector?: string, platform?: string): Image {
  const pool = onPlatform(images, platform);
  const matching = selector ? pool.filter((i) => matches(i, selector)) : pool;
  if (matching.length === 0) throw new LayerdigError('E_NOT_FOUND', `no image matches "${selector}"`, pool.map(describeImage));
  const hits = distinct(matching);
  if (hits.length > 1) {
    const what = selector ? `"${selector}" matches ${hits.length} images` : `the input holds ${hits.length} images`;
    throw new LayerdigError('E_AMBIGUOUS', `${what}: choose one with -i (and --platform)`, hits.map(describeImage));
  }
  return hits[0]!;
}
