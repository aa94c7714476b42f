import type { Member } from '../store/store.js';

/** One line of `docker diff`: A added, C changed, D deleted. */
export interface Change {
  kind: 'A' | 'C' | 'D';
  /** absolute, as docker prints it */
  path: string;
}

export interface Node {
  path: string;
  member: Member;
}

/** Every parent directory of a changed path is reported as changed too (docker's own rule). */
function withParents(changes: Map<string, Change['kind']>): Change[] {
  for (const p of [...changes.keys()]) {
    for (let d = p.slice(0, p.lastIndexOf('/')); d !== ''; d = d.slice(0, d.lastIndexOf('/'))) {
      if (!changes.has(d)) changes.set(d, 'C');
    }
  }
  return [...changes].map(([path, kind]) => ({ kind, path })).sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * overlay2: only the writable layer's upper directory is walked. A 0/0 char
 * device is a deletion; a path the image (or init layer) has is a change, else
 * an addition; a directory copied up only because something below it changed
 * is reported through its children.
 */
export function overlayChanges(upper: Iterable<Node>, lower: Map<string, { type: string; mode: number; mtime: number }>,
  isWhiteout: (m: Member) => boolean): Change[] {
  const out = new Map<string, Change['kind']>();
  for (const { path, member } of upper) {
    const abs = `/${path}`;
    if (isWhiteout(member)) {
      out.set(abs, 'D');
      continue;
    }
    const before = lower.get(path);
    if (!before) out.set(abs, 'A');
    else if (member.type !== 'dir' || before.type !== 'dir') out.set(abs, 'C');
    else if ((member.meta?.mode ?? 0) !== before.mode || Math.floor(member.meta?.mtime ?? 0) !== Math.floor(before.mtime)) out.set(abs, 'C');
  }
  return withParents(out);
}

/**
 * vfs: the writable layer is a full copy, compared with its init layer as
 * docker's naive differ does: added subtrees in full, a deleted path once,
 * a change by mode, owner, device, and (not for directories) size or mtime.
 */
export function copyChanges(newer: Iterable<Node>, older: Iterable<Node>): Change[] {
  const before = new Map<string, Member>();
  for (const n of older) before.set(n.path, n.member);
  const seen = new Set<string>();
  const out = new Map<string, Change['kind']>();
  for (const { path, member: m } of newer) {
    seen.add(path);
    const o = before.get(path);
    if (!o) {
      out.set(`/${path}`, 'A');
      continue;
    }
    const a = o.meta;
    const b = m.meta;
    const dir = m.type === 'dir' && o.type === 'dir';
    if (o.type !== m.type || a?.mode !== b?.mode || a?.uid !== b?.uid || a?.gid !== b?.gid
      || a?.char?.major !== b?.char?.major || a?.char?.minor !== b?.char?.minor
      || (!dir && (o.size !== m.size || a?.mtime !== b?.mtime || o.linkname !== m.linkname))) out.set(`/${path}`, 'C');
  }
  for (const path of before.keys()) {
    const parent = path.slice(0, path.lastIndexOf('/'));
    // a deleted directory is one line, not one per file below it
    if (!seen.has(path) && (parent === '' || seen.has(parent))) out.set(`/${path}`, 'D');
  }
  return withParents(out);
}
