/**
 * A supply-chain document that cannot be read as what it claims to be. The
 * message is one sentence about the document; callers prefix where it lives
 * and show it as a finding on the item — never a crash of the command.
 */
export class SupplyProblem extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SupplyProblem';
  }
}

export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Parse JSON bytes, calling a failure what it is (truncated documents are common). */
export function parseJsonBytes(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // V8 says "end of JSON input" or names a position at the very end: the document was cut short
    const at = /position (\d+)/.exec(msg);
    const cut = /end of (JSON )?input/i.test(msg) || (at !== null && Number(at[1]) >= bytes.toString('utf8').length);
    throw new SupplyProblem(`${what} is not valid JSON (${bytes.length} bytes; ${cut ? 'truncated' : msg})`);
  }
}
