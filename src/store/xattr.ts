import { spawnSync } from 'node:child_process';

/**
 * The directories below `root` that overlayfs marks opaque (xattr
 * `trusted.overlay.opaque` or, rootless, `user.overlay.opaque` = "y"), as
 * paths relative to `root`. Node has no xattr API, so one child process reads
 * the whole subtree: `getfattr` (package attr) where installed, else python3's
 * os.getxattr. Neither follows symlinks. null when neither tool is there.
 */
export function overlayOpaqueDirs(root: string, tools: readonly ('getfattr' | 'python3')[] = ['getfattr', 'python3']): Set<string> | null {
  for (const t of tools) {
    const found = t === 'getfattr' ? viaGetfattr(root) : viaPython(root);
    if (found) return found;
  }
  return null;
}

const NAMES = ['trusted.overlay.opaque', 'user.overlay.opaque'];

function viaGetfattr(root: string): Set<string> | null {
  const r = spawnSync('getfattr', ['-R', '-P', '--absolute-names', '-d', '-e', 'hex', '-m', '^(trusted|user)\\.overlay\\.opaque$', root],
    { maxBuffer: 256 << 20 });
  if (r.error || r.status === null) return null; // not installed
  const found = new Set<string>();
  let file: string | null = null;
  for (const line of r.stdout.toString('latin1').split('\n')) {
    if (line.startsWith('# file: ')) file = unescapeGetfattr(line.slice(8));
    else if (file !== null && /^(trusted|user)\.overlay\.opaque=0x79$/.test(line)) found.add(relative(root, file));
  }
  return found;
}

/** getfattr writes bytes outside printable ASCII, and the backslash, as `\ooo` octal. */
function unescapeGetfattr(s: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && /^[0-7]{3}$/.test(s.slice(i + 1, i + 4))) {
      bytes.push(parseInt(s.slice(i + 1, i + 4), 8));
      i += 3;
    } else bytes.push(s.charCodeAt(i) & 0xff);
  }
  return Buffer.from(bytes).toString('utf8');
}

const PY = `
import os, sys
root = os.fsencode(sys.argv[1])
names = sys.argv[2:]
for d, dirs, files in os.walk(root):
    for n in names:
        try:
            if os.getxattr(d, n, follow_symlinks=False) == b'y':
                sys.stdout.buffer.write(d + b'\\0')
                break
        except OSError:
            pass
`;

function viaPython(root: string): Set<string> | null {
  const r = spawnSync('python3', ['-c', PY, root, ...NAMES], { maxBuffer: 256 << 20 });
  if (r.error || r.status !== 0) return null;
  return new Set(r.stdout.toString('utf8').split('\0').filter(Boolean).map((p) => relative(root, p)));
}

function relative(root: string, abs: string): string {
  const base = root.replace(/\/+$/, '');
  return abs === base ? '' : abs.startsWith(`${base}/`) ? abs.slice(base.length + 1) : abs;
}
