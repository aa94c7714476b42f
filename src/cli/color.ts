/**
 * Colour only on a terminal, never with NO_COLOR (no-color.org: set and not
 * empty) or TERM=dumb. No dependency: five SGR codes are all we use.
 */
const CODES = { red: 31, green: 32, yellow: 33, cyan: 36, dim: 2, bold: 1 } as const;
export type Colour = keyof typeof CODES;

export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.TERM === 'dumb') return false;
  return stream.isTTY === true;
}

export function paint(stream: { isTTY?: boolean }, colour: Colour, s: string, env: NodeJS.ProcessEnv = process.env): string {
  return colourEnabled(stream, env) ? `\x1b[${CODES[colour]}m${s}\x1b[0m` : s;
}
