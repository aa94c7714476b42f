import { toDigest, type Digest } from '../digest.js';
import { BoltDb, type BoltBucket } from '../store/bbolt.js';

/**
 * containerd's own records, decoded from its bbolt files (containerd
 * core/metadata/buckets.go and snapshots/storage/bolt.go):
 *
 *   meta.db  v1/<namespace>/images/<name>/{target/{digest,mediatype,size}, labels/, annotations/, createdat, updatedat}
 *            v1/<namespace>/content/blob/<digest>/{size, labels/, createdat, updatedat}
 *            v1/<namespace>/snapshots/<snapshotter>/<key>/{name, parent, labels/, createdat, updatedat}
 *            v1/<namespace>/containers/<id>/{image, snapshotKey, snapshotter, runtime/name, labels/, createdat, updatedat}
 *   metadata.db (a snapshotter's)  v1/snapshots/<name>/{id, kind, parent, labels/, createdat, updatedat}
 *
 * A namespace's snapshot key (an image layer's chainID, a container's id) maps
 * to the snapshotter's own name (`<namespace>/<n>/<key>`), which has the
 * numeric id naming its directory `snapshots/<id>/fs`. Integers are Go varints
 * (sizes zig-zag signed, ids unsigned), times Go's time.MarshalBinary.
 */

export interface CtrImage {
  namespace: string;
  name: string;
  target: { digest: Digest; mediaType: string; size: number };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface CtrContent {
  namespace: string;
  digest: Digest;
  size: number | null;
  labels: Record<string, string>;
}

export interface CtrContainer {
  namespace: string;
  id: string;
  image: string;
  snapshotKey: string;
  snapshotter: string;
  runtime: string;
  /** the OCI runtime spec as stored: a protobuf Any holding JSON */
  spec: Buffer | undefined;
  labels: Record<string, string>;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface CtrMeta {
  images: CtrImage[];
  content: CtrContent[];
  /** namespace → snapshotter → key → the snapshotter's own name for it */
  snapshots: Map<string, Map<string, Map<string, string>>>;
  containers: CtrContainer[];
  /** records that could not be decoded, one sentence each (the rest is read) */
  problems: string[];
}

export type SnapshotKind = 'view' | 'active' | 'committed' | 'unknown';

export interface CtrSnapshot {
  name: string;
  id: string;
  kind: SnapshotKind;
  parent: string | null;
  labels: Record<string, string>;
}

const KINDS: Record<number, SnapshotKind> = { 1: 'view', 2: 'active', 3: 'committed' };
/** seconds from 0001-01-01 (Go's zero time) to 1970-01-01 */
const UNIX_FROM_GO = 62135596800n;

/** Go's binary.Uvarint; null when malformed */
export function uvarint(b: Buffer | undefined): bigint | null {
  if (!b) return null;
  let x = 0n;
  for (let i = 0; i < b.length && i < 10; i++) {
    x |= BigInt(b[i]! & 0x7f) << BigInt(7 * i);
    if (b[i]! < 0x80) return x;
  }
  return null;
}

/** Go's binary.Varint (zig-zag) */
export function varint(b: Buffer | undefined): number | null {
  const u = uvarint(b);
  if (u === null) return null;
  const v = u & 1n ? -(u >> 1n) - 1n : u >> 1n;
  return Number(v);
}

/** Go's time.MarshalBinary (versions 1 and 2) as RFC 3339 in UTC, nanoseconds kept */
export function goTime(b: Buffer | undefined): string | null {
  if (!b || (b[0] !== 1 && b[0] !== 2) || b.length < 15) return null;
  const sec = b.readBigInt64BE(1) - UNIX_FROM_GO;
  const nsec = b.readUInt32BE(9);
  const iso = new Date(Number(sec) * 1000).toISOString().slice(0, 19);
  return nsec ? `${iso}.${String(nsec).padStart(9, '0').replace(/0+$/, '')}Z` : `${iso}Z`;
}

const text = (b: Buffer | undefined) => (b ? b.toString('utf8') : '');

function strings(b: BoltBucket | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of b?.entries() ?? []) if (e.value) out[e.key.toString('utf8')] = e.value.toString('utf8');
  return out;
}

function fields(b: BoltBucket): { values: Map<string, Buffer>; buckets: Map<string, BoltBucket> } {
  const values = new Map<string, Buffer>();
  const buckets = new Map<string, BoltBucket>();
  for (const e of b.entries()) {
    if (e.value) values.set(e.key.toString('utf8'), e.value);
    else if (e.bucket) buckets.set(e.key.toString('utf8'), e.bucket);
  }
  return { values, buckets };
}

function children(b: BoltBucket | undefined): [string, BoltBucket][] {
  const out: [string, BoltBucket][] = [];
  for (const e of b?.entries() ?? []) if (e.bucket) out.push([e.key.toString('utf8'), e.bucket]);
  return out;
}

/** Decode containerd's meta.db (`where` names it in errors). */
export function readMetaDb(buf: Buffer, where: string): CtrMeta {
  const db = new BoltDb(buf, where);
  const out: CtrMeta = { images: [], content: [], snapshots: new Map(), containers: [], problems: [] };
  const v1 = db.root().bucket('v1');
  if (!v1) return out;
  for (const [namespace, ns] of children(v1)) {
    const parts = fields(ns).buckets;
    for (const [name, b] of children(parts.get('images'))) {
      const f = fields(b);
      const t = f.buckets.get('target');
      const tf = t ? fields(t).values : new Map<string, Buffer>();
      const digest = toDigest(text(tf.get('digest')));
      if (!digest) {
        out.problems.push(`${where}: image ${name} (namespace ${namespace}) has no valid target digest: skipped`);
        continue;
      }
      out.images.push({
        namespace, name,
        target: { digest, mediaType: text(tf.get('mediatype')), size: varint(tf.get('size')) ?? -1 },
        labels: strings(f.buckets.get('labels')), annotations: strings(f.buckets.get('annotations')),
        createdAt: goTime(f.values.get('createdat')), updatedAt: goTime(f.values.get('updatedat')),
      });
    }
    for (const [key, b] of children(parts.get('content')?.bucket('blob'))) {
      const digest = toDigest(key);
      if (!digest) continue;
      const f = fields(b);
      out.content.push({ namespace, digest, size: varint(f.values.get('size')), labels: strings(f.buckets.get('labels')) });
    }
    const bySnapshotter = new Map<string, Map<string, string>>();
    for (const [snapshotter, sb] of children(parts.get('snapshots'))) {
      const keys = new Map<string, string>();
      for (const [key, b] of children(sb)) {
        const name = text(fields(b).values.get('name'));
        if (name) keys.set(key, name);
      }
      bySnapshotter.set(snapshotter, keys);
    }
    out.snapshots.set(namespace, bySnapshotter);
    for (const [id, b] of children(parts.get('containers'))) {
      const f = fields(b);
      out.containers.push({
        namespace, id, image: text(f.values.get('image')), snapshotKey: text(f.values.get('snapshotKey')),
        snapshotter: text(f.values.get('snapshotter')), runtime: text(f.buckets.get('runtime')?.get('name')), spec: f.values.get('spec'),
        labels: strings(f.buckets.get('labels')),
        createdAt: goTime(f.values.get('createdat')), updatedAt: goTime(f.values.get('updatedat')),
      });
    }
  }
  return out;
}

/** Decode a snapshotter's metadata.db: its snapshots by its own name. */
export function readSnapshotterDb(buf: Buffer, where: string): Map<string, CtrSnapshot> {
  const db = new BoltDb(buf, where);
  const out = new Map<string, CtrSnapshot>();
  for (const [name, b] of children(db.root().dig('v1', 'snapshots'))) {
    const f = fields(b);
    const id = uvarint(f.values.get('id'));
    if (id === null) continue;
    const kind = f.values.get('kind');
    out.set(name, {
      name, id: String(id), kind: KINDS[kind?.[0] ?? 0] ?? 'unknown',
      parent: f.values.has('parent') ? text(f.values.get('parent')) : null, labels: strings(f.buckets.get('labels')),
    });
  }
  return out;
}
