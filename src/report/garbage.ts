import type { GarbageResult } from '../analysis/registry-garbage.js';
import { humanSize, id, printable } from './text.js';
import { table } from './table.js';

/** One registry storage's garbage, as `garbage` prints and `--json` gives it. */
export interface GarbageReport extends GarbageResult {
  archive: string;
}

export function garbageDocument(r: GarbageReport) {
  return {
    archive: r.archive,
    deleteUntagged: r.deleteUntagged,
    blobs: r.blobCount,
    storeBytes: r.storeBytes,
    marked: r.marked,
    garbageBlobs: r.garbage.length,
    garbageBytes: r.garbageBytes,
    garbage: r.garbage.map((g) => ({ digest: g.digest, size: g.size, member: g.member, linkedIn: g.linkedIn, deletedIn: g.deletedIn, untaggedIn: g.untaggedIn })),
    manifests: r.manifests,
    unmarkable: r.unmarkable,
    uploads: r.uploads,
    uploadBytes: r.uploadBytes,
  };
}

/** Past this many rows the columns are laid out here, not fitted to the terminal (the renderer before table.ts took minutes over tens of thousands of rows). */
const MANY = 1000;

/** The same borderless columns as table(), 3 spaces apart, without fitting them to the terminal. */
function columns(head: string[], rows: string[][]): string {
  const cells = [head, ...rows.map((r) => r.map((c) => printable(c)))];
  const w = head.map((_, i) => Math.max(...cells.map((r) => [...(r[i] ?? '')].length)));
  return cells.map((r) => r.map((c, i) => (i === r.length - 1 ? c : c + ' '.repeat(w[i]! - [...c].length + 3))).join('').trimEnd()).join('\n');
}

/** A table of the garbage blobs, the total, and (with --delete-untagged) the manifests deleted. */
export function renderGarbage(reports: GarbageReport[], full: boolean): string {
  return reports.map((r) => {
    const what = `what \`registry garbage-collect --dry-run${r.deleteUntagged ? ' --delete-untagged' : ''}\` would delete`;
    const head = `${r.archive}: ${r.garbage.length} of ${r.blobCount} blobs are garbage, ${humanSize(r.garbageBytes)} of ${humanSize(r.storeBytes)} (${what})`;
    const rows = r.garbage.map((g) => [id(g.digest, full), humanSize(g.size), String(g.size), [...g.linkedIn, ...g.deletedIn.map((n) => `${n} (deleted manifest)`), ...g.untaggedIn.map((n) => `${n} (untagged manifest)`)].join(', ') || '-']);
    rows.push(['TOTAL', humanSize(r.garbageBytes), String(r.garbageBytes), '']);
    const parts = [head, (rows.length > MANY ? columns : table)(['BLOB', 'SIZE', 'BYTES', 'FROM'], rows)];
    if (r.manifests.length) {
      parts.push(`manifests --delete-untagged deletes (${r.manifests.length}):`);
      parts.push(table(['REPOSITORY', 'MANIFEST', 'LISTED BY'], r.manifests.map((m) => [
        m.repository, id(m.digest, full),
        m.listedBy.map((x) => `${x.tags.map((t) => `${m.repository}:${t}`).join(', ')} (an index: it breaks)`).join('; ') || '-',
      ])));
    }
    if (r.uploads.length) {
      parts.push(`unfinished uploads (${r.uploads.length}, ${humanSize(r.uploadBytes)}): garbage-collect leaves them; the registry purges uploads older than its uploadpurging age (default 1 week)`);
      parts.push(table(['REPOSITORY', 'UPLOAD', 'SIZE', 'BYTES'], r.uploads.map((u) => [u.repository, u.member.split('/').slice(-2, -1)[0] ?? u.member, humanSize(u.size), String(u.size)])));
    }
    return parts.join('\n');
  }).join('\n\n');
}
