import { describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './helpers/cli.js';
import { audit, failsAt, resolveLexically, RULES, runsAsRoot, SEVERITIES, type Finding } from '../src/analysis/audit.js';
import { capabilityText, decodeCapabilities } from '../src/analysis/capabilities.js';
import { envSecret, isSensitivePath, maskValue, secretEnvName, secretKind } from '../src/analysis/secrets.js';
import { classifyWhiteout, type LayerEntry } from '../src/layer/entry.js';
import { readLayer } from '../src/layer/pass.js';
import { decodePaxRecords } from '../src/store/pax.js';
import { findingRows, pathUri } from '../src/report/audit.js';

const e = (path: string, extra: Partial<LayerEntry> = {}): LayerEntry =>
  classifyWhiteout({ path, type: 'file', size: 10, mode: 0o644, uid: 0, gid: 0, mtime: 0, linkTarget: null, ...extra });
const dir = (path: string, mode = 0o755) => e(path, { type: 'dir', size: 0, mode });
const wh = (path: string) => e(path, { size: 0 });
const sym = (path: string, target: string) => e(path, { type: 'symlink', size: 0, mode: 0o777, linkTarget: target });
const hard = (path: string, target: string) => e(path, { type: 'hardlink', size: 0, linkTarget: target });

/** vfs_cap_data built by hand from linux/capability.h: magic, then (permitted, inheritable) words */
function capBytes(magic: number, words: number[], rootid?: number): string {
  const b = Buffer.alloc(4 + words.length * 4 + (rootid === undefined ? 0 : 4));
  b.writeUInt32LE(magic >>> 0, 0);
  words.forEach((w, i) => b.writeUInt32LE(w >>> 0, 4 + i * 4));
  if (rootid !== undefined) b.writeUInt32LE(rootid, 4 + words.length * 4);
  return b.toString('base64');
}
const V2_EFFECTIVE = 0x02000001;

const only = (fs: Finding[], rule: string) => fs.filter((f) => f.rule === rule);
const brief = (fs: Finding[]) => fs.map((f) => `${f.rule} ${f.path ?? '-'} @${f.layerIndex ?? '-'}`);
const run = (layers: LayerEntry[][], config: Record<string, unknown> | null = { User: 'app' }) => audit({ config, layers });

describe('capabilities: vfs_cap_data', () => {
  it('v2: cap_net_raw (bit 13) effective+permitted, as setcap cap_net_raw+ep writes it', () => {
    const d = decodeCapabilities(Buffer.from(capBytes(V2_EFFECTIVE, [1 << 13, 0, 0, 0]), 'base64'));
    expect(d).toEqual({ ok: true, caps: { version: 2, effective: true, permitted: ['cap_net_raw'], inheritable: [] } });
    if (d.ok) expect(capabilityText(d.caps)).toBe('cap_net_raw+ep');
  });

  it('bits above 31 live in the second word; bytes >= 0x80 (cap_setuid = bit 7) decode', () => {
    const d = decodeCapabilities(Buffer.from(capBytes(0x02000000, [(1 << 7) | (1 << 31), 1 << 10, (1 << (39 - 32)) | (1 << (40 - 32)), 0]), 'base64'));
    expect(d.ok && d.caps).toEqual({ version: 2, effective: false, permitted: ['cap_setuid', 'cap_setfcap', 'cap_bpf', 'cap_checkpoint_restore'], inheritable: ['cap_net_bind_service'] });
  });

  it('v3 carries a rootid; v1 has one word; unknown bits get a number', () => {
    const v3 = decodeCapabilities(Buffer.from(capBytes(0x03000001, [1 << 21, 0, 1 << 20, 0], 1000), 'base64'));
    expect(v3.ok && v3.caps).toEqual({ version: 3, effective: true, permitted: ['cap_sys_admin', 'cap_52'], inheritable: [], rootid: 1000 });
    const v1 = decodeCapabilities(Buffer.from(capBytes(0x01000000, [1, 2]), 'base64'));
    expect(v1.ok && v1.caps).toEqual({ version: 1, effective: false, permitted: ['cap_chown'], inheritable: ['cap_dac_override'] });
  });

  it('malformed values are reported, not thrown', () => {
    expect(decodeCapabilities(Buffer.alloc(3)).ok).toBe(false);
    expect(decodeCapabilities(Buffer.from(capBytes(0x05000000, [0, 0, 0, 0]), 'base64'))).toEqual({ ok: false, error: 'unknown vfs_cap_data revision 0x5' });
    expect(decodeCapabilities(Buffer.from(capBytes(V2_EFFECTIVE, [1, 0]), 'base64'))).toEqual({ ok: false, error: '12 bytes, vfs_cap_data v2 has 20' });
  });

  it('text groups capabilities by flags like getcap', () => {
    expect(capabilityText({ version: 2, effective: false, permitted: ['cap_chown', 'cap_kill'], inheritable: ['cap_kill'] })).toBe('cap_chown+p cap_kill+ip');
    expect(capabilityText({ version: 2, effective: false, permitted: [], inheritable: [] })).toBe('=');
  });
});

describe('secret-looking names', () => {
  it.each([
    'root/.ssh/id_rsa', 'home/u/.ssh/id_ed25519', 'etc/ssh/ssh_host_ed25519_key', 'app/server.key', 'app/tls/privkey.pem',
    'app/.env', 'app/.env.production', 'root/.npmrc', 'root/.git-credentials', 'root/.netrc', 'root/.aws/credentials',
    'root/.docker/config.json', 'root/.kube/config', 'root/.pypirc', 'root/.config/gcloud/application_default_credentials.json',
    'srv/keystore.jks', 'srv/client.p12', 'infra/terraform.tfstate', 'root/.gnupg/private-keys-v1.d/ABC.key',
  ])('%s looks secret', (p) => expect(secretKind(p)).not.toBeNull());

  it.each([
    'root/.ssh/id_rsa.pub', 'etc/ssl/certs/ca-certificates.crt', 'etc/ssl/certs/ACCV_Raiz1.pem', 'usr/lib/python3/dist-packages/certifi/cacert.pem',
    'app/fullchain.pem', 'app/cert.pem', 'app/.env.example', 'app/.envrc.sample', 'etc/passwd', 'etc/shadow', 'usr/share/keyrings/debian.key',
    'app/docker/config.json', 'app/environment', 'app/key.txt',
  ])('%s does not', (p) => expect(secretKind(p)).toBeNull());

  it('sensitive hard-link targets', () => {
    for (const p of ['etc/shadow', 'etc/passwd', 'etc/gshadow', 'etc/sudoers', 'root/.ssh/authorized_keys', 'app/id_rsa']) expect(isSensitivePath(p)).toBe(true);
    for (const p of ['etc/hosts', 'usr/bin/busybox', 'etc/passwd.d']) expect(isSensitivePath(p)).toBe(false);
  });
});

describe('secret Env', () => {
  it.each([
    'PASSWORD', 'POSTGRES_PASSWORD', 'PGPASSWORD', 'MYSQL_ROOT_PASSWORD', 'DB_PASS', 'DB_PWD', 'JWT_SECRET', 'AWS_SECRET_ACCESS_KEY',
    'GITHUB_TOKEN', 'NPM_TOKEN', 'NODE_AUTH_TOKEN', 'API_KEY', 'STRIPE_API_KEY', 'OPENAI_APIKEY', 'PRIVATE_KEY', 'SSH_PRIVATE_KEY',
    'SECRET_KEY_BASE', 'apiKey', 'GOOGLE_CREDENTIALS', 'ENCRYPTION_KEY',
  ])('%s is a secret name', (n) => expect(secretEnvName(n)).toBe(true));

  it.each([
    'PATH', 'PWD', 'OLDPWD', 'GPG_KEY', 'AWS_ACCESS_KEY_ID', 'POSTGRES_PASSWORD_FILE', 'TOKENIZERS_PARALLELISM', 'PASSENGER_APP_ENV',
    'SECRET_PATH', 'TOKEN_URL', 'NODE_VERSION', 'KEYCLOAK_USER', 'PUBLIC_KEY',
  ])('%s is not', (n) => expect(secretEnvName(n)).toBe(false));

  it('a URL with a password is a secret whatever the name; empty values are not', () => {
    const s = envSecret('DATABASE_URL=postgres://app:hunter2hunter2@db:5432/x')!;
    expect(s.why).toBe('url-password');
    expect(s.masked).not.toContain('hunter2');
    expect(s.masked).toContain('postgres://app:');
    expect(envSecret('API_TOKEN=')).toBeNull();
    expect(envSecret('HOME=/root')).toBeNull();
  });

  it('masks: never the full value, at most 4 chars and at most a quarter of it', () => {
    for (const v of ['a', 'short', '123456789', 'abcdefghij', 'ghp_0123456789abcdefghijklmnopqrstuv', 'pässwörd-ünïcödé-😀😀😀😀']) {
      const m = maskValue(v);
      const shown = m.slice(0, m.indexOf('*'));
      expect(v.startsWith(shown)).toBe(true);
      expect([...shown].length).toBeLessThanOrEqual(Math.min(4, Math.floor([...v].length / 4)));
      expect(m).not.toContain(v.length > 1 ? v : '\0');
      expect(m).toContain(`(${[...v].length} chars)`);
    }
    const s = envSecret('AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY')!;
    expect(s.masked).toBe('wJal******** (40 chars)');
  });
});

describe('audit: the final filesystem', () => {
  it('setuid (root-owned is high), setgid files; setgid directories are not findings', () => {
    const fs = run([[dir('usr/bin'), e('usr/bin/su', { mode: 0o4755 }), e('usr/bin/mine', { mode: 0o4750, uid: 1000 }),
      e('usr/bin/wall', { mode: 0o2755, gid: 5 }), dir('var/mail', 0o2775), e('usr/bin/both', { mode: 0o6755 })]]);
    expect(brief(fs.filter((f) => f.rule.startsWith('set')))).toEqual([
      'setuid-root usr/bin/both @0', 'setuid-root usr/bin/su @0', 'setuid usr/bin/mine @0', 'setgid usr/bin/both @0', 'setgid usr/bin/wall @0',
    ]);
    expect(only(fs, 'setuid-root')[0]!.severity).toBe('high');
    expect(only(fs, 'setuid')[0]).toMatchObject({ severity: 'medium', detail: 'mode 4750, owner 1000:0' });
  });

  it('the layer that last wrote a path is the one that introduced its mode', () => {
    const fs = run([[e('bin/tool')], [e('bin/tool', { mode: 0o4755 })], [e('other')]]);
    expect(brief(only(fs, 'setuid-root'))).toEqual(['setuid-root bin/tool @1']);
    // and a later layer that drops the bit clears the finding
    expect(only(run([[e('bin/tool', { mode: 0o4755 })], [e('bin/tool', { mode: 0o755 })]]), 'setuid-root')).toEqual([]);
  });

  it('capabilities: names decoded; root-equivalent ones are high', () => {
    const fs = run([[e('bin/ping', { xattrs: { 'security.capability': capBytes(V2_EFFECTIVE, [1 << 13, 0, 0, 0]) } }),
      e('bin/newuidmap', { xattrs: { 'security.capability': capBytes(V2_EFFECTIVE, [1 << 7, 0, 0, 0]) } }),
      e('bin/odd', { xattrs: { 'security.capability': Buffer.from('junk').toString('base64') } }),
      e('bin/plain', { xattrs: { 'user.comment': Buffer.from('x').toString('base64') } })]]);
    expect(only(fs, 'file-capability-privileged')).toEqual([{ rule: 'file-capability-privileged', severity: 'high', path: 'bin/newuidmap', layerIndex: 0, detail: 'cap_setuid+ep (vfs_cap_data v2)' }]);
    expect(only(fs, 'file-capability').map((f) => [f.path, f.detail])).toEqual([
      ['bin/odd', 'unreadable security.capability: unknown vfs_cap_data revision 0x6b'],
      ['bin/ping', 'cap_net_raw+ep (vfs_cap_data v2)'],
    ]);
  });

  it('world-writable files, world-writable directories without the sticky bit, device nodes', () => {
    const fs = run([[e('a/ww', { mode: 0o666 }), e('a/gw', { mode: 0o664 }), dir('tmp', 0o1777), dir('a/open', 0o777), dir('a/shut', 0o775),
      e('dev/null', { type: 'char', size: 0, mode: 0o666 }), e('dev/sda', { type: 'block', size: 0, mode: 0o660 }),
      e('run/fifo', { type: 'fifo', size: 0, mode: 0o666 }), sym('a/link', 'ww')]]);
    expect(brief(fs)).toEqual([
      'world-writable-file a/ww @0', 'world-writable-dir a/open @0', 'device-node dev/null @0', 'device-node dev/sda @0',
    ]);
    expect(only(fs, 'device-node').map((f) => f.detail)).toEqual(['character device, mode 0666, owner 0:0', 'block device, mode 0660, owner 0:0']);
  });

  it('the OCI runtime spec\'s default devices with their own numbers are not findings; anything else under dev/ is', () => {
    const dev = (path: string, major: number, minor: number, type: 'char' | 'block' = 'char') =>
      e(path, { type, size: 0, mode: 0o666, device: { major, minor } });
    const fs = run([[dev('dev/null', 1, 3), dev('dev/zero', 1, 5), dev('dev/full', 1, 7), dev('dev/random', 1, 8),
      dev('dev/urandom', 1, 9), dev('dev/tty', 5, 0), dev('dev/console', 5, 1), dev('dev/ptmx', 5, 2),
      dev('dev/mem', 1, 1), dev('dev/sda', 8, 0, 'block'), dev('srv/null', 1, 3), dev('dev/tty0', 4, 0)]]);
    expect(only(fs, 'device-node').map((f) => f.path)).toEqual(['dev/mem', 'dev/sda', 'dev/tty0', 'srv/null']);
    // a node named like a default device but with other numbers is still reported
    expect(only(run([[dev('dev/null', 8, 0, 'block'), dev('dev/zero', 1, 3)]]), 'device-node').map((f) => f.path)).toEqual(['dev/null', 'dev/zero']);
  });

  it('secret-looking files present at the end; empty ones and deleted ones are not "present"', () => {
    const fs = run([[e('root/.ssh/id_rsa', { size: 1679, mode: 0o600 }), e('app/.env', { size: 0 }), e('app/.npmrc', { size: 40 })],
      [wh('app/.wh..npmrc')]]);
    expect(brief(only(fs, 'secret-file'))).toEqual(['secret-file root/.ssh/id_rsa @0']);
    expect(only(fs, 'secret-file')[0]!.detail).toBe('1679 bytes, named like a private key (id_<type>)');
  });

  it('symlinks: absolute; relative climbing above the root (.. against the link\'s directory); relative inside', () => {
    const fs = run([[sym('etc/localtime', '/usr/share/zoneinfo/UTC'), sym('a/b/up', '../../../etc/passwd'), sym('a/b/ok', '../../etc/passwd'),
      sym('a/b/rel', '../fixture/keep.txt'), sym('top', '..'), sym('dot', './x/../y')]]);
    expect(brief(fs.filter((f) => f.rule.startsWith('symlink')))).toEqual([
      'symlink-escapes-root a/b/up @0', 'symlink-escapes-root top @0', 'symlink-absolute etc/localtime @0',
    ]);
    expect(resolveLexically('opt/fixture', '../fixture/keep.txt')).toBe('opt/fixture/keep.txt');
    expect(resolveLexically('', '..')).toBeNull();
  });

  it('hard links to sensitive paths or out of the root', () => {
    const fs = run([[e('etc/shadow', { mode: 0o640 }), hard('tmp/s', 'etc/shadow'), e('bin/busybox', { size: 900 }), hard('bin/sh', 'bin/busybox'),
      hard('x/out', '../../etc/passwd'), e('k/server.key', { size: 5 }), hard('k/copy', 'k/server.key')]]);
    expect(brief(fs.filter((f) => f.rule.startsWith('hardlink')))).toEqual([
      'hardlink-sensitive k/copy @0', 'hardlink-sensitive tmp/s @0', 'hardlink-escapes-root x/out @0',
    ]);
    // the link is reported as a link; the secret once, under its own name
    expect(only(fs, 'secret-file').map((f) => [f.path, f.detail])).toEqual([['k/server.key', '5 bytes, named like a private key (*.key)']]);
  });
});

describe('audit: files hidden by later layers, still in lower blobs', () => {
  it('deleted by a whiteout, an ancestor whiteout, an opaque directory, a type change; with size and both layers', () => {
    const fs = run([
      [dir('d'), e('d/a', { size: 3 }), dir('d/sub'), e('d/sub/b', { size: 4 }), dir('o'), e('o/x', { size: 5 }), dir('t'), e('t/c', { size: 6 }), e('gone', { size: 7 })],
      [wh('.wh.gone'), wh('d/.wh.sub'), wh('o/.wh..wh..opq'), e('t', { size: 1 })],
      [wh('d/.wh.a')],
    ]);
    expect(only(fs, 'recoverable-deleted').map((f) => `${f.path} @${f.layerIndex}: ${f.detail}`)).toEqual([
      'd/a @0: 3 bytes in layer 0, deleted by layer 2 (whiteout)',
      'd/sub/b @0: 4 bytes in layer 0, deleted by layer 1 (whiteout of d/sub)',
      'gone @0: 7 bytes in layer 0, deleted by layer 1 (whiteout)',
      'o/x @0: 5 bytes in layer 0, deleted by layer 1 (opaque directory o)',
      't/c @0: 6 bytes in layer 0, deleted by layer 1 (t became a file)',
    ]);
    expect(only(fs, 'recoverable-deleted').every((f) => f.severity === 'low')).toBe(true);
  });

  it('overwritten files and a path stated twice in one layer are info; a file replaced by a directory too', () => {
    const fs = run([[e('conf', { size: 10 }), e('twice', { size: 1 }), e('twice', { size: 2 }), e('f', { size: 4 })], [e('conf', { size: 20 }), dir('f'), e('f/in')]]);
    expect(only(fs, 'recoverable-overwritten').map((f) => `${f.path} @${f.layerIndex}: ${f.detail}`)).toEqual([
      'conf @0: 10 bytes in layer 0, overwritten by layer 1',
      'f @0: 4 bytes in layer 0, replaced by a directory in layer 1',
      'twice @0: 1 byte in layer 0, stated again later in layer 0: this copy is never visible',
    ]);
    expect(only(fs, 'recoverable-overwritten').every((f) => f.severity === 'info')).toBe(true);
  });

  it('a secret-looking name hidden later is critical, deleted or overwritten; an empty one is not', () => {
    const fs = run([
      [e('app/.env', { size: 30 }), e('root/.npmrc', { size: 50 }), e('root/.aws/credentials', { size: 0 }), e('k/blob', { size: 9 }), hard('k/id_ed25519', 'k/blob')],
      [wh('app/.wh..env'), e('root/.npmrc', { size: 0 }), wh('root/.aws/.wh.credentials'), wh('k/.wh.id_ed25519')],
    ]);
    const crit = fs.filter((f) => f.severity === 'critical');
    expect(brief(crit)).toEqual(['recoverable-secret app/.env @0', 'recoverable-secret k/id_ed25519 @0', 'recoverable-secret root/.npmrc @0']);
    expect(crit.map((f) => f.detail)).toEqual([
      '30 bytes in layer 0, deleted by layer 1 (whiteout); named like a dotenv file (.env)',
      'hard link to k/blob (9 bytes) in layer 0, deleted by layer 1 (whiteout); named like a private key (id_<type>)',
      '50 bytes in layer 0, overwritten by layer 1; named like a credentials file (.npmrc)',
    ]);
    expect(brief(only(fs, 'recoverable-deleted'))).toEqual(['recoverable-deleted root/.aws/credentials @0']);
  });

  it('directories are not recoverable findings; whiteouts hide lower layers only', () => {
    const fs = run([[dir('d'), dir('d/e')], [wh('.wh.d'), e('x'), wh('.wh.x')]]);
    expect(fs.filter((f) => f.rule.startsWith('recoverable'))).toEqual([]);
  });
});

describe('audit: config', () => {
  it.each([['', true], ['root', true], ['0', true], ['0:0', true], ['root:root', true], ['00', true], [' 0 ', true],
    ['1000', false], ['1000:1000', false], ['app', false], ['nobody:0', false], ['rooter', false]])('User %j runs as root: %s', (u, yes) => {
    expect(runsAsRoot(u)).toBe(yes);
    expect(only(run([], { User: u }), 'runs-as-root').length).toBe(yes ? 1 : 0);
  });

  it('no config object, or no User, is root', () => {
    expect(brief(run([], null))).toEqual(['runs-as-root - @-']);
    expect(only(run([], {}), 'runs-as-root')[0]!.detail).toBe('User is not set: the container runs as root');
  });

  it('secret Env values are masked; ExposedPorts are info, in port order', () => {
    const fs = run([], { User: '1000', Env: ['PATH=/usr/bin', 'DB_PASSWORD=correct-horse-battery', 'GPG_KEY=ABCDEF0123', 'EMPTY_TOKEN='], ExposedPorts: { '8080/tcp': {}, '443/tcp': {}, '53/udp': {} } });
    expect(fs.map((f) => `${f.severity} ${f.rule} ${f.detail}`)).toEqual([
      'high secret-env Env DB_PASSWORD=corr******** (21 chars)',
      'info exposed-port ExposedPorts 53/udp', 'info exposed-port ExposedPorts 443/tcp', 'info exposed-port ExposedPorts 8080/tcp',
    ]);
    expect(JSON.stringify(fs)).not.toContain('correct-horse-battery');
  });

  it('a diffID mismatch is a critical finding on its layer', () => {
    const fs = audit({ config: { User: '1' }, layers: [[]], diffIdMismatches: [{ layerIndex: 0, declared: 'sha256:aa', actual: 'sha256:bb' }] });
    expect(fs).toMatchObject([{ rule: 'layer-diffid-mismatch', severity: 'critical', layerIndex: 0, path: null }]);
  });
});

describe('severity', () => {
  it('findings sort worst first; --fail-on compares at or above', () => {
    const fs = run([[e('x/id_rsa', { size: 3 }), e('w', { mode: 0o666 }), sym('l', '/x')], [wh('x/.wh.id_rsa')]], { User: '' });
    expect(fs.map((f) => f.severity)).toEqual(['critical', 'medium', 'medium', 'low']);
    expect(failsAt(fs, 'critical')).toBe(true);
    expect(failsAt(fs.slice(1), 'critical')).toBe(false);
    expect(failsAt(fs.slice(1), 'high')).toBe(false);
    expect(failsAt(fs.slice(1), 'medium')).toBe(true);
    expect(failsAt([], 'info')).toBe(false);
  });

  it('the rules table of docs/audit.md lists exactly these rules with these severities, in this order', () => {
    const section = readFileSync(join(ROOT, 'docs', 'audit.md'), 'utf8');
    const rows = [...section.matchAll(/^\| `([a-z-]+)` \| (\w+) \|/gm)].map((m) => `${m[1]} ${m[2]}`);
    expect(rows).toEqual(RULES.map((r) => `${r.id} ${r.severity}`));
  });

  it('every rule has one of the five severities, listed worst first', () => {
    const ranks = RULES.map((r) => SEVERITIES.indexOf(r.severity));
    expect(ranks.every((x) => x >= 0)).toBe(true);
    expect([...ranks].sort((a, b) => a - b)).toEqual(ranks);
    expect(new Set(RULES.map((r) => r.id)).size).toBe(RULES.length);
  });
});

/* ---------------------------------------------------------- PAX xattrs byte-exact */

function tarHeader(name: string, size: number, type: string, mode = 0o644): Buffer {
  const h = Buffer.alloc(512);
  h.write(name, 0, 100, 'utf8');
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100);
  h.write('0000000\0', 108);
  h.write('0000000\0', 116);
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  h.write('00000000000\0', 136);
  h.write('        ', 148);
  h.write(type, 156);
  h.write('ustar\0', 257);
  h.write('00', 263);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return h;
}
const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);
function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from('\n')]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

describe('PAX xattr values reach LayerEntry byte-exact', () => {
  // cap_setuid (bit 7) puts 0x80 in the first permitted byte: not valid UTF-8 on its own
  const cap = Buffer.from(capBytes(V2_EFFECTIVE, [(1 << 7) | (1 << 13), 0, 0, 0]), 'base64');
  const utf8Comment = Buffer.from('héllo wörld 😀', 'utf8');

  it('decodePaxRecords keeps xattr bytes and decodes other keys as UTF-8', () => {
    const recs = Buffer.concat([paxRecord('path', Buffer.from('dïr/fïle')), paxRecord('SCHILY.xattr.security.capability', cap)]);
    const out = decodePaxRecords(recs);
    expect(out.path).toBe('dïr/fïle');
    expect(Buffer.from(out['SCHILY.xattr.security.capability']!, 'latin1').equals(cap)).toBe(true);
  });

  it('through readLayer: security.capability with 0x80, UTF-8 user xattr, LIBARCHIVE.xattr', async () => {
    const pax = Buffer.concat([
      paxRecord('SCHILY.xattr.security.capability', cap),
      paxRecord('SCHILY.xattr.user.comment', utf8Comment),
      paxRecord('LIBARCHIVE.xattr.user.b%20a', Buffer.from(Buffer.from([0xff, 0x00, 0x80]).toString('base64'))),
    ]);
    const body = Buffer.from('#!/bin/sh\n');
    const tar = Buffer.concat([
      tarHeader('PaxHeaders/tool', pax.length, 'x'), pad(pax),
      tarHeader('bin/tool', body.length, '0', 0o755), pad(body), Buffer.alloc(1024),
    ]);
    const listing = await readLayer(Readable.from([tar]), { where: 'test' });
    const entry = listing.entries.find((x) => x.path === 'bin/tool')!;
    expect(Buffer.from(entry.xattrs!['security.capability']!, 'base64').equals(cap)).toBe(true);
    expect(Buffer.from(entry.xattrs!['user.comment']!, 'base64').equals(utf8Comment)).toBe(true);
    expect(Buffer.from(entry.xattrs!['user.b a']!, 'base64')).toEqual(Buffer.from([0xff, 0x00, 0x80]));
    const fs = audit({ config: { User: '1' }, layers: [listing.entries] });
    expect(only(fs, 'file-capability-privileged').map((f) => f.detail)).toEqual(['cap_setuid,cap_net_raw+ep (vfs_cap_data v2)']);
  });
});

describe('SARIF artifact URIs', () => {
  it.each([
    'opt/fixture/name with spaces.txt', "opt/fixture/quote'single", 'opt/fixture/#hash', 'opt/fixture/back\\slash.txt',
    'opt/fixture/ünïcödé-名前.txt', 'opt/fixture/emoji-😀.txt', 'a/50%/b?c', 'c:/x', '../../etc/passwd', 'a/./b',
  ])('%s is a relative URI reference that decodes back', (p) => {
    const u = pathUri(p);
    // RFC 3986: only unreserved, sub-delims, ":" "@" "/" and %XX; a first segment without ":" (else it reads as a scheme)
    expect(u).toMatch(/^([A-Za-z0-9\-._~!$&'()*+,;=@/]|%[0-9A-F]{2})*$/);
    expect(u.split('/').map(decodeURIComponent).join('/')).toBe(p);
    // dot segments cannot survive any URI parser (%2E%2E is `..` to WHATWG URL): hostile names only
    if (!p.split('/').some((x) => x === '..')) expect(new URL(u, 'file:///image/').pathname.startsWith('/image/')).toBe(true);
  });
});

describe('table rows fold low and info findings per directory unless --all', () => {
  const f = (rule: Finding['rule'], severity: Finding['severity'], path: string | null, layerIndex: number | null): Finding =>
    ({ rule, severity, path, layerIndex, detail: `d ${path}` });
  const findings: Finding[] = [
    f('setuid-root', 'high', 'usr/bin/su', 0),
    f('recoverable-deleted', 'low', 'usr/share/doc/a/copyright', 1),
    f('recoverable-deleted', 'low', 'usr/share/doc/b/changelog.gz', 2),
    f('recoverable-deleted', 'low', 'usr/share/doc/c', 1),
    f('recoverable-deleted', 'low', 'etc/motd', 1),
    f('symlink-absolute', 'low', 'usr/share/doc/x', 0),
    f('exposed-port', 'info', null, null),
  ];
  it('groups two or more of one rule under one directory (three levels deep at most), keeps singles and config findings', () => {
    expect(findingRows(findings, false).map((r) => `${r.severity} ${r.rule} ${r.layers} ${r.path} ${r.detail}`)).toEqual([
      'high setuid-root 0 /usr/bin/su d usr/bin/su',
      'low recoverable-deleted 1,2 /usr/share/doc/… 3 paths (--all lists each)',
      'low recoverable-deleted 1 /etc/motd d etc/motd',
      'low symlink-absolute 0 /usr/share/doc/x d usr/share/doc/x',
      'info exposed-port - (config) d null',
    ]);
  });
  it('--all lists each', () => {
    expect(findingRows(findings, true)).toHaveLength(findings.length);
  });
});
