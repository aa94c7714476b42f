import type { Image } from '../image/model.js';
import type { Attribution, PackageEvent } from '../packages/attribution.js';
import { describeImage, imageNames } from '../image/select.js';
import { imageRef } from './images.js';
import { ellipsis, humanSize } from './text.js';
import { table } from './table.js';
import type { UnownedFile } from '../packages/unowned.js';
import { diffSummary, type PackageDiff } from '../packages/compare.js';
import { stepOf } from '../image/history.js';

/** The history step (created_by) that made each layer, '' when none says. */

export function packagesReport(img: Image, databases: string[], a: Attribution, withHistory: boolean) {
  const layerRef = (k: number) => ({ layerIndex: k, diffId: img.layers[k]!.diffId, step: stepOf(img, k) });
  return {
    image: imageRef(img),
    databases,
    packages: a.packages.map((p) => ({
      ecosystem: p.ecosystem, name: p.name, version: p.version, arch: p.arch, source: p.source, files: p.files,
      ...layerRef(p.layerIndex),
      earlier: p.earlier,
    })),
    ...(withHistory ? {
      history: a.events.map((events, k) => ({ ...layerRef(k), events: events.map(eventJson) })),
    } : {}),
  };
}

const eventJson = (e: PackageEvent) => ({
  change: e.change, ecosystem: e.ecosystem, name: e.name, arch: e.arch, version: e.version, previous: e.previous,
  ...(e.recoverable ? { recoverable: e.recoverable } : {}),
});

export function renderPackages(img: Image, databases: string[], a: Attribution, full: boolean): string {
  const head = `IMAGE ${describeImage(img)}`;
  if (databases.length === 0) return `${head}\nno package database (dpkg, apk or rpm) in the final image`;
  const rows = a.packages.map((p) => [
    p.ecosystem, p.name, p.version, p.arch, p.source ?? '',
    p.earlier.length ? `${p.layerIndex} (was ${p.earlier.map((e) => `${e.version}@${e.layerIndex}`).join(', ')})` : String(p.layerIndex),
    ellipsis(stepOf(img, p.layerIndex), 50, full),
  ]);
  return `${head}\n${table(['ECOSYSTEM', 'NAME', 'VERSION', 'ARCH', 'SOURCE', 'LAYER', 'STEP'], rows)}\n${a.packages.length} packages`;
}

const CHANGE_WORD: Record<PackageEvent['change'], string> = {
  installed: 'installed', upgraded: 'upgraded', downgraded: 'downgraded', reinstalled: 'reinstalled', removed: 'removed',
};

export function renderPackageHistory(img: Image, a: Attribution, full: boolean): string {
  const rows: string[][] = [];
  a.events.forEach((events, k) => {
    for (const e of events) {
      const version = e.change === 'removed' ? e.previous ?? '' : e.previous ? `${e.previous} → ${e.version}` : e.version ?? '';
      const rec = e.recoverable && e.recoverable.files > 0 ? `recoverable: ${e.recoverable.files} files, ${humanSize(e.recoverable.bytes)} in lower layers` : '';
      rows.push([String(k), ellipsis(stepOf(img, k), 40, full), CHANGE_WORD[e.change], `${e.ecosystem}:${e.name}`, version, rec]);
    }
  });
  if (rows.length === 0) return `IMAGE ${describeImage(img)}\nno package was installed, changed or removed by any layer`;
  return `IMAGE ${describeImage(img)}\n${table(['LAYER', 'STEP', 'CHANGE', 'PACKAGE', 'VERSION', 'NOTE'], rows)}`;
}

export interface FindHit {
  image: ReturnType<typeof imageRef>;
  /** a tag, else the OCI ref name, else null */
  imageName: string | null;
  ecosystem: string;
  name: string;
  version: string;
  arch: string;
  layerIndex: number;
  diffId: string;
  step: string;
}

export function findHit(img: Image, p: Attribution['packages'][number]): FindHit {
  return { image: imageRef(img), imageName: imageNames(img)[0] ?? null, ecosystem: p.ecosystem, name: p.name, version: p.version, arch: p.arch, layerIndex: p.layerIndex, diffId: img.layers[p.layerIndex]!.diffId, step: stepOf(img, p.layerIndex) };
}

export function renderFindHits(hits: FindHit[], full: boolean): string {
  if (hits.length === 0) return 'no image has a matching package';
  const name = (h: FindHit) => h.imageName ?? h.image.id.slice(7, 19);
  return table(['IMAGE', 'ECOSYSTEM', 'NAME', 'VERSION', 'ARCH', 'LAYER', 'STEP', 'ARCHIVE'],
    hits.map((h) => [name(h), h.ecosystem, h.name, h.version, h.arch, String(h.layerIndex), ellipsis(h.step, 40, full), h.image.archive]));
}

export function unownedReport(img: Image, databases: string[], files: UnownedFile[]) {
  return { image: imageRef(img), databases, files: files.map((f) => ({ ...f, diffId: img.layers[f.layerIndex]!.diffId, step: stepOf(img, f.layerIndex) })) };
}

export function renderUnowned(img: Image, databases: string[], files: UnownedFile[], full: boolean): string {
  const head = `IMAGE ${describeImage(img)}`;
  const none = databases.length === 0 ? ' (the image has no package database: every file is unowned)' : '';
  if (files.length === 0) return `${head}\nevery regular file is owned by an installed package${none}`;
  let total = 0;
  for (const f of files) total += f.size;
  return `${head}${none ? `\n${none.trim()}` : ''}\n${table(['LAYER', 'STEP', 'PATH', 'SIZE'], files.map((f) => [String(f.layerIndex), ellipsis(stepOf(img, f.layerIndex), 40, full), `/${f.path}`, humanSize(f.size)]))}\n${files.length} unowned files, ${humanSize(total)}`;
}

export function renderPackageDiff(a: Image, b: Image, changes: PackageDiff[]): string {
  return `A ${describeImage(a)}\nB ${describeImage(b)}\n${packageDiffTable(changes)}`;
}

/** The table of package changes, then one count line per ecosystem. */
export function packageDiffTable(changes: readonly PackageDiff[]): string {
  if (changes.length === 0) return 'the same packages in the same versions';
  const counts = Object.entries(diffSummary(changes)).map(([eco, s]) =>
    `${eco}: ${Object.entries(s).filter(([, n]) => n > 0).map(([k, n]) => `${n} ${k}`).join(', ')}`);
  return `${table(['CHANGE', 'ECOSYSTEM', 'NAME', 'ARCH', 'A', 'B'], changes.map((c) => [c.change, c.ecosystem, c.name, c.arch, c.a.join(', ') || '-', c.b.join(', ') || '-']))}\n${counts.join('\n')}`;
}

/** `diff`'s package section: what B's installed packages are relative to A's (null: not asked for). */
export interface PackageSection {
  databasesA: string[];
  databasesB: string[];
  changes: PackageDiff[];
  /** a database that could not be read: the section has no changes, this says why */
  error: string | null;
}

export function packageSectionJson(p: PackageSection) {
  return { ...p, summary: diffSummary(p.changes) };
}

export function renderPackageSection(p: PackageSection): string {
  if (p.error !== null) return `PACKAGES\nnot compared: ${p.error}`;
  if (p.databasesA.length === 0 && p.databasesB.length === 0) return 'PACKAGES\nno package database (dpkg, apk or rpm) in either image';
  const dbs = (d: string[]) => (d.length ? d.join(', ') : 'none');
  return `PACKAGES (databases: A ${dbs(p.databasesA)}; B ${dbs(p.databasesB)})\n${packageDiffTable(p.changes)}`;
}
