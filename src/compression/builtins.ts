import { createRequire } from 'node:module';

/**
 * Node's zlib and child_process, loaded on the first inflate or spawn: a command
 * that reads only JSON members of a plain tar needs neither (start-up, issue 13;
 * the two cost ~5 ms of CPU to load on Node 20).
 */
const require = createRequire(import.meta.url);
export const zlib = (): typeof import('node:zlib') => require('node:zlib') as typeof import('node:zlib');
export const childProcess = (): typeof import('node:child_process') => require('node:child_process') as typeof import('node:child_process');
