import type TarStream from 'tar-stream';
import { createRequire } from 'node:module';
import { installPaxDecoder } from './pax.js';

let mod: typeof TarStream | undefined;

/**
 * A tar-stream extractor. tar-stream (and the streams library under it) loads on
 * the first tar read, not at start: a command that reads only JSON members of a
 * plain tar or a directory never loads it (start-up, issue 13). Loaded through
 * require, the same module instance pax.ts patches, and patched before first use.
 */
export function tarExtract(): TarStream.Extract {
  if (!mod) {
    // xattr values (security.capability) must reach toEntry byte-exact: see pax.ts
    installPaxDecoder();
    mod = createRequire(import.meta.url)('tar-stream') as typeof TarStream;
  }
  return mod.extract();
}
