import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import type { CommandModule } from '../argv/types.js';
import type { Archive } from '../../app/archive.js';
import type { Image } from '../../image/model.js';
import { readFinalFiles } from '../../layer/final-file.js';
import { OS_RELEASE_PATHS, parseOsRelease } from '../../analysis/os-release.js';
import type { Distro } from '../../packages/purl.js';
import { cycloneDx, spdx } from '../../report/sbom.js';
import { unownedFiles } from '../../packages/unowned.js';
import { comparePackages } from '../../packages/compare.js';
import { imageRef } from '../../report/images.js';
import { EXIT, LayerdigError } from '../../errors.js';
import { emit, globalOptions, layerReader, note, openAll, warn, type GlobalArgs } from '../context.js';
import { loadImages, loadSelected, warnMismatches } from '../content.js';
import { finalPackages, scanPackages } from '../../packages/scan.js';
import { attribute } from '../../packages/attribution.js';
import { matchesQuery, parsePackageQuery } from '../../packages/find.js';
import { parsePlatform, platformMatches } from '../../image/select.js';
import { Catalog } from '../../catalog/catalog.js';
import { namesOf } from '../../analysis/summary.js';
import { dbOption, dbPath } from '../summaries.js';
import { platformFilter } from '../../analysis/summary.js';
import type { PackageQuery } from '../../packages/find.js';
import { findHit, unownedReport, renderUnowned, renderPackageDiff, packagesReport, renderFindHits, renderPackageHistory, renderPackages, type FindHit } from '../../report/packages.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { db?: string; input: string[]; image?: string; history: boolean; unowned: boolean; find?: string; diff?: string; sbom?: 'spdx' | 'cyclonedx'; output?: string }

/** Some images answered, some could not be read (the lead's exit code 5). */
const PARTIAL = 5;

export const packages: CommandModule<object, Args> = {
  ...SPECS.packages,
  builder: (y) => dbOption(globalOptions(y)
    .positional('input', { type: 'string', array: true, describe: 'archive or image directory (with --find: any number, directories searched; with --db: optional, they narrow the catalog)' })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('history', { type: 'boolean', default: false, describe: 'per layer: packages installed, upgraded, downgraded, removed (removed ones whose files lower layers still hold are flagged recoverable)' })
    .option('unowned', { type: 'boolean', default: false, describe: 'regular files of the final image that no installed package owns, by layer' })
    .option('diff', { type: 'string', describe: 'another archive (one image, or --platform): the packages it adds, removes, upgrades or downgrades relative to this one' })
    .option('find', { type: 'string', describe: "which images hold a package: NAME, 'NAME<VERSION', 'deb:NAME>=A,<B' (versions compared by dpkg, rpm or apk rules)" })
    .option('sbom', { choices: ['spdx', 'cyclonedx'] as const, describe: 'write an SPDX 2.3 or CycloneDX 1.5 JSON SBOM (purls; layer attribution as properties) to -o FILE' })
    .option('output', { alias: 'o', type: 'string', describe: 'with --sbom: the file to write (- for stdout)' }),
  'with --find: answer from the package inventories (recorded by `index --packages`)')
    .example('$0 packages app.tar', 'every package, its version and the step that installed it')
    .example('$0 packages app.tar --history', 'what each layer did to the package databases')
    .example('$0 packages app.tar --sbom cyclonedx -o app.cdx.json', 'an SBOM whose packages say which layer and step installed them')
    .example('$0 packages old.tar --diff new.tar', 'what a rebuild changed in the packages, with both versions')
    .example("$0 packages images/ --find 'openssl<3.0.12'", 'every image with an openssl older than 3.0.12')
    .example("$0 packages --find 'openssl<3.0.12' --db", 'the same from the catalog, no archive opened') as never,
  async handler(a) {
    a.input ??= [];
    if (a.db !== undefined && a.find === undefined) throw new LayerdigError('E_USAGE', '--db answers --find from the catalog\'s package inventories: add --find \'NAME<VERSION\' (or drop --db)');
    if (a.db === undefined && a.input.length === 0) throw new LayerdigError('E_USAGE', 'name an archive or image directory (or, with --find, answer from the catalog with --db)');
    if (a.sbom !== undefined && !a.output) throw new LayerdigError('E_USAGE', `name the file to write with -o FILE (or - for stdout): --sbom ${a.sbom} -o sbom.json`);
    if (a.sbom !== undefined && (a.find !== undefined || a.history || a.json)) throw new LayerdigError('E_USAGE', '--sbom writes one document: not with --find, --history or --json');
    if (a.output !== undefined && a.sbom === undefined) throw new LayerdigError('E_USAGE', '-o names the file --sbom writes: add --sbom spdx or --sbom cyclonedx');
    if (a.unowned && (a.find !== undefined || a.history || a.sbom !== undefined)) throw new LayerdigError('E_USAGE', '--unowned lists files: not with --find, --history or --sbom');
    if (a.diff !== undefined && (a.find !== undefined || a.history || a.unowned || a.sbom !== undefined)) throw new LayerdigError('E_USAGE', '--diff compares two images\' packages: not with --find, --history, --unowned or --sbom');
    if (a.find !== undefined) return find(a);
    if (a.diff !== undefined) return diffImages(a);
    if (a.input.length !== 1) throw new LayerdigError('E_USAGE', `name one archive or image directory (${a.input.length} given); --find searches many`);
    const [ar] = await openAll(a, a.input, false);
    try {
      const { reader, loaded } = await loadSelected(a, ar!);
      const img = loaded.image;
      const scan = await scanPackages(ar!.store, reader, img, loaded.overlay);
      for (const n of scan.notes) note(a, `${img.archive}: ${n}`);
      const attribution = attribute(scan.layers.map((l) => l.packages), loaded.listings);
      if (a.unowned) {
        const files = unownedFiles(loaded.overlay.final, scan.layers.at(-1)?.packages ?? []);
        emit(a, unownedReport(img, scan.databases, files), () => renderUnowned(img, scan.databases, files, !a.trunc));
        if (warnMismatches(reader)) process.exitCode = EXIT.findings;
        return;
      }
      if (a.sbom) {
        if (scan.databases.length === 0) warn(`${img.archive}: no package database (dpkg, apk or rpm) in the final image: the SBOM lists no packages`);
        const distro = await readDistro(ar!, img);
        const input = { image: img, attribution, distro, tool: { name: 'layerdig', version: toolVersion() }, created: createdNow() };
        writeOutput(a.output!, `${JSON.stringify(a.sbom === 'spdx' ? spdx(input) : cycloneDx(input), null, 2)}\n`);
        if (a.output !== '-') note(a, `wrote ${a.output}: ${a.sbom === 'spdx' ? 'SPDX 2.3' : 'CycloneDX 1.5'}, ${attribution.packages.length} packages`);
        if (warnMismatches(reader)) process.exitCode = EXIT.findings;
        return;
      }
      emit(a, packagesReport(img, scan.databases, attribution, a.history),
        () => (a.history ? renderPackageHistory(img, attribution, !a.trunc) : renderPackages(img, scan.databases, attribution, !a.trunc)));
      if (warnMismatches(reader)) process.exitCode = EXIT.findings;
    } finally {
      ar!.close();
    }
  },
};

async function find(a: Args): Promise<void> {
  let query;
  try {
    query = parsePackageQuery(a.find!);
  } catch (e) {
    throw new LayerdigError('E_USAGE', `--find: ${(e as Error).message}`);
  }
  if (a.history) throw new LayerdigError('E_USAGE', '--find and --history do not go together');
  if (a.db !== undefined) return findInCatalog(a, query);
  const want = a.platform ? parsePlatform(a.platform) : null;
  const reader = layerReader(a);
  const hits: FindHit[] = [];
  let failed = 0;
  let searched = 0;
  for (const ar of await openAll(a, a.input)) {
    try {
      const images = ar.images.filter((i) => !want || platformMatches(i.platform, want));
      for (const loaded of await loadImages(reader, ar, images)) {
        try {
          const scan = await scanPackages(ar.store, reader, loaded.image, loaded.overlay);
          const att = attribute(scan.layers.map((l) => l.packages), loaded.listings);
          searched++;
          for (const p of att.packages) if (matchesQuery(query, p)) hits.push(findHit(loaded.image, p));
        } catch (e) {
          if (!(e instanceof LayerdigError)) throw e;
          failed++;
          warn(`${e.message} — this image was not searched`);
        }
      }
    } finally {
      ar.close();
    }
  }
  emit(a, hits, () => renderFindHits(hits, !a.trunc));
  if (warnMismatches(reader)) process.exitCode = EXIT.findings;
  else if (failed > 0 && searched > 0) process.exitCode = PARTIAL;
  else if (failed > 0) process.exitCode = EXIT.unreadable;
  else if (hits.length === 0) process.exitCode = EXIT.notFound;
}

/** The distribution for purls: os-release of the final image, when it has one. */
async function readDistro(ar: Archive, img: Image): Promise<Distro> {
  const scan = await readFinalFiles(ar.store, img, OS_RELEASE_PATHS);
  for (const p of OS_RELEASE_PATHS) {
    const r = scan.results.get(p)!;
    if ('found' in r) {
      const os = parseOsRelease(r.found.content.toString('utf8'));
      return { id: os.id, versionId: os.versionId };
    }
  }
  return { id: null, versionId: null };
}

function toolVersion(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}

/** Document time: SOURCE_DATE_EPOCH when set (reproducible SBOMs), else now; UTC, whole seconds. */
function createdNow(): string {
  const sde = process.env.SOURCE_DATE_EPOCH;
  const ms = sde && /^\d+$/.test(sde) ? Number(sde) * 1000 : Date.now();
  return new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Write the whole file or nothing: a temporary sibling renamed over the target. */
function writeOutput(out: string, text: string): void {
  if (out === '-') {
    process.stdout.write(text);
    return;
  }
  const tmp = `${out}.layerdig-${process.pid}.tmp`;
  try {
    writeFileSync(tmp, text);
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new LayerdigError('E_IO', `cannot write ${out}: ${(e as Error).message}`);
  }
}

/** The final packages of one image of an archive (-i/--platform select it; the second archive must hold one): its final database files only. */
async function finalOf(a: Args, path: string, selector: string | undefined) {
  const [ar] = await openAll(a, [path], false);
  try {
    const { reader, loaded } = await loadSelected({ ...a, image: selector }, ar!);
    const fp = await finalPackages(ar!.store, reader, loaded.image, loaded.overlay);
    for (const n of fp.notes) note(a, `${loaded.image.archive}: ${n}`);
    const warned = warnMismatches(reader);
    return { image: loaded.image, databases: fp.databases, packages: fp.packages, warned };
  } finally {
    ar!.close();
  }
}

async function diffImages(a: Args): Promise<void> {
  if (a.input.length !== 1) throw new LayerdigError('E_USAGE', `name one archive before --diff (${a.input.length} given)`);
  const A = await finalOf(a, a.input[0]!, a.image);
  const B = await finalOf(a, a.diff!, undefined);
  const changes = comparePackages(A.packages, B.packages);
  emit(a, { a: imageRef(A.image), b: imageRef(B.image), changes }, () => renderPackageDiff(A.image, B.image, changes));
  if (A.warned || B.warned) process.exitCode = EXIT.findings;
}

/**
 * `--find --db`: the packages recorded by `index --packages`, no archive
 * opened. SQL narrows by name; the version range is checked here, by the
 * ecosystem's own rules, exactly as a direct search does. Images indexed
 * without --packages, or whose databases could not be read then, are named
 * and counted as not searched.
 */
function findInCatalog(a: Args, query: PackageQuery): void {
  const db = dbPath(a.db!);
  const cat = Catalog.open(db, { create: false });
  try {
    const roots = a.input.length ? a.input : null;
    const r = cat.packagesNamed(query.name, roots);
    for (const s of r.stale) warn(`${s.archive}: in the catalog but ${s.why === 'gone' ? 'gone (moved or deleted)' : 'changed since it was indexed'}: not used (run \`layerdig index --packages\` again)`);
    const inPlatform = (s: Parameters<typeof platformFilter>[0][number]) => platformFilter([s], a.platform).length === 1;
    const hits: FindHit[] = r.hits.filter((h) => inPlatform(h.image) && matchesQuery(query, h.pkg)).map(({ image: s, pkg: p }) => ({
      image: { archive: s.archive, id: s.id, repoTags: s.repoTags, manifestDigest: s.manifestDigest, platform: s.platform },
      imageName: namesOf(s)[0] ?? null,
      ecosystem: p.ecosystem, name: p.name, version: p.version, arch: p.arch, layerIndex: p.layerIndex, diffId: p.diffId, step: p.step,
    }));
    const unrecorded = r.unrecorded.filter(inPlatform);
    const unreadable = r.unreadable.filter((u) => inPlatform(u.image));
    if (unrecorded.length) {
      const archives = [...new Set(unrecorded.map((s) => s.archive))];
      const where = archives.length <= 3 ? archives.join(' ') : roots ? roots.join(' ') : `${archives.slice(0, 3).join(' ')} …`;
      warn(`${unrecorded.length} image${unrecorded.length === 1 ? '' : 's'} not searched: indexed without package inventories: run \`layerdig index --packages ${where} --db ${db}\``);
    }
    for (const u of unreadable) warn(`${u.image.archive}: image ${u.image.id.slice(7, 19)}: its package databases could not be read when indexed (${u.error}) — this image was not searched`);
    emit(a, hits, () => renderFindHits(hits, !a.trunc));
    const failed = unrecorded.length + unreadable.length;
    const searched = cat.summaries(roots).images.filter(inPlatform).length - failed;
    if (failed > 0 && searched > 0) process.exitCode = PARTIAL;
    else if (failed > 0) process.exitCode = EXIT.unreadable;
    else if (hits.length === 0) process.exitCode = EXIT.notFound;
  } finally {
    cat.close();
  }
}
