import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tmp.js';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURES, run, runInProcess, type RunResult } from './helpers/cli.js';
import { finalFs, type Truth } from './helpers/truth.js';

/**
 * `audit` on the `fixture` image against what independent tools recorded:
 * buildah's mounted rootfs (fixture.final-fs.json: modes, owners), the per-layer
 * member lists of the truth files (GNU tar), and the layer blobs read with
 * python3's tarfile (sizes, and the security.capability PAX record decoded
 * here from linux/capability.h). Never from layerdig's own output.
 */

const DIR = join(FIXTURES, 'real', 'fixture');
const VARIANTS = ['docker-archive', 'docker-archive-gz', 'oci', 'oci-gzip', 'oci-zstd', 'oci-archive', 'oci-archive-gzip', 'oci-archive-zstd', 'dir', 'dir-gzip', 'dir-zstd', 'dir-v2s2-gzip'];
const truthOf = (v: string) => JSON.parse(readFileSync(join(DIR, `fixture.${v}.truth.json`), 'utf8')) as Truth;

interface Finding { rule: string; severity: string; path: string | null; layerIndex: number | null; detail: string }
interface Doc { image: Record<string, unknown>; findings: Finding[] }

/** Each layer blob of the plain docker-archive, read by python3 tarfile. */
interface PyMember { path: string; type: string; size: number; link: string; cap: { magic: number; permitted: string[]; inheritable: string[] } | null }
const PY = String.raw`
import json, struct, sys, tarfile
# linux/capability.h, bit numbers 0..40
NAMES = """chown dac_override dac_read_search fowner fsetid kill setgid setuid setpcap linux_immutable
net_bind_service net_broadcast net_admin net_raw ipc_lock ipc_owner sys_module sys_rawio sys_chroot sys_ptrace
sys_pacct sys_admin sys_boot sys_nice sys_resource sys_time sys_tty_config mknod lease audit_write audit_control
setfcap mac_override mac_admin syslog wake_alarm block_suspend audit_read perfmon bpf checkpoint_restore""".split()
def names(words):
    return ['cap_' + NAMES[i * 32 + b] for i, w in enumerate(words) for b in range(32) if w >> b & 1]
outer = tarfile.open(sys.argv[1])
out = []
for blob in sys.argv[2:]:
    layer = tarfile.open(fileobj=outer.extractfile(blob))
    members = []
    for m in layer:
        cap = None
        raw = m.pax_headers.get('SCHILY.xattr.security.capability')
        if raw is not None:
            b = raw.encode('utf-8', 'surrogateescape')
            magic = struct.unpack_from('<I', b, 0)[0]
            n = 1 if magic >> 24 == 1 else 2
            words = [struct.unpack_from('<II', b, 4 + 8 * i) for i in range(n)]
            cap = {'magic': magic, 'permitted': names([w[0] for w in words]), 'inheritable': names([w[1] for w in words])}
        name = m.name[2:] if m.name.startswith('./') else m.name
        t = 'd' if m.isdir() else 'l' if m.issym() else 'h' if m.islnk() else 'f' if m.isfile() else 'c' if m.ischr() else 'b' if m.isblk() else 'o'
        members.append({'path': name.rstrip('/'), 'type': t, 'size': m.size, 'link': m.linkname, 'cap': cap})
    out.append(members)
print(json.dumps(out))
`;

function pythonLayers(): PyMember[][] {
  const t = truthOf('docker-archive');
  const r = spawnSync('python3', ['-c', PY, join(DIR, t.archive), ...t.images[0]!.layers.map((l) => l.blob_path)], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (r.status !== 0) throw new Error(`python3 failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as PyMember[][];
}

const fs = finalFs('fixture');
const finalPaths = new Set(fs.map((e) => e.path));
const mode = (m: string) => parseInt(m, 8);
const sorted = (xs: Iterable<string>) => [...xs].sort();

/** the truth file's member lists: [path, isDir, isWhiteout] per layer */
function members(t: Truth) {
  return t.images[0]!.layers.map((l) => l.members.map((m) => {
    const path = m.replace(/\/$/, '').replace(/^\.\//, '');
    const base = path.slice(path.lastIndexOf('/') + 1);
    return { path, dir: m.endsWith('/'), whiteout: base.startsWith('.wh.') };
  }));
}

/** the highest layer whose members include `path` */
function lastWriter(t: Truth, path: string): number {
  const ms = members(t);
  for (let k = ms.length - 1; k >= 0; k--) if (ms[k]!.some((m) => m.path === path && !m.whiteout)) return k;
  return -1;
}

const py = pythonLayers();

describe.each(VARIANTS)('audit of fixture.%s matches the truth files', (variant) => {
  const t = truthOf(variant);
  let r: RunResult;
  let doc: Doc;
  beforeAll(async () => {
    r = await runInProcess(['audit', join(DIR, t.archive), '--json']);
    doc = JSON.parse(r.stdout) as Doc;
  });
  const byRule = (...rules: string[]) => doc.findings.filter((f) => rules.includes(f.rule));

  it('exits 0 without --fail-on; JSON keys are exactly {image, findings:[{rule, severity, path, layerIndex, detail}]}', () => {
    expect(r.code).toBe(0);
    expect(Object.keys(doc).sort()).toEqual(['findings', 'image']);
    for (const f of doc.findings) expect(Object.keys(f).sort()).toEqual(['detail', 'layerIndex', 'path', 'rule', 'severity']);
    expect(doc.image.id).toBe(t.images[0]!.image_id);
  });

  it('setuid and setgid files: exactly the 4xxx / 2xxx regular files of the final filesystem, from the layer that last wrote them', () => {
    const suid = fs.filter((e) => e.type === 'f' && mode(e.mode) & 0o4000);
    const sgid = fs.filter((e) => e.type === 'f' && mode(e.mode) & 0o2000);
    expect(suid.length + sgid.length).toBeGreaterThan(0);
    expect(sorted(byRule('setuid-root', 'setuid').map((f) => f.path!))).toEqual(sorted(suid.map((e) => e.path)));
    expect(sorted(byRule('setgid').map((f) => f.path!))).toEqual(sorted(sgid.map((e) => e.path)));
    for (const e of suid) {
      const f = byRule('setuid-root', 'setuid').find((x) => x.path === e.path)!;
      expect(f.rule).toBe(e.uid === 0 ? 'setuid-root' : 'setuid');
      expect(f.layerIndex).toBe(lastWriter(t, e.path));
    }
    for (const f of byRule('setgid')) expect(f.layerIndex).toBe(lastWriter(t, f.path!));
  });

  it('world-writable files, and directories without the sticky bit (1777 is fine); device nodes', () => {
    const wwf = fs.filter((e) => e.type === 'f' && mode(e.mode) & 0o002);
    const wwd = fs.filter((e) => e.type === 'd' && mode(e.mode) & 0o002 && !(mode(e.mode) & 0o1000));
    const dev = fs.filter((e) => e.type === 'c' || e.type === 'b');
    expect(wwf.length).toBeGreaterThan(0);
    expect(sorted(byRule('world-writable-file').map((f) => f.path!))).toEqual(sorted(wwf.map((e) => e.path)));
    expect(sorted(byRule('world-writable-dir').map((f) => f.path!))).toEqual(sorted(wwd.map((e) => e.path)));
    expect(sorted(byRule('device-node').map((f) => f.path!))).toEqual(sorted(dev.map((e) => e.path)));
    for (const f of byRule('world-writable-file')) expect(f.layerIndex).toBe(lastWriter(t, f.path!));
  });

  it('file capabilities: the security.capability PAX records python3 decodes, on paths still in the final filesystem', () => {
    const expected = py.flatMap((layer, k) => layer.filter((m) => m.cap && finalPaths.has(m.path) && lastWriter(t, m.path) === k)
      .map((m) => ({ path: m.path, layerIndex: k, caps: [...new Set([...m.cap!.permitted, ...m.cap!.inheritable])], effective: (m.cap!.magic & 1) === 1 })));
    expect(expected.map((e) => e.caps)).toEqual([['cap_net_raw']]); // the fixture's README: one cap_net_raw file
    const got = byRule('file-capability', 'file-capability-privileged');
    expect(got.map((f) => f.path)).toEqual(expected.map((e) => e.path));
    for (const [i, e] of expected.entries()) {
      expect(got[i]!.layerIndex).toBe(e.layerIndex);
      for (const c of e.caps) expect(got[i]!.detail).toContain(c);
      expect(got[i]!.detail).toContain(e.effective ? '+ep' : '+p');
    }
  });

  it('deleted but recoverable: every non-directory member that is not in the final filesystem', () => {
    const gone = new Set(members(t).flatMap((ms) => ms.filter((m) => !m.dir && !m.whiteout && !finalPaths.has(m.path)).map((m) => m.path)));
    expect(gone.size).toBeGreaterThan(5);
    const reported = byRule('recoverable-deleted', 'recoverable-secret').filter((f) => !finalPaths.has(f.path!));
    expect(sorted(new Set(reported.map((f) => f.path!)))).toEqual(sorted(gone));
    // reported at the layer that last wrote it, which holds the bytes
    for (const p of gone) expect(reported.find((f) => f.path === p)!.layerIndex).toBe(lastWriter(t, p));
  });

  it('every hidden copy: a non-directory member of layer k stated again later or absent at the end, at layer k, with the hiding layer', () => {
    const ms = members(t);
    const expected = new Map<string, number>(); // "path@k" → the layer that hid it
    ms.forEach((layer, k) => {
      for (const m of layer) {
        if (m.dir || m.whiteout) continue;
        // the first later layer that states the path again, whites it (or an ancestor) out, or puts a non-directory at an ancestor
        const ancestors = m.path.split('/').map((_, i, a) => a.slice(0, i + 1).join('/'));
        let hider = -1;
        for (let j = k + 1; j < ms.length && hider === -1; j++) {
          const hit = ms[j]!.some((x) => (!x.whiteout && x.path === m.path)
            || (x.whiteout && ancestors.some((a) => x.path === `${a.includes('/') ? `${a.slice(0, a.lastIndexOf('/'))}/` : ''}.wh.${a.slice(a.lastIndexOf('/') + 1)}`))
            || (x.whiteout && x.path.endsWith('/.wh..wh..opq') && ancestors.includes(x.path.slice(0, -'/.wh..wh..opq'.length)))
            || (!x.whiteout && !x.dir && ancestors.slice(0, -1).includes(x.path)));
          if (hit) hider = j;
        }
        if (hider !== -1 || !finalPaths.has(m.path)) expected.set(`${m.path}@${k}`, hider);
      }
    });
    const got = byRule('recoverable-deleted', 'recoverable-overwritten', 'recoverable-secret');
    expect(sorted(got.map((f) => `${f.path}@${f.layerIndex}`))).toEqual(sorted(expected.keys()));
    for (const f of got) {
      const layers = [...f.detail.matchAll(/layer (\d+)/g)].map((x) => Number(x[1]));
      expect(layers.at(-1), f.detail).toBe(expected.get(`${f.path}@${f.layerIndex}`));
    }
  });

  it('sizes and link targets of hidden copies are those python3 reads in the blobs', () => {
    for (const f of byRule('recoverable-deleted', 'recoverable-overwritten')) {
      const m = py[f.layerIndex!]!.find((x) => x.path === f.path)!;
      if (m.type === 'f') expect(f.detail.startsWith(`${m.size} byte`), f.detail).toBe(true);
      else if (m.type === 'h') {
        const target = py[f.layerIndex!]!.find((x) => x.path === m.link)!;
        expect(f.detail).toContain(`hard link to ${m.link} (${target.size} bytes)`);
      } else if (m.type === 'l') expect(f.detail).toContain(`symlink to ${m.link}`);
    }
  });

  it('absolute symlinks of the final filesystem; none climbs above the root', () => {
    const abs = fs.filter((e) => e.type === 'l' && e.link_target!.startsWith('/'));
    expect(sorted(byRule('symlink-absolute').map((f) => f.path!))).toEqual(sorted(abs.map((e) => e.path)));
    expect(byRule('symlink-escapes-root', 'hardlink-sensitive', 'hardlink-escapes-root', 'secret-file', 'recoverable-secret')).toEqual([]);
  });

  it('config: User 1000:1000 is not root; ExposedPorts listed; no secret Env', () => {
    const cfg = t.images[0]!.config as { User: string; ExposedPorts: Record<string, unknown> };
    expect(cfg.User).toBe('1000:1000');
    expect(byRule('runs-as-root')).toEqual([]);
    expect(byRule('exposed-port').map((f) => f.detail)).toEqual(Object.keys(cfg.ExposedPorts).map((p) => `ExposedPorts ${p}`));
    expect(byRule('secret-env')).toEqual([]);
  });
});

describe('audit CLI contract', () => {
  const tar = join(DIR, 'fixture.docker-archive.tar');

  it('--fail-on: 1 when a finding at or above exists (the fixture has a high setuid-root, no critical), else 0', () => {
    expect(run(['audit', tar, '--fail-on', 'high', '-q']).code).toBe(1);
    expect(run(['audit', tar, '--fail-on', 'info', '-q']).code).toBe(1);
    expect(run(['audit', tar, '--fail-on', 'critical', '-q']).code).toBe(0);
    expect(run(['audit', tar, '--fail-on', 'CRITICAL', '--format', 'sarif', '-q']).code).toBe(0);
  });

  it('--fail-on sees every finding even when --min-severity hides some', () => {
    const r = run(['audit', tar, '--fail-on', 'low', '--min-severity', 'critical', '--json']);
    expect(r.code).toBe(1);
    expect((JSON.parse(r.stdout) as Doc).findings).toEqual([]);
  });

  it('unreadable input exits 3 with one sentence; a bad severity is a usage error', () => {
    const r = run(['audit', join(FIXTURES, 'README.md'), '--fail-on', 'high']);
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(run(['audit', tar, '--fail-on', 'severe']).code).toBe(2);
  });

  it('a tampered layer becomes a critical layer-diffid-mismatch finding (diffIDs from the truth file)', async () => {
    const { writeFileSync } = await import('node:fs');
    const t = truthOf('oci');
    const dir = tempDir('ld-audit-');
    spawnSync('cp', ['-r', join(DIR, t.archive), dir]);
    const layer = t.images[0]!.layers[5]!;
    const blob = join(dir, t.archive, layer.blob_path);
    const bytes = readFileSync(blob);
    // flip one byte inside the body of the layer's last member (a tar body byte, not a header)
    const i = bytes.indexOf(Buffer.from('modify-me')) + 600;
    bytes[i] = bytes[i]! ^ 0x01;
    writeFileSync(blob, bytes);
    const r = run(['audit', join(dir, t.archive), '--json', '--fail-on', 'critical', '-q']);
    expect(r.code).toBe(1);
    const f = (JSON.parse(r.stdout) as Doc).findings[0]!;
    expect(f).toMatchObject({ rule: 'layer-diffid-mismatch', severity: 'critical', layerIndex: 5 });
    expect(f.detail).toContain(layer.diff_id);
  });
});

describe('audit --format sarif', () => {
  const tar = join(DIR, 'fixture.docker-archive.tar');
  const sarif = JSON.parse(run(['audit', tar, '--format', 'sarif']).stdout);
  const doc = JSON.parse(run(['audit', tar, '--json']).stdout) as Doc;

  it('has the 2.1.0 log structure: version, $schema, one run with tool.driver.rules', () => {
    expect(sarif.version).toBe('2.1.0');
    expect(sarif.$schema).toMatch(/^https:\/\/.*sarif-schema-2\.1\.0\.json$/);
    expect(sarif.runs).toHaveLength(1);
    const driver = sarif.runs[0].tool.driver;
    expect(driver.name).toBe('layerdig');
    const ids = driver.rules.map((r: { id: string }) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const r of driver.rules) {
      expect(typeof r.shortDescription.text).toBe('string');
      expect(['error', 'warning', 'note']).toContain(r.defaultConfiguration.level);
      expect(Number(r.properties['security-severity'])).toBeGreaterThanOrEqual(0);
    }
  });

  it('one result per finding, with ruleId, level, message and a location naming image, layer and path', () => {
    const run0 = sarif.runs[0];
    const ids: string[] = run0.tool.driver.rules.map((r: { id: string }) => r.id);
    expect(run0.results).toHaveLength(doc.findings.length);
    const level: Record<string, string> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
    run0.results.forEach((res: any, i: number) => {
      const f = doc.findings[i]!;
      expect(res.ruleId).toBe(f.rule);
      expect(ids[res.ruleIndex]).toBe(res.ruleId);
      expect(res.level).toBe(level[f.severity]);
      expect(res.message.text).toContain(f.detail);
      const loc = res.locations[0];
      const uri: string = loc.physicalLocation.artifactLocation.uri;
      expect(uri).not.toMatch(/[\s"<>\\^`{|}]/); // a URI reference: no raw spaces or unsafe characters
      if (f.path !== null) expect(decodeURIComponent(uri)).toBe(f.path);
      else expect(uri).toBe(`blobs/sha256/${(doc.image.id as string).slice(7)}`);
      const fqn: string = loc.logicalLocations[0].fullyQualifiedName;
      expect(fqn.startsWith('localhost/rw/fixture:1.0')).toBe(true);
      if (f.layerIndex !== null) expect(fqn).toContain(`//layers/${f.layerIndex}//`);
      expect(fqn.endsWith(f.path ?? 'config')).toBe(true);
      expect(res.properties.severity).toBe(f.severity);
    });
  });
});
