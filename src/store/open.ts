import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { badArchive, LayerdigError } from '../errors.js';
import { sniffCompression } from '../compression/index.js';
import { checksumOk, isZeroBlock, BLOCK } from './tar-header.js';
import { TarFileStore } from './tar-file.js';
import { CompressedTarStore } from './compressed-tar.js';
import { DirStore } from './dir.js';
import type { Store, StoreOptions } from './store.js';

function readHead(path: string, n: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(n);
    const got = readSync(fd, buf, 0, n, 0);
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}

/** Open any input path as a Store, deciding by content, never by file name. */
export async function openStore(path: string, opts: StoreOptions = {}): Promise<Store> {
  let st;
  try {
    st = statSync(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new LayerdigError(code === 'ENOENT' ? 'E_IO' : 'E_IO', `${path}: ${code === 'ENOENT' ? 'no such file or directory' : (e as Error).message}`);
  }
  if (st.isDirectory()) return new DirStore(path);
  if (!st.isFile()) throw new LayerdigError('E_NOT_AN_ARCHIVE', `${path}: not a file or directory`);
  if (st.size === 0) throw new LayerdigError('E_NOT_AN_ARCHIVE', `${path}: empty (0 bytes): not a tar archive, a compressed tar or an image directory`);
  const head = readHead(path, BLOCK);
  const c = sniffCompression(head);
  if (c !== 'none') return CompressedTarStore.load(path, c, undefined, opts);
  if (head.length === BLOCK && checksumOk(head)) return new TarFileStore(path);
  if (head.length === BLOCK && isZeroBlock(head)) throw badArchive(path, undefined, 'is an empty tar archive (it starts with the end-of-archive marker)');
  // shorter than one header, with the ustar magic where a header has it: a tar cut inside its first header
  if (head.length < BLOCK && head.toString('latin1', 257, 262) === 'ustar') {
    throw badArchive(path, undefined, `truncated at byte ${head.length}: the archive ends inside its first tar header`);
  }
  throw new LayerdigError('E_NOT_AN_ARCHIVE', `${path}: not a tar archive, a compressed tar or an image directory`);
}
