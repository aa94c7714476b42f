import { EXIT, type LayerdigError } from '../errors.js';

/**
 * How a command ends beyond its printed result, decided in one place:
 * findings (a diffID mismatch, a failed gate…) are exit 1, inputs or images
 * left out as unreadable are exit 5 ("partial"), and 1 outranks 5 outranks 0.
 * Exits 2, 3 and 4 are whole-command outcomes, except that "not found" among
 * partial inputs is only partial: the answer may be in what could not be read.
 */

/** An input or an image of it that could not be read; the command went on without it. */
export interface Problem {
  /** the archive or directory as the user named (or a search found) it */
  input: string;
  error: LayerdigError;
}

let problems: Problem[] = [];
let findings = false;

/** Start of a command line (the CLI runs several in one process in tests). */
export function resetOutcome(): void {
  problems = [];
  findings = false;
}

export function recordProblem(p: Problem): void {
  problems.push(p);
}

export function recordFindings(): void {
  findings = true;
}

export function problemCount(): number {
  return problems.length;
}

/** The exit code, given the one the command set itself (undefined: none). */
export function finalExitCode(set: number | undefined): number {
  const own = set ?? EXIT.ok;
  if (own === EXIT.findings || findings) return EXIT.findings;
  if (problems.length && (own === EXIT.ok || own === EXIT.notFound)) return EXIT.partial;
  return own;
}
