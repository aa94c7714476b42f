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
 * sha256 and length of a stream read to its end, chunk by chunk (the one
 * streaming hash: nothing is held; `onChunk` sees each chunk too).
 */
export async function sha256Stream(body: AsyncIterable<Buffer>, onChunk?: (chunk: Buffer) => void): Promise<{ digest: Digest; size: number }> {
  const h = new Sha256Count();
  for await (const c of body) {
    h.update(c);
    onChunk?.(c);
  }
  return { digest: h.digest(), size: h.size };
}

/** sha256 and length of the bytes fed so far, for a stream read by someone else (the layer pass's hash stage). */
export class Sha256Count {
  private readonly h = createHash('sha256');
  private done: Digest | null = null;
  size = 0;

  update(chunk: Buffer): void {
    this.h.update(chunk);
    this.size += chunk.length;
  }

  /** the digest of everything fed; asking again gives the same answer */
  digest(): Digest {
    return (this.done ??= `sha256:${this.h.digest('hex')}`);
  }
}

/**
 * Normalise a user's id or prefix (`sha256:ab12`, `AB12`) to bare lowercase hex,
 * or null when it is not hex at all.
 */
export function idPrefix(s: string): string | null {
  const bare = s.toLowerCase().replace(/^sha256:/, '');
  return /^[0-9a-f]{1,64}$/.test(bare) ? bare : null;
}

/**
 * Content-addressed blob names: `blobs/sha256/<hex>` (OCI layout) and crane's
 * `<hex>.tar.gz`. Other names (`<diffid>.tar`, `<v1id>/layer.tar`) say nothing
 * about the blob digest.
 */
export function digestFromName(name: string): Digest | null {
  const oci = /^blobs\/sha256\/([0-9a-f]{64})$/.exec(name);
  if (oci) return `sha256:${oci[1]}`;
  const crane = /^([0-9a-f]{64})\.(tar\.gz|tgz|tar\.zst)$/.exec(name);
  return crane ? `sha256:${crane[1]}` : null;
}

/**
 * The digest a member's name declares, for every content-addressed naming
 * convention: OCI `blobs/sha256/<hex>`, skopeo `dir:` `<hex>` and
 * `<hex>.manifest.json`, docker save `<hex>.json` (the image ID), crane
 * `sha256:<hex>` configs and `<hex>.tar.gz` layers. `<diffid>.tar` names the
 * uncompressed content, not the blob, and is not one of them.
 */
export function namedDigest(name: string): Digest | null {
  const fromBlob = digestFromName(name);
  if (fromBlob) return fromBlob;
  const m = /^(?:sha256:)?([0-9a-f]{64})(?:\.json|\.manifest\.json)?$/.exec(name);
  return m ? `sha256:${m[1]}` : null;
}
