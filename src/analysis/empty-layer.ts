import type { Digest } from '../digest.js';

/**
 * Well-known empty layers. Unrelated images share them, so a match on one says
 * nothing about ancestry: `relation` marks it weak, `none` leaves it out of the
 * shared-set count.
 *
 * An empty tar is nothing but its end-of-archive marker: two 512-byte zero
 * blocks (1024 bytes: what Docker, buildah and Go's archive/tar write for a
 * layer with no entries, e.g. buildah's layer for a `CMD`), or the same padded
 * to GNU tar's and Python tarfile's default 20-block record (10240 bytes).
 * Computed here, not copied:
 *
 *   python3 -c "import hashlib; print(hashlib.sha256(bytes(1024)).hexdigest())"
 *     → 5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef
 *   python3 -c "import hashlib; print(hashlib.sha256(bytes(10240)).hexdigest())"
 *     → 84ff92691f909a05b224e1c56abb4864f01b4f8e3c854e4bb4c7baf1d3f6d652
 *   (`tarfile.open(fileobj=b, mode='w').close()` writes exactly those 10240 bytes)
 *
 * These are diffIDs, so they identify an empty layer whatever its compression.
 * A compressed empty layer's blob digest depends on the compressor's bytes
 * (header mtime, OS byte, deflate choices), so only the common ones are listed:
 *
 * - a3ed95ca…: docker/distribution's `gzippedEmptyTar`, the 32 bytes
 *   1f8b0800 00096e88 00ff6218 05a36014 8c580008 0000ffff 2eafb5ef 00040000
 *   (written by Go's compress/gzip; the blob of every schema-1 throwaway
 *   layer). Checked: python3 gzip.decompress of those bytes is 1024 zero bytes,
 *   and their sha256 is the digest below.
 * - 7989bb31… / deb230b2…: `head -c 1024 /dev/zero | gzip -n -6` / `-9`, which
 *   python3 `gzip.compress(bytes(1024), compresslevel=6|9, mtime=0)` reproduces
 *   byte for byte (both are zlib with OS byte 3).
 * - 85cea451… / b1dd88cd…: the same for the 10240-byte tar (`gzip -n -6` / `-9`).
 * - bd9ddc54… (gzip) and 4cdf59e7… (zstd): what containers/image (skopeo 1.9,
 *   podman, buildah) wrote for the 1024-byte tar in fixtures/real (e.g.
 *   app1-old.dir-gzip, app1-old.dir-zstd); the tests decompress those blobs and
 *   hash them.
 */
export const EMPTY_TAR_DIFF_IDS: ReadonlySet<Digest> = new Set([
  'sha256:5f70bf18a086007016e948b04aed3b82103a36bea41755b6cddfaf10ace3c6ef', // 1024 zero bytes
  'sha256:84ff92691f909a05b224e1c56abb4864f01b4f8e3c854e4bb4c7baf1d3f6d652', // 10240 zero bytes
]);

export const EMPTY_TAR_BLOB_DIGESTS: ReadonlySet<Digest> = new Set([
  'sha256:a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4', // docker/distribution gzippedEmptyTar (Go)
  'sha256:7989bb311baa38ef545250282aa065d23281c46dfb8faabe4c653487bdbded5c', // gzip -n -6, 1024 zeros
  'sha256:deb230b21e0d7ef6a0a2d65a19599d4251b5f08888a5155882fbef2ef71e1e11', // gzip -n -9, 1024 zeros
  'sha256:85cea451eec057fa7e734548ca3ba6d779ed5836a3f9de14b8394575ef0d7d8e', // gzip -n -6, 10240 zeros
  'sha256:b1dd88cdd8bf09af2539d0b345e647129d8fd55c92b6d824b6ecc53efd531028', // gzip -n -9, 10240 zeros
  'sha256:bd9ddc54bea929a22b334e73e026d4136e5b73f5cc29942896c72e4ece69b13d', // containers/image gzip, 1024 zeros
  'sha256:4cdf59e7244d2716024b9fdeee584695844f95a989b093990f1584c039ce6aeb', // containers/image zstd, 1024 zeros
]);

/** A layer that is a well-known empty tar (by diffID, or by blob digest when compressed by a known writer). */
export function isEmptyLayer(l: { diffId: Digest; digest?: Digest | null }): boolean {
  return EMPTY_TAR_DIFF_IDS.has(l.diffId) || (l.digest != null && (EMPTY_TAR_DIFF_IDS.has(l.digest) || EMPTY_TAR_BLOB_DIGESTS.has(l.digest)));
}

/** An id (diffID or digest) that names a well-known empty tar. */
export function isEmptyLayerId(d: Digest): boolean {
  return EMPTY_TAR_DIFF_IDS.has(d) || EMPTY_TAR_BLOB_DIGESTS.has(d);
}
