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
  // real layers compress 2-20x (text logs ~10x); deflate tops out at ~1032:1, so a limit above that
  // would never stop a gzip bomb. Only past 1 GiB decompressed, so small odd layers are never refused.
  maxRatio: 200,
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
