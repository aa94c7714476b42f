import { spawnSync } from 'node:child_process';
import { cpSync, lstatSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tempDir } from './synth.js';

/**
 * Tampered copies of real archives, made with GNU tar and plain file edits
 * (never with layerdig): copy the archive into a temp dir as a directory tree,
 * let the test edit files, and pack it back the way it came (dir, tar, tar.gz).
 */
export type Kind = 'dir' | 'tar' | 'tar.gz';

export function kindOf(path: string): Kind {
  if (statSync(path).isDirectory()) return 'dir';
  return path.endsWith('.gz') ? 'tar.gz' : 'tar';
}

function sh(cmd: string, args: string[], input?: Buffer): Buffer {
  const r = spawnSync(cmd, args, { input, maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** Member names in archive order, as GNU tar lists them. */
export function tarList(tarPath: string): string[] {
  return sh('tar', ['-tf', tarPath]).toString('utf8').split('\n').filter(Boolean);
}

/**
 * Copy `archive`, expose it as a directory to `edit`, and return the path of
 * the tampered archive in the same form as the original.
 */
export function tampered(archive: string, edit: (root: string) => void): string {
  const kind = kindOf(archive);
  const work = tempDir('layerdig-tamper-');
  if (kind === 'dir') {
    const out = join(work, basename(archive));
    cpSync(archive, out, { recursive: true });
    edit(out);
    return out;
  }
  const plain = join(work, 'plain.tar');
  writeFileSync(plain, kind === 'tar.gz' ? gunzipSync(readFileSync(archive)) : readFileSync(archive));
  const order = tarList(plain);
  const root = join(work, 'tree');
  sh('mkdir', ['-p', root]);
  sh('tar', ['-xf', plain, '-C', root]);
  edit(root);
  const kept = order.filter((n) => {
    try {
      lstatSync(join(root, n));
      return true;
    } catch {
      return false;
    }
  });
  const out = join(work, basename(archive));
  sh('tar', ['--no-recursion', '-cf', kind === 'tar.gz' ? plain : out, '-C', root, ...kept]);
  if (kind === 'tar.gz') writeFileSync(out, gzipSync(readFileSync(plain)));
  return out;
}

/** XOR one byte of a file (default: the middle one). */
export function flipByte(file: string, at?: number, mask = 0x01): void {
  const b = readFileSync(file);
  const i = at ?? Math.floor(b.length / 2);
  b[i] = b[i]! ^ mask;
  writeFileSync(file, b);
}

/** Replace one character of a file's text at the first occurrence of `needle` + offset. */
export function changeCharIn(file: string, needle: string, offset = 0): void {
  const s = readFileSync(file, 'latin1');
  const i = s.indexOf(needle);
  if (i === -1) throw new Error(`${needle} not in ${file}`);
  const at = i + offset;
  const c = s[at]!;
  const repl = /[0-9a-f]/.test(c) ? (c === '0' ? '1' : '0') : c === 'x' ? 'y' : 'x';
  writeFileSync(file, s.slice(0, at) + repl + s.slice(at + 1), 'latin1');
}

export function swapFiles(a: string, b: string): void {
  const x = readFileSync(a);
  writeFileSync(a, readFileSync(b));
  writeFileSync(b, x);
}

/** Where a member's body starts in an uncompressed tar, and its size (Python's tarfile, not layerdig). */
export function tarMemberData(tarPath: string, member: string): { offset: number; size: number } {
  const py = 'import sys,tarfile,json\nfor m in tarfile.open(sys.argv[1]):\n  if m.name.lstrip("./")==sys.argv[2]: print(json.dumps([m.offset_data,m.size]))';
  const out = sh('python3', ['-c', py, tarPath, member]).toString().trim().split('\n').pop()!;
  const [offset, size] = JSON.parse(out) as [number, number];
  return { offset, size };
}
