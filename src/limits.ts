/** Safety limits. Every one is configurable from the CLI; these are the defaults. */
export interface Limits {
  /** largest JSON member (manifest, index, config) we parse */
  maxJsonBytes: number;
  /** largest decompressed layer we read before calling it a bomb */
  maxLayerBytes: number;
  /** decompressed/compressed ratio above which (past 1 GiB) a layer is called a bomb */
  maxRatio: number;
  /** most members we index in one archive */
  maxMembers: number;
  /** most entries we list in one layer (each costs memory) */
  maxLayerEntries: number;
  /** decompressed bytes allowed after a tar's last member (end blocks, record padding, eStargz footer) */
  maxTrailingBytes: number;
}

export const DEFAULT_LIMITS: Limits = {
  maxJsonBytes: 16 * 1024 * 1024,
  maxLayerBytes: 64 * 1024 ** 3,
  maxRatio: 1100, // deflate cannot exceed ~1032:1; zstd can, but real layers rarely do past 1 GiB
  maxMembers: 2_000_000,
  maxLayerEntries: 4_000_000,
  maxTrailingBytes: 16 * 1024 * 1024,
};

let current: Limits = { ...DEFAULT_LIMITS };
export function limits(): Limits {
  return current;
}
export function setLimits(l: Partial<Limits>): void {
  current = { ...current, ...l };
}
