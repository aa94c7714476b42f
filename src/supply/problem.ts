import { jsonDepth, MAX_JSON_DEPTH } from '../store/store.js';

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
  const text = bytes.toString('utf8');
  // walking or printing a value nested this deep would overflow the stack
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new SupplyProblem(`${what} is JSON nested more than ${MAX_JSON_DEPTH} levels deep: refused`);
  try {
    return JSON.parse(text);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // V8 says "end of JSON input" or names a position at the very end: the document was cut short
    const at = /position (\d+)/.exec(msg);
    const cut = /end of (JSON )?input/i.test(msg) || (at !== null && Number(at[1]) >= text.length);
    throw new SupplyProblem(`${what} is not valid JSON (${bytes.length} bytes; ${cut ? 'truncated' : msg})`);
  }
}
