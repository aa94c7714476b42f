/**
 * How many terminal columns a string takes, as the table renderer layerdig used before
 * (cli-table3 with string-width 4) counted them, so columns line up as they did: C0/C1
 * controls and combining diacritics take none, East Asian wide and fullwidth characters
 * two, an emoji two. Measured against its output: fixtures/table-layout. Where it differs,
 * it counts as terminals draw: an emoji newer than Unicode 12 (🧑‍💻, ❤️‍🔥) is two columns (it was
 * counted as its parts), an emoji followed by VS16 (☕️) two (the VS16 was one more), any two
 * flag letters one flag.
 */

/** East Asian Wide and Fullwidth ranges (Unicode EastAsianWidth.txt, as string-width 4 used them) */
const WIDE: [number, number][] = [
  [0x1100, 0x115f], [0x2329, 0x232a], [0x2e80, 0x303e], [0x3040, 0x3247], [0x3250, 0x4dbf], [0x4e00, 0xa4c6],
  [0xa960, 0xa97c], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6b], [0xff01, 0xff60],
  [0xffe0, 0xffe6], [0x1b000, 0x1b001], [0x1f200, 0x1f251], [0x20000, 0x3fffd],
];

const wide = (cp: number) => WIDE.some(([a, b]) => cp >= a && cp <= b);

/**
 * Emoji by single-code-point properties (cheap: Unicode's RGI_Emoji set of strings costs
 * ~40 ms to compile on Node 20). An emoji starts at a character drawn as emoji by default,
 * a modifier base, a flag letter, a pictograph followed by VS16, or a keycap; it goes on
 * through VS16, skin tones, the keycap mark, tag characters and ZWJ-joined pictographs.
 */
const PRESENTED = /[\p{Emoji_Presentation}\p{Emoji_Modifier_Base}\p{Regional_Indicator}]/u;
const PICTOGRAPH = /\p{Extended_Pictographic}/u;
const FLAG = /\p{Regional_Indicator}/u;
const VS16 = '\ufe0f';
const ZWJ = '\u200d';
const KEYCAP = '\u20e3';
const extends_ = (c: string | undefined) => c !== undefined && (c === VS16 || c === KEYCAP || /[\u{1f3fb}-\u{1f3ff}\u{e0020}-\u{e007f}]/u.test(c));

/** the length in code points of the emoji starting at cps[i], or 0 */
function emojiAt(cps: string[], i: number): number {
  const c = cps[i]!;
  const next = cps[i + 1];
  let j = i + 1;
  if (/[0-9#*]/.test(c)) {
    if (next === KEYCAP) return 2;
    return next === VS16 && cps[i + 2] === KEYCAP ? 3 : 0;
  }
  if (!PRESENTED.test(c) && !(PICTOGRAPH.test(c) && next === VS16)) return 0;
  if (FLAG.test(c) && next !== undefined && FLAG.test(next)) return 2;
  for (;;) {
    while (extends_(cps[j])) j++;
    if (cps[j] === ZWJ && cps[j + 1] !== undefined && PICTOGRAPH.test(cps[j + 1]!)) j += 2;
    else return j - i;
  }
}

export function displayWidth(s: string): number {
  // printable ASCII, nearly every cell: one column each
  if (/^[\x20-\x7e]*$/.test(s)) return s.length;
  const cps = [...s];
  let w = 0;
  for (let i = 0; i < cps.length; i++) {
    const e = emojiAt(cps, i);
    if (e) {
      w += 2;
      i += e - 1;
      continue;
    }
    const cp = cps[i]!.codePointAt(0)!;
    if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x300 && cp <= 0x36f)) continue;
    w += wide(cp) ? 2 : 1;
  }
  return w;
}
