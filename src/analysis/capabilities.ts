/**
 * File capabilities: the `security.capability` extended attribute, a
 * `struct vfs_cap_data` (linux/capability.h), all fields little-endian:
 *
 *   __le32 magic_etc;                      revision in the top byte, VFS_CAP_FLAGS_EFFECTIVE = 1
 *   struct { __le32 permitted, inheritable; } data[n];   n = 1 (v1), 2 (v2, v3)
 *   __le32 rootid;                         v3 only: the namespace root it applies to
 *
 * Pure: bytes in, names out.
 */

/** Capability numbers as in linux/capability.h (and `capsh --decode`). */
export const CAP_NAMES: readonly string[] = [
  'cap_chown', 'cap_dac_override', 'cap_dac_read_search', 'cap_fowner', 'cap_fsetid', 'cap_kill',
  'cap_setgid', 'cap_setuid', 'cap_setpcap', 'cap_linux_immutable', 'cap_net_bind_service',
  'cap_net_broadcast', 'cap_net_admin', 'cap_net_raw', 'cap_ipc_lock', 'cap_ipc_owner', 'cap_sys_module',
  'cap_sys_rawio', 'cap_sys_chroot', 'cap_sys_ptrace', 'cap_sys_pacct', 'cap_sys_admin', 'cap_sys_boot',
  'cap_sys_nice', 'cap_sys_resource', 'cap_sys_time', 'cap_sys_tty_config', 'cap_mknod', 'cap_lease',
  'cap_audit_write', 'cap_audit_control', 'cap_setfcap', 'cap_mac_override', 'cap_mac_admin', 'cap_syslog',
  'cap_wake_alarm', 'cap_block_suspend', 'cap_audit_read', 'cap_perfmon', 'cap_bpf', 'cap_checkpoint_restore',
];

/**
 * Capabilities that lead to full root (or a host escape) on their own, the
 * ones GTFOBins-style privilege escalation uses. Anything else is narrower.
 */
export const PRIVILEGED_CAPS: ReadonlySet<string> = new Set([
  'cap_chown', 'cap_dac_override', 'cap_dac_read_search', 'cap_fowner', 'cap_setgid', 'cap_setuid',
  'cap_setpcap', 'cap_setfcap', 'cap_sys_module', 'cap_sys_rawio', 'cap_sys_ptrace', 'cap_sys_admin',
  'cap_mac_override', 'cap_mac_admin', 'cap_bpf',
]);

const VFS_CAP_REVISION_MASK = 0xff000000;
const VFS_CAP_FLAGS_EFFECTIVE = 0x000001;
const REVISIONS: Record<number, { version: 1 | 2 | 3; words: number; size: number }> = {
  0x01000000: { version: 1, words: 1, size: 12 },
  0x02000000: { version: 2, words: 2, size: 20 },
  0x03000000: { version: 3, words: 2, size: 24 },
};

export interface FileCapabilities {
  version: 1 | 2 | 3;
  /** VFS_CAP_FLAGS_EFFECTIVE: permitted capabilities are raised at exec */
  effective: boolean;
  permitted: string[];
  inheritable: string[];
  /** v3: the user namespace root uid these apply to */
  rootid?: number;
}

export type CapabilityDecode = { ok: true; caps: FileCapabilities } | { ok: false; error: string };

function names(words: number[]): string[] {
  const out: string[] = [];
  words.forEach((w, i) => {
    for (let bit = 0; bit < 32; bit++) {
      if ((w >>> bit) & 1) {
        const n = i * 32 + bit;
        out.push(CAP_NAMES[n] ?? `cap_${n}`);
      }
    }
  });
  return out;
}

/** Decode a `security.capability` value. */
export function decodeCapabilities(bytes: Uint8Array): CapabilityDecode {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 4) return { ok: false, error: `${buf.length} bytes, too short for vfs_cap_data` };
  const magic = buf.readUInt32LE(0);
  const rev = REVISIONS[(magic & VFS_CAP_REVISION_MASK) >>> 0];
  if (!rev) return { ok: false, error: `unknown vfs_cap_data revision 0x${(magic >>> 24).toString(16)}` };
  if (buf.length !== rev.size) return { ok: false, error: `${buf.length} bytes, vfs_cap_data v${rev.version} has ${rev.size}` };
  const permitted: number[] = [];
  const inheritable: number[] = [];
  for (let i = 0; i < rev.words; i++) {
    permitted.push(buf.readUInt32LE(4 + i * 8));
    inheritable.push(buf.readUInt32LE(8 + i * 8));
  }
  const caps: FileCapabilities = {
    version: rev.version,
    effective: (magic & VFS_CAP_FLAGS_EFFECTIVE) !== 0,
    permitted: names(permitted),
    inheritable: names(inheritable),
  };
  if (rev.version === 3) caps.rootid = buf.readUInt32LE(20);
  return { ok: true, caps };
}

/** `cap_net_raw+ep` style, as getcap prints (`=` when nothing is set). */
export function capabilityText(c: FileCapabilities): string {
  const perm = new Set(c.permitted);
  const inh = new Set(c.inheritable);
  const all = [...new Set([...c.permitted, ...c.inheritable])];
  if (all.length === 0) return '=';
  // group capabilities by their flag set, like libcap's cap_to_text
  const groups = new Map<string, string[]>();
  for (const n of all) {
    const flags = `${c.effective && perm.has(n) ? 'e' : ''}${inh.has(n) ? 'i' : ''}${perm.has(n) ? 'p' : ''}`;
    const g = groups.get(flags);
    if (g) g.push(n);
    else groups.set(flags, [n]);
  }
  return [...groups].map(([flags, ns]) => `${ns.join(',')}+${flags}`).join(' ');
}
