import type { Readable } from 'node:stream';
import { LayerdigError } from '../errors.js';
import type { LayerEntry } from '../layer/entry.js';
import type { ExtractPlan, BodyGroup, PlanEntry } from '../analysis/extract-plan.js';
import type { SafeDirWriter } from './dir-writer.js';
import type { TarHeader, TarWriter } from './tar-writer.js';

/**
 * Carry out an extraction plan: entries without bodies first (directories,
 * symbolic links, devices), then every file as its layer streams by, each
 * followed by the hard links that share it. `visit` streams the bodies of the
 * wanted entries (each layer read once).
 */
export type VisitBodies = (want: ReadonlySet<LayerEntry>, fn: (entry: LayerEntry, body: Readable) => Promise<void>) => Promise<void>;

export interface WriteSummary {
  dirs: number;
  files: number;
  hardlinks: number;
  symlinks: number;
  rewrittenSymlinks: number;
  specials: number;
  /** devices and fifos not created (extract only) */
  skippedSpecials: string[];
  /** hard links whose target was missing in the image */
  skippedDangling: string[];
  bytes: number;
}

async function streamGroups(plan: ExtractPlan, visit: VisitBodies, write: (g: BodyGroup, body: Readable) => Promise<void>): Promise<void> {
  const groups = plan.groups;
  const done = new Set<LayerEntry>();
  await visit(new Set(groups.keys()), async (entry, body) => {
    const g = groups.get(entry);
    if (!g || done.has(entry)) return;
    done.add(entry);
    await write(g, body);
  });
  for (const g of groups.values()) {
    if (!done.has(g.source)) {
      throw new LayerdigError('E_BAD_ARCHIVE', `layer ${g.sourceLayer}: ${g.source.path} was in the listing but not found when its body was read`);
    }
  }
}

const summary = (plan: ExtractPlan): WriteSummary => ({
  dirs: 0, files: 0, hardlinks: 0, symlinks: 0, rewrittenSymlinks: 0, specials: 0,
  skippedSpecials: [], skippedDangling: plan.dangling.map((d) => d.path), bytes: 0,
});

/** Write the plan under a directory (the writer refuses anything that would leave it). */
export async function extractToDir(plan: ExtractPlan, w: SafeDirWriter, visit: VisitBodies): Promise<WriteSummary> {
  const s = summary(plan);
  for (const d of plan.dirs) {
    await w.dir(d.path, d.entry.mode, d.entry.mtime);
    s.dirs++;
  }
  for (const l of plan.symlinks) {
    await w.symlink(l.path, l.target, l.entry.mtime);
    s.symlinks++;
    if (l.rewritten) s.rewrittenSymlinks++;
  }
  s.skippedSpecials = plan.specials.map((x) => x.path);
  await streamGroups(plan, visit, async (g, body) => {
    await w.file(g.owner.path, body, g.owner.entry.mode, g.owner.entry.mtime);
    s.files++;
    s.bytes += g.source.size;
    for (const l of g.links) {
      await w.hardlink(l.path, g.owner.path);
      s.hardlinks++;
    }
  });
  await w.finish();
  return s;
}

function header(p: PlanEntry, over: Partial<TarHeader> = {}): TarHeader {
  const e = p.entry;
  return {
    name: p.path, type: e.type === 'other' || e.type === 'hardlink' ? 'file' : e.type, mode: e.mode, uid: e.uid, gid: e.gid,
    mtime: e.mtime, size: 0, linkname: null, xattrs: e.xattrs,
    devmajor: e.device?.major, devminor: e.device?.minor, ...over,
  };
}

/** Write the plan as one tar (whiteouts already applied by the overlay the plan came from). */
export async function exportToTar(plan: ExtractPlan, t: TarWriter, visit: VisitBodies): Promise<WriteSummary> {
  const s = summary(plan);
  for (const d of plan.dirs) {
    await t.header(header(d, { type: 'dir' }));
    s.dirs++;
  }
  for (const l of plan.symlinks) {
    await t.header(header(l, { type: 'symlink', linkname: l.target }));
    s.symlinks++;
  }
  for (const x of plan.specials) {
    if (x.entry.type === 'other') {
      s.skippedSpecials.push(x.path);
      continue;
    }
    await t.header(header(x));
    s.specials++;
  }
  await streamGroups(plan, visit, async (g, body) => {
    // a hard link's own header carries the inode's metadata; the body comes from the file it links to
    await t.file(header(g.owner, { type: 'file', size: g.source.size }), body);
    s.files++;
    s.bytes += g.source.size;
    for (const l of g.links) {
      await t.header(header(l, { type: 'hardlink', linkname: g.owner.path, size: 0 }));
      s.hardlinks++;
    }
  });
  await t.finish();
  return s;
}
