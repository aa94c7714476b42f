import { createHash } from 'node:crypto';

/** A content digest, always `sha256:<64 lowercase hex>` once validated. */
export type Digest = string;

const DIGEST_RE = /^sha256:[0-9a-f]{64}$/;
const HEX64_RE = /^[0-9a-f]{64}$/;

export function isDigest(s: unknown): s is Digest {
  return typeof s === 'string' && DIGEST_RE.test(s);
}

export function isHex64(s: string): boolean {
  return HEX64_RE.test(s);
}

/** `abc…` or `sha256:abc…` (64 hex) → `sha256:abc…`; anything else → null. */
export function toDigest(s: string): Digest | null {
  const lower = s.toLowerCase();
  if (DIGEST_RE.test(lower)) return lower;
  if (HEX64_RE.test(lower)) return `sha256:${lower}`;
  return null;
}

export function hexOf(d: Digest): string {
  return d.slice('sha256:'.length);
}

/** The 12-hex short form Docker prints. */
export function shortId(d: Digest | null | undefined): string {
  if (!d) return '';
  return d.startsWith('sha256:') ? d.slice(7, 19) : d.slice(0, 12);
}

export function sha256(data: Buffer | string): Digest {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/**
 * Normalise a user's id or prefix (`sha256:ab12`, `AB12`) to bare lowercase hex,
 * or null when it is not hex at all.
 */
export function idPrefix(s: string): string | null {
  const bare = s.toLowerCase().replace(/^sha256:/, '');
  return /^[0-9a-f]{1,64}$/.test(bare) ? bare : null;
}
