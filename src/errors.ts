/**
 * Errors are values with a stable code and one sentence a user can act on.
 * The CLI maps codes to exit codes; nothing below the CLI prints or exits.
 */
export type ErrorCode =
  | 'E_USAGE'            // bad arguments
  | 'E_NOT_AN_ARCHIVE'   // input is not any image format we know
  | 'E_BAD_ARCHIVE'      // structurally broken: truncated tar, bad JSON, link loop
  | 'E_INTEGRITY'        // the archive contradicts itself: a referenced member is missing, diff_ids and layers differ in count
  | 'E_LIMIT'            // a safety limit stopped the read (JSON size, decompression bomb)
  | 'E_IO'               // the operating system refused (no such file, permission)
  | 'E_NOT_FOUND'        // image, layer or path not found in the input
  | 'E_AMBIGUOUS'        // a selector matched several things
  | 'E_UNSAFE_PATH'      // extraction refused a member that would escape the output directory
  | 'E_UNSUPPORTED'      // a feature this runtime lacks (e.g. zstd without a decoder)
  | 'E_CONFIG';          // a configuration file (.dive-ci) that cannot be read or has a bad value

/** Where an error is: the input and, when one is to blame, its member (verify reports them as the subject). */
export interface ErrorPlace {
  archive?: string;
  member?: string;
}

export class LayerdigError extends Error {
  readonly code: ErrorCode;
  /** candidates for E_AMBIGUOUS / E_NOT_FOUND selectors, shown to the user */
  readonly candidates: string[];
  /** the input the error is about, when known */
  readonly archive?: string;
  /** the member of that input to blame, when one is */
  readonly member?: string;
  constructor(code: ErrorCode, message: string, candidates: string[] = [], place: ErrorPlace = {}) {
    super(message);
    this.name = 'LayerdigError';
    this.code = code;
    this.candidates = candidates;
    if (place.archive !== undefined) this.archive = place.archive;
    if (place.member !== undefined) this.member = place.member;
  }
}

/** Exit codes are part of the CLI contract (documented in the README). */
export const EXIT = {
  ok: 0,
  /** the command ran and found what it is meant to flag: verify mismatch, failed CI gate, audit --fail-on */
  findings: 1,
  usage: 2,
  unreadable: 3,
  notFound: 4,
  /** some inputs or images could not be read (each named on stderr); results printed for the rest */
  partial: 5,
  internal: 70,
} as const;

export function exitCodeFor(err: unknown): number {
  if (!(err instanceof LayerdigError)) return EXIT.internal;
  switch (err.code) {
    case 'E_USAGE':
    case 'E_AMBIGUOUS':
      return EXIT.usage;
    case 'E_NOT_FOUND':
      return EXIT.notFound;
    default:
      return EXIT.unreadable;
  }
}

/** Name the place something went wrong: `app.tar!blobs/sha256/ab…`. */
export function where(archive: string, member?: string): string {
  return member ? `${archive}!${member}` : archive;
}

/** An error about `member` of `archive` (or the whole archive): the message names the place, the fields carry it. */
export function errorAt(code: ErrorCode, archive: string, member: string | undefined, what: string): LayerdigError {
  return new LayerdigError(code, `${where(archive, member)}: ${what}`, [], { archive, member });
}

export function badArchive(archive: string, member: string | undefined, what: string): LayerdigError {
  return errorAt('E_BAD_ARCHIVE', archive, member, what);
}
