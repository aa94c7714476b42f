/**
 * How many terminal columns a string takes, as the table renderer layerdig used before
 * (cli-table3 with string-width 4) counted them, so columns line up as they did: C0/C1
 * controls and combining diacritics take none, East Asian wide and fullwidth characters
 * two, an emoji two. Measured against its output: fixtures/table-layout. One difference:
 * emoji newer than Unicode 12 count two columns (as terminals draw them), not one.
 */

/** East Asian Wide and Fullwidth ranges (Unicode EastAsianWidth.txt, as string-width 4 used them) */
const WIDE: [number, number][] = [
  [0x1100, 0x115f], [0x2329, 0x232a], [0x2e80, 0x303e], [0x3040, 0x3247], [0x3250, 0x4dbf], [0x4e00, 0xa4c6],
  [0xa960, 0xa97c], [0xac00, 0xd7a3], [0xf900, 0xfaff], [0xfe10, 0xfe19], [0xfe30, 0xfe6b], [0xff01, 0xff60],
  [0xffe0, 0xffe6], [0x1b000, 0x1b001], [0x1f200, 0x1f251], [0x20000, 0x3fffd],
];

const wide = (cp: number) => WIDE.some(([a, b]) => cp >= a && cp <= b);

/** an emoji, with its modifiers, joiners and variation selectors, or a lone flag letter */
let emoji: RegExp | null = null;

export function displayWidth(s: string): number {
  // printable ASCII, nearly every cell: one column each
  if (/^[\x20-\x7e]*$/.test(s)) return s.length;
  emoji ??= new RegExp('\\p{RGI_Emoji}|\\p{Emoji_Modifier_Base}|\\p{Regional_Indicator}', 'gv');
  let w = 0;
  for (const ch of s.replace(emoji, '  ')) {
    const cp = ch.codePointAt(0)!;
    if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f) || (cp >= 0x300 && cp <= 0x36f)) continue;
    w += wide(cp) ? 2 : 1;
  }
  return w;
}
