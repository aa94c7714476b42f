/**
 * Go's ordering primitives, for results that must match a Go program bit for
 * bit (dive): `sort.Strings` compares UTF-8 bytes, and `sort.Sort` is an
 * unstable pattern-defeating quicksort (Go ≥ 1.19), so equal elements end up
 * in an order only the same algorithm reproduces. Pure.
 */

/** Go's `a < b` on strings: UTF-8 byte order, which is code point order (not UTF-16 unit order). */
export function goStringLess(a: string, b: string): boolean {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    // a surrogate (code point ≥ U+10000) sorts after every BMP code point
    if (xs !== ys) return xs ? false : true;
    return x < y;
  }
  return a.length < b.length;
}

export function goStringCompare(a: string, b: string): number {
  return a === b ? 0 : goStringLess(a, b) ? -1 : 1;
}

/** bits.Len(uint(n)) */
function bitLen(n: number): number {
  let l = 0;
  while (n > 0) {
    l++;
    n = Math.floor(n / 2);
  }
  return l;
}

const MASK64 = (1n << 64n) - 1n;

/**
 * `sort.Sort` of Go ≥ 1.19 (pdqsort without BlockQuicksort), re-implemented
 * from the published algorithm so ties land where Go puts them. `less` is the
 * element order; the array is sorted in place.
 */
export function goSort<T>(data: T[], less: (a: T, b: T) => boolean, xorshift: readonly [number, number, number] = GO_XORSHIFT): void {
  const n = data.length;
  const XORSHIFT = xorshift.map(BigInt) as [bigint, bigint, bigint];
  if (n <= 1) return;
  const lt = (i: number, j: number) => less(data[i]!, data[j]!);
  const swap = (i: number, j: number) => {
    const t = data[i]!;
    data[i] = data[j]!;
    data[j] = t;
  };

  const insertionSort = (a: number, b: number) => {
    for (let i = a + 1; i < b; i++) {
      for (let j = i; j > a && lt(j, j - 1); j--) swap(j, j - 1);
    }
  };

  const siftDown = (lo: number, hi: number, first: number) => {
    let root = lo;
    for (;;) {
      let child = 2 * root + 1;
      if (child >= hi) return;
      if (child + 1 < hi && lt(first + child, first + child + 1)) child++;
      if (!lt(first + root, first + child)) return;
      swap(first + root, first + child);
      root = child;
    }
  };

  const heapSort = (a: number, b: number) => {
    const first = a;
    const hi = b - a;
    for (let i = Math.floor((hi - 1) / 2); i >= 0; i--) siftDown(i, hi, first);
    for (let i = hi - 1; i >= 0; i--) {
      swap(first, first + i);
      siftDown(0, i, first);
    }
  };

  // Go's xorshift seeded with the length; the shift triple of current Go releases
  const breakPatterns = (a: number, b: number) => {
    const length = b - a;
    if (length < 8) return;
    let r = BigInt(length);
    const modulus = BigInt(2 ** bitLen(length));
    for (let idx = a + Math.floor(length / 4) * 2 - 1; idx <= a + Math.floor(length / 4) * 2 + 1; idx++) {
      r ^= (r << XORSHIFT[0]) & MASK64;
      r ^= r >> XORSHIFT[1];
      r ^= (r << XORSHIFT[2]) & MASK64;
      let other = Number(r & (modulus - 1n));
      if (other >= length) other -= length;
      swap(idx, a + other);
    }
  };

  const INCREASING = 1;
  const DECREASING = 2;
  const UNKNOWN = 0;

  const choosePivot = (a: number, b: number): [number, number] => {
    const l = b - a;
    const swaps = { n: 0 };
    let i = a + Math.floor(l / 4) * 1;
    let j = a + Math.floor(l / 4) * 2;
    let k = a + Math.floor(l / 4) * 3;
    const order2 = (x: number, y: number): [number, number] => {
      if (lt(y, x)) {
        swaps.n++;
        return [y, x];
      }
      return [x, y];
    };
    const median = (x: number, y: number, z: number): number => {
      [x, y] = order2(x, y);
      [y, z] = order2(y, z);
      [x, y] = order2(x, y);
      return y;
    };
    if (l >= 8) {
      if (l >= 50) {
        i = median(i - 1, i, i + 1);
        j = median(j - 1, j, j + 1);
        k = median(k - 1, k, k + 1);
      }
      j = median(i, j, k);
    }
    if (swaps.n === 0) return [j, INCREASING];
    if (swaps.n === 12) return [j, DECREASING];
    return [j, UNKNOWN];
  };

  const reverseRange = (a: number, b: number) => {
    for (let i = a, j = b - 1; i < j; i++, j--) swap(i, j);
  };

  const partialInsertionSort = (a: number, b: number): boolean => {
    let i = a + 1;
    for (let step = 0; step < 5; step++) {
      while (i < b && !lt(i, i - 1)) i++;
      if (i === b) return true;
      if (b - a < 50) return false;
      swap(i, i - 1);
      if (i - a >= 2) {
        for (let j = i - 1; j >= 1; j--) {
          if (!lt(j, j - 1)) break;
          swap(j, j - 1);
        }
      }
      if (b - i >= 2) {
        for (let j = i + 1; j < b; j++) {
          if (!lt(j, j - 1)) break;
          swap(j, j - 1);
        }
      }
    }
    return false;
  };

  const partitionEqual = (a: number, b: number, pivot: number): number => {
    swap(a, pivot);
    let i = a + 1;
    let j = b - 1;
    for (;;) {
      while (i <= j && !lt(a, i)) i++;
      while (i <= j && lt(a, j)) j--;
      if (i > j) break;
      swap(i, j);
      i++;
      j--;
    }
    return i;
  };

  const partition = (a: number, b: number, pivot: number): [number, boolean] => {
    swap(a, pivot);
    let i = a + 1;
    let j = b - 1;
    while (i <= j && lt(i, a)) i++;
    while (i <= j && !lt(j, a)) j--;
    if (i > j) {
      swap(j, a);
      return [j, true];
    }
    swap(i, j);
    i++;
    j--;
    for (;;) {
      while (i <= j && lt(i, a)) i++;
      while (i <= j && !lt(j, a)) j--;
      if (i > j) break;
      swap(i, j);
      i++;
      j--;
    }
    swap(j, a);
    return [j, false];
  };

  const pdqsort = (a: number, b: number, limit: number): void => {
    let wasBalanced = true;
    let wasPartitioned = true;
    for (;;) {
      const length = b - a;
      if (length <= 12) {
        insertionSort(a, b);
        return;
      }
      if (limit === 0) {
        heapSort(a, b);
        return;
      }
      if (!wasBalanced) {
        breakPatterns(a, b);
        limit--;
      }
      let [pivot, hint] = choosePivot(a, b);
      if (hint === DECREASING) {
        reverseRange(a, b);
        pivot = b - 1 - (pivot - a);
        hint = INCREASING;
      }
      if (wasBalanced && wasPartitioned && hint === INCREASING) {
        if (partialInsertionSort(a, b)) return;
      }
      if (a > 0 && !lt(a - 1, pivot)) {
        a = partitionEqual(a, b, pivot);
        continue;
      }
      const [mid, already] = partition(a, b, pivot);
      wasPartitioned = already;
      const leftLen = mid - a;
      const rightLen = b - mid;
      const balanceThreshold = Math.floor(length / 8);
      if (leftLen < rightLen) {
        wasBalanced = leftLen >= balanceThreshold;
        pdqsort(a, mid, limit);
        a = mid + 1;
      } else {
        wasBalanced = rightLen >= balanceThreshold;
        pdqsort(mid + 1, b, limit);
        b = mid;
      }
    }
  };

  pdqsort(0, n, bitLen(n));
}

/**
 * Shifts of the xorshift that scatters elements after an unbalanced partition.
 * Go 1.19–1.21 used (13, 17, 5); later releases, which current dive builds use, (13, 7, 17).
 */
export const GO_XORSHIFT: readonly [number, number, number] = [13, 7, 17];
