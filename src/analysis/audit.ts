import type { LayerEntry } from '../layer/entry.js';
import { overlay as buildOverlay, type Node, type Overlay, type PathChange } from './filetree.js';
import { capabilityText, decodeCapabilities, PRIVILEGED_CAPS } from './capabilities.js';
import { buildArgsInCreatedBy, envSecret, isSensitivePath, secretKind, type SecretMatch } from './secrets.js';

/**
 * `audit`: risky content of an image, each finding with a severity and the
 * layer that introduced it. Pure: the config and the layers' entry lists in,
 * findings out. Decides from metadata only (modes, owners, names, xattrs,
 * links, whiteouts) — no file body is read.
 */

export const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof SEVERITIES)[number];

/** critical = 4 … info = 0 */
export function severityRank(s: Severity): number {
  return SEVERITIES.length - 1 - SEVERITIES.indexOf(s);
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

export interface Finding {
  rule: RuleId;
  severity: Severity;
  /** path in the image filesystem (no leading `/`); null for config findings */
  path: string | null;
  /** the layer that introduced it (for recoverable files: the layer holding the bytes); null for config */
  layerIndex: number | null;
  detail: string;
}

export interface RuleInfo {
  id: RuleId;
  /** every finding of a rule has this severity (one severity per rule keeps SARIF dashboards honest) */
  severity: Severity;
  title: string;
  /** what exactly is flagged, for the README and SARIF help text */
  help: string;
}

export type RuleId =
  | 'layer-diffid-mismatch' | 'recoverable-secret'
  | 'secret-file' | 'secret-env' | 'secret-build-arg' | 'setuid-root' | 'file-capability-privileged' | 'hardlink-sensitive' | 'hardlink-escapes-root'
  | 'setuid' | 'setgid' | 'file-capability' | 'world-writable-file' | 'world-writable-dir' | 'device-node' | 'symlink-escapes-root' | 'runs-as-root'
  | 'recoverable-deleted' | 'symlink-absolute'
  | 'recoverable-overwritten' | 'exposed-port';

/** The rules, worst first. The README's table is this list. */
export const RULES: readonly RuleInfo[] = [
  { id: 'layer-diffid-mismatch', severity: 'critical', title: 'Layer content does not match its diffID', help: 'The layer blob decompresses to content whose sha256 is not the diffID the config declares: what was audited is not what the image says it is.' },
  { id: 'recoverable-secret', severity: 'critical', title: 'Secret-looking file hidden by a later layer, still in a lower blob', help: 'A non-empty file whose name looks secret (private key, .env, .npmrc, cloud credentials, …) was deleted or overwritten by a later layer, but its bytes are still in a lower layer blob that anyone with the image can extract.' },
  { id: 'secret-file', severity: 'high', title: 'Secret-looking file in the final filesystem', help: 'A non-empty regular file whose name looks like a private key or credentials file (see the name patterns). CA trust stores and *.example/*.sample templates are not reported.' },
  { id: 'secret-env', severity: 'high', title: 'Secret-looking Env variable with a value', help: 'An Env entry whose name says it holds a secret (PASSWORD, SECRET, TOKEN, API_KEY, PRIVATE_KEY, ACCESS_KEY, …; not *_FILE/*_PATH/*_ID/…) and has a value, or any value that is a URL with a password. The value is masked.' },
  { id: 'secret-build-arg', severity: 'high', title: 'Secret-looking build argument recorded in the image', help: 'A build argument whose name or value looks secret (the secret-env patterns) as Docker records it in a history created_by (`|N KEY=value … /bin/sh -c …`, written for a RUN that follows ARGs) or as SLSA provenance records it (build-arg:KEY in invocation.parameters or buildDefinition.externalParameters): anyone with the image reads it. The value is masked.' },
  { id: 'setuid-root', severity: 'high', title: 'Setuid-root file', help: 'A regular file with the setuid bit (04000) owned by uid 0: it runs as root whoever starts it.' },
  { id: 'file-capability-privileged', severity: 'high', title: 'File capabilities that give root', help: 'security.capability grants a root-equivalent capability: cap_sys_admin, cap_setuid, cap_setgid, cap_dac_override, cap_dac_read_search, cap_chown, cap_fowner, cap_setpcap, cap_setfcap, cap_sys_module, cap_sys_rawio, cap_sys_ptrace, cap_mac_admin, cap_mac_override or cap_bpf.' },
  { id: 'hardlink-sensitive', severity: 'high', title: 'Hard link to a sensitive path', help: 'A hard link whose target is etc/shadow, etc/gshadow, etc/passwd, etc/group, etc/sudoers, an .ssh file, proc/sys/dev, or a secret-looking name.' },
  { id: 'hardlink-escapes-root', severity: 'high', title: 'Hard link whose target leaves the root', help: 'A hard link whose target, with .. resolved, lies above the image root: extracting it links to a file outside the destination.' },
  { id: 'setuid', severity: 'medium', title: 'Setuid file (not owned by root)', help: 'A regular file with the setuid bit owned by a uid other than 0.' },
  { id: 'setgid', severity: 'medium', title: 'Setgid file', help: 'A regular file with the setgid bit (02000). Setgid directories (group inheritance) are not reported.' },
  { id: 'file-capability', severity: 'medium', title: 'File capabilities', help: 'security.capability grants capabilities (e.g. cap_net_raw, cap_net_bind_service), or the xattr cannot be decoded.' },
  { id: 'world-writable-file', severity: 'medium', title: 'World-writable file', help: 'A regular file with the o+w bit (00002).' },
  { id: 'world-writable-dir', severity: 'medium', title: 'World-writable directory without the sticky bit', help: 'A directory with o+w and without the sticky bit (01000): anyone can delete or rename what it holds. 1777 directories such as /tmp are fine.' },
  { id: 'device-node', severity: 'medium', title: 'Device node', help: 'A character or block device node in the image filesystem (runtimes provide /dev themselves). The OCI runtime spec\'s default devices with their own numbers (/dev/null 1:3, zero 1:5, full 1:7, random 1:8, urandom 1:9, tty 5:0, console 5:1, ptmx 5:2) are not reported.' },
  { id: 'symlink-escapes-root', severity: 'medium', title: 'Symlink that climbs above the root', help: 'A relative symlink whose target, with .. resolved against the link\'s directory, lies above the image root.' },
  { id: 'runs-as-root', severity: 'medium', title: 'Runs as root', help: 'Config User is empty, root, 0, 0:0 or root:<group>.' },
  { id: 'recoverable-deleted', severity: 'low', title: 'Deleted file still in a lower blob', help: 'A file, link or node deleted by a later layer (whiteout, opaque directory, type change) whose entry is still in a lower layer blob; the path, size, the layer holding the bytes and the layer that hid them.' },
  { id: 'symlink-absolute', severity: 'low', title: 'Absolute symlink', help: 'A symlink with an absolute target: harmless inside the container, but it points into the host when the layer is extracted naively.' },
  { id: 'recoverable-overwritten', severity: 'info', title: 'Overwritten file still in a lower blob', help: 'A file replaced by a later layer (or stated twice in one layer): its older bytes are still in the blob.' },
  { id: 'exposed-port', severity: 'info', title: 'Exposed port', help: 'A port in Config.ExposedPorts.' },
];

export const RULE_BY_ID: ReadonlyMap<RuleId, RuleInfo> = new Map(RULES.map((r) => [r.id, r]));

const RULE_ORDER = new Map(RULES.map((r, i) => [r.id, i]));

export interface AuditInput {
  /** the image config's `config` object (User, Env, ExposedPorts); null when absent */
  config: Record<string, unknown> | null | undefined;
  /** entries of each layer, bottom first */
  layers: readonly (readonly LayerEntry[])[];
  /** layers whose content hashed to something other than their declared diffID */
  diffIdMismatches?: { layerIndex: number; declared: string; actual: string }[];
  /** reuse an overlay already computed for these layers */
  overlay?: Overlay;
  /** the config's history: build arguments recorded in created_by */
  history?: readonly { createdBy: string; layerIndex: number | null }[];
  /** secret-looking build arguments SLSA provenance attached to the image records (values already masked) */
  provenanceSecrets?: readonly { where: string; name: string; masked: string }[];
}

const octal = (m: number) => m.toString(8).padStart(4, '0');
const bytes = (n: number) => `${n} byte${n === 1 ? '' : 's'}`;

/** the directory part of a layer path ('' at the root) */
const dirOf = (p: string) => {
  const i = p.lastIndexOf('/');
  return i === -1 ? '' : p.slice(0, i);
};

/** Resolve `..` and `.` lexically from `base`; null when `..` climbs above the root. */
export function resolveLexically(base: string, rel: string): string | null {
  const out = base ? base.split('/') : [];
  for (const part of rel.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (out.length === 0) return null;
      out.pop();
    } else {
      out.push(part);
    }
  }
  return out.join('/');
}

type Add = (rule: RuleId, path: string | null, layerIndex: number | null, detail: string) => void;
type Lookup = (path: string, k: number) => LayerEntry | undefined;

/** The last entry at `path` in layers 0..k (what a hard link refers to). */
function lookupFactory(layers: readonly (readonly LayerEntry[])[]): Lookup {
  const maps: Map<string, LayerEntry>[] = [];
  const mapOf = (k: number) => {
    let m = maps[k];
    if (!m) {
      m = new Map();
      for (const e of layers[k]!) if (e.whiteout === undefined && e.opaque === undefined) m.set(e.path, e);
      maps[k] = m;
    }
    return m;
  };
  return (path, k) => {
    for (let i = Math.min(k, layers.length - 1); i >= 0; i--) {
      const e = mapOf(i).get(path);
      if (e) return e;
    }
    return undefined;
  };
}

export function audit(input: AuditInput): Finding[] {
  const { layers } = input;
  const ov = input.overlay ?? buildOverlay(layers);
  const lookup = lookupFactory(layers);
  const findings: Finding[] = [];
  const add: Add = (rule, path, layerIndex, detail) => {
    findings.push({ rule, severity: RULE_BY_ID.get(rule)!.severity, path, layerIndex, detail });
  };

  /** bytes behind an entry: its own size, or for a hard link its target's (as seen from layer k) */
  const sizeOf = (e: LayerEntry, k: number): number => {
    if (e.type !== 'hardlink' || !e.linkTarget) return e.size;
    const t = lookup(e.linkTarget, k);
    return t && t.type === 'file' ? t.size : 0;
  };

  for (const m of input.diffIdMismatches ?? []) {
    add('layer-diffid-mismatch', null, m.layerIndex,
      `layer ${m.layerIndex} hashes to ${m.actual}, the config declares ${m.declared}: its findings describe other content`);
  }

  // ---- the final filesystem
  for (const [path, node] of ov.final) finalChecks(path, node, add, sizeOf);
  hiddenChecks(layers, ov, lookup, add, sizeOf);
  configChecks(input, add);
  return sortFindings(findings);
}

type SizeOf = (e: LayerEntry, k: number) => number;

/** What later layers hid: deleted, overwritten, or stated twice in one layer — still in the image's bytes. */
function hiddenChecks(layers: AuditInput['layers'], ov: Overlay, lookup: Lookup, add: Add, sizeOf: SizeOf): void {
  const recoverable = (path: string, e: LayerEntry, holder: number, deleted: boolean, how: string): void => {
    const size = sizeOf(e, holder);
    const secret = secretKind(path);
    const what = e.type === 'file' ? bytes(size)
      : e.type === 'hardlink' ? `hard link to ${e.linkTarget} (${bytes(size)})`
        : e.type === 'symlink' ? `symlink to ${e.linkTarget}`
          : `${e.type} node`;
    const rule: RuleId = secret && size > 0 ? 'recoverable-secret' : deleted ? 'recoverable-deleted' : 'recoverable-overwritten';
    add(rule, path, holder, `${what} in layer ${holder}, ${how}${rule === 'recoverable-secret' ? `; ${secretWhat(secret!)}` : ''}`);
  };
  ov.changes.forEach((changes, k) => {
    for (const c of changes) {
      if (c.change === 'added' || !c.before || c.before.implicit || c.before.entry.type === 'dir') continue;
      if (c.change === 'deleted') {
        recoverable(c.path, c.before.entry, c.before.layerIndex, true, `deleted by layer ${k} (${deletionCause(layers, lookup, c.path, c.cause, k)})`);
      } else {
        recoverable(c.path, c.before.entry, c.before.layerIndex, false,
          c.entry?.type === 'dir' ? `replaced by a directory in layer ${k}` : `overwritten by layer ${k}`);
      }
    }
  });
  for (const s of ov.shadowed) {
    if (s.entry.type === 'dir') continue;
    recoverable(s.entry.path, s.entry, s.layerIndex, false, `stated again later in layer ${s.layerIndex}: this copy is never visible`);
  }
}

/** which marker of layer k hid `path`: its own whiteout, an ancestor's, an opaque directory, a type change */
function deletionCause(layers: AuditInput['layers'], lookup: Lookup, path: string, cause: PathChange['cause'], k: number): string {
  const covers = (p: string) => path === p || p === '' || path.startsWith(`${p}/`);
  if (cause === 'whiteout' || cause === 'opaque') {
    let best: string | null = null;
    for (const e of layers[k]!) {
      const p = cause === 'whiteout' ? e.whiteout : e.opaque;
      if (p !== undefined && covers(p) && (best === null || p.length > best.length)) best = p;
    }
    if (cause === 'opaque') return `opaque directory ${best === null || best === '' ? '/' : best}`;
    return best === null || best === path ? 'whiteout' : `whiteout of ${best}`;
  }
  // a type change: a directory above became a file, or this file made way for a directory
  const parts = path.split('/');
  for (let i = parts.length - 1; i >= 1; i--) {
    const a = parts.slice(0, i).join('/');
    const e = lookup(a, k);
    if (e && e.type !== 'dir' && layers[k]!.includes(e)) return `${a} became a ${e.type === 'file' ? 'file' : e.type}`;
  }
  return 'replaced by a directory';
}

/** The config: the user it runs as, secrets in Env and build arguments, exposed ports. */
function configChecks(input: AuditInput, add: Add): void {
  const cfg = input.config ?? {};
  const user = typeof cfg.User === 'string' ? cfg.User.trim() : '';
  if (runsAsRoot(user)) add('runs-as-root', null, null, user === '' ? 'User is not set: the container runs as root' : `User is "${user}"`);
  if (Array.isArray(cfg.Env)) {
    for (const v of cfg.Env) {
      if (typeof v !== 'string') continue;
      const s = envSecret(v);
      if (s) add('secret-env', null, null, s.why === 'name' ? `Env ${s.name}=${s.masked}` : `Env ${s.name} holds a URL with a password: ${s.masked}`);
    }
  }
  (input.history ?? []).forEach((h, step) => {
    for (const a of buildArgsInCreatedBy(h.createdBy)) {
      const sec = envSecret(`${a.name}=${a.value}`);
      if (sec) add('secret-build-arg', null, h.layerIndex, `history step ${step}${h.layerIndex === null ? ' (empty layer)' : ''}: build argument ${a.name}=${sec.masked}${sec.why === 'url-password' ? ' (a URL with a password)' : ''}`);
    }
  });
  for (const p of input.provenanceSecrets ?? []) add('secret-build-arg', null, null, `${p.where}: build argument ${p.name}=${p.masked}`);
  if (cfg.ExposedPorts && typeof cfg.ExposedPorts === 'object') {
    for (const port of Object.keys(cfg.ExposedPorts).sort(comparePorts)) add('exposed-port', null, null, `ExposedPorts ${port}`);
  }
}

/**
 * The devices the OCI runtime spec says every container gets (config-linux.md,
 * "Default Devices"): an image that ships them with these numbers adds nothing
 * a runtime would not provide, so they are not findings.
 */
const DEFAULT_DEVICES: ReadonlyMap<string, [number, number]> = new Map([
  ['dev/null', [1, 3]], ['dev/zero', [1, 5]], ['dev/full', [1, 7]], ['dev/random', [1, 8]], ['dev/urandom', [1, 9]],
  ['dev/tty', [5, 0]], ['dev/console', [5, 1]], ['dev/ptmx', [5, 2]],
]);

function isDefaultDevice(path: string, e: LayerEntry): boolean {
  const want = DEFAULT_DEVICES.get(path);
  return e.type === 'char' && want !== undefined && e.device?.major === want[0] && e.device?.minor === want[1];
}

function secretWhat(s: SecretMatch): string {
  return `named like a ${s.kind === 'private-key' ? 'private key' : s.kind === 'env-file' ? 'dotenv file' : 'credentials file'} (${s.pattern})`;
}

function finalChecks(path: string, node: Node, add: Add, sizeOf: (e: LayerEntry, k: number) => number): void {
  if (node.implicit) return;
  const e = node.entry;
  const k = node.layerIndex;
  const isFile = e.type === 'file' || e.type === 'hardlink';
  const owner = `${e.uid}:${e.gid}`;

  if (isFile && e.mode & 0o4000) add(e.uid === 0 ? 'setuid-root' : 'setuid', path, k, `mode ${octal(e.mode)}, owner ${owner}`);
  if (isFile && e.mode & 0o2000) add('setgid', path, k, `mode ${octal(e.mode)}, owner ${owner}`);
  const capB64 = e.xattrs?.['security.capability'];
  if (capB64 !== undefined && e.type !== 'symlink') {
    const d = decodeCapabilities(Buffer.from(capB64, 'base64'));
    if (d.ok) {
      const all = [...new Set([...d.caps.permitted, ...d.caps.inheritable])];
      const priv = all.filter((c) => PRIVILEGED_CAPS.has(c));
      add(priv.length ? 'file-capability-privileged' : 'file-capability', path, k,
        `${capabilityText(d.caps)} (vfs_cap_data v${d.caps.version}${d.caps.rootid !== undefined ? `, rootid ${d.caps.rootid}` : ''})`);
    } else {
      add('file-capability', path, k, `unreadable security.capability: ${d.error}`);
    }
  }
  if (isFile && e.mode & 0o002) add('world-writable-file', path, k, `mode ${octal(e.mode)}, owner ${owner}`);
  if (e.type === 'dir' && e.mode & 0o002 && !(e.mode & 0o1000)) add('world-writable-dir', path, k, `mode ${octal(e.mode)}, no sticky bit`);
  if ((e.type === 'char' || e.type === 'block') && !isDefaultDevice(path, e)) {
    add('device-node', path, k, `${e.type === 'char' ? 'character' : 'block'} device, mode ${octal(e.mode)}, owner ${owner}`);
  }
  if (isFile) {
    const s = secretKind(path);
    const size = sizeOf(e, k);
    if (s && size > 0) add('secret-file', path, k, `${bytes(size)}, ${secretWhat(s)}`);
  }
  if (e.type === 'symlink' && e.linkTarget !== null) {
    const t = e.linkTarget;
    if (t.startsWith('/')) add('symlink-absolute', path, k, `-> ${t}`);
    else if (resolveLexically(dirOf(path), t) === null) add('symlink-escapes-root', path, k, `-> ${t} climbs above the root from /${dirOf(path)}`);
  }
  if (e.type === 'hardlink' && e.linkTarget !== null) {
    const target = resolveLexically('', e.linkTarget);
    if (target === null) add('hardlink-escapes-root', path, k, `hard link to ${e.linkTarget}`);
    else if (isSensitivePath(target)) add('hardlink-sensitive', path, k, `hard link to ${target}`);
  }
}

/** `User` values that mean uid 0: empty, `root`, `0`, `root:<group>`, `0:<group>`. */
export function runsAsRoot(user: string): boolean {
  const u = user.trim().split(':', 1)[0]!;
  return u === '' || u === 'root' || /^0+$/.test(u);
}

function comparePorts(a: string, b: string): number {
  return (parseInt(a, 10) || 0) - (parseInt(b, 10) || 0) || cmp(a, b);
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Severity (worst first), then rule, then layer, then path; ties keep their order (Env order, port numbers). */
export function sortFindings(fs: Finding[]): Finding[] {
  return fs.sort((a, b) => severityRank(b.severity) - severityRank(a.severity)
    || RULE_ORDER.get(a.rule)! - RULE_ORDER.get(b.rule)!
    || (a.layerIndex ?? -1) - (b.layerIndex ?? -1)
    || cmp(a.path ?? '', b.path ?? ''));
}

/** Is there a finding at or above `threshold`? (`--fail-on`) */
export function failsAt(findings: readonly Finding[], threshold: Severity): boolean {
  return findings.some((f) => severityRank(f.severity) >= severityRank(threshold));
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const out = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) out[f.severity]++;
  return out;
}
