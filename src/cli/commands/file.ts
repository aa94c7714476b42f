import { createReadStream, statSync } from 'node:fs';
import { dirname, sep } from 'node:path';
import type { CommandModule } from '../argv/types.js';
import { EXIT, LayerdigError } from '../../errors.js';
import { sha256Stream, toDigest, type Digest } from '../../digest.js';
import { emit, globalOptions, layerReader, note, openAll, problem, warn, type GlobalArgs } from '../context.js';
import { parsePlatform, platformMatches } from '../../image/select.js';
import { platformString } from '../../image/model.js';
import type { LayerEntry } from '../../layer/entry.js';
import { hashBodies } from '../../layer/bodies.js';
import { contentCandidates, contentQuery, findFiles, pathQuery, type FileHit, type FileImage } from '../../analysis/find-file.js';
import { pathMatcher } from '../../analysis/glob.js';
import { loadImages, warnMismatches } from '../content.js';
import { fileHitJson, renderFileHits, type OwnedHit } from '../../report/file.js';
import { ownerLookup } from '../owners.js';
import { Catalog } from '../../catalog/catalog.js';
import { absolute, display } from '../../catalog/fingerprint.js';
import { memberStorage } from '../../store/store.js';
import { catalogSummaries, dbOption, dbPath } from '../summaries.js';
import { platformFilter } from '../../analysis/summary.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs {
  args: string[];
  content?: string;
  db?: string;
  packages: boolean;
}

/** What `--content` looks for: a digest, and the size when a host file gave it. */
async function contentTarget(spec: string): Promise<{ digest: Digest; size: number | null }> {
  if (/^sha256:/i.test(spec)) {
    const d = toDigest(spec.slice(7));
    if (!d) throw new LayerdigError('E_USAGE', `--content ${spec}: a digest is sha256: followed by 64 hex digits`);
    return { digest: d, size: null };
  }
  let size: number;
  try {
    const st = statSync(spec);
    if (!st.isFile()) throw new LayerdigError('E_USAGE', `--content ${spec}: not a regular file`);
    size = st.size;
  } catch (e) {
    if (e instanceof LayerdigError) throw e;
    throw new LayerdigError('E_IO', `--content ${spec}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
  }
  return { digest: (await sha256Stream(createReadStream(spec) as AsyncIterable<Buffer>)).digest, size };
}

/**
 * An image listed twice in one archive (two ref names for one manifest) is
 * searched once: the first, by archive, image ID, platform and layer members.
 */
function distinctImages<T>(images: T[], key: (i: T) => string[]): T[] {
  const seen = new Set<string>();
  return images.filter((i) => {
    const k = key(i).join('\0');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/** Hits in archive order (code-unit order of the archive path, as the catalog and the other cross-archive commands), each archive's in image order. */
function byArchive(hits: FileHit[]): FileHit[] {
  return hits.sort((x, y) => (x.image.archive < y.image.archive ? -1 : x.image.archive > y.image.archive ? 1 : 0));
}

/** The deepest directory holding all these absolute paths. */
function commonDir(paths: string[]): string {
  const parts = paths.map((p) => dirname(p).split(sep));
  const out: string[] = [];
  for (let i = 0; parts.every((p) => i < p.length && p[i] === parts[0]![i]); i++) out.push(parts[0]![i]!);
  return out.join(sep) || sep;
}

/**
 * `file --db`: the same query over listings read back from the catalog
 * (recorded by `index --files`), through the same findFiles, so the answer is
 * the direct scan's. Images with a layer indexed without a listing are not
 * searched and counted on stderr.
 */
function fromCatalogListings(a: Args, match: (path: string) => boolean, roots: string[] | null): FileHit[] {
  const db = dbPath(a.db!);
  const cat = Catalog.open(db, { create: false });
  try {
    const images = distinctImages(platformFilter(catalogSummaries(cat, db, roots), a.platform),
      (s) => [s.archive, s.id, s.platform, ...s.layers.map((l) => l.member)]);
    const listed = new Map<string, boolean>();
    const isListed = (d: Digest) => {
      let y = listed.get(d);
      if (y === undefined) listed.set(d, (y = cat.hasLayerFiles(d)));
      return y;
    };
    const unlisted = { images: 0, layers: new Set<string>(), archives: new Set<string>() };
    const searched = images.filter((s) => {
      const missing = s.layers.filter((l) => !isListed(l.diffId));
      if (missing.length === 0) return true;
      unlisted.images++;
      unlisted.archives.add(s.archive);
      for (const l of missing) unlisted.layers.add(l.diffId);
      return false;
    });
    // only images with a layer that has a matching path (or a directory above one) can have rows
    const candidates = cat.layersMatching(match);
    const todo = searched.filter((s) => s.layers.some((l) => candidates.has(l.diffId)));

    // a listing is read once, and dropped once the last image using it is done
    const uses = new Map<string, number>();
    for (const s of todo) for (const l of s.layers) uses.set(l.diffId, (uses.get(l.diffId) ?? 0) + 1);
    const cache = new Map<string, LayerEntry[]>();
    const listing = (d: Digest) => {
      let es = cache.get(d);
      if (es === undefined) cache.set(d, (es = cat.layerEntries(d)!));
      const left = uses.get(d)! - 1;
      uses.set(d, left);
      if (left === 0) cache.delete(d);
      return es;
    };
    const query = pathQuery(match);
    const hits: FileHit[] = [];
    for (const s of todo) {
      const listings = s.layers.map((l) => listing(l.diffId));
      const isDir = cat.archive(absolute(s.archive))!.fingerprint.kind === 'dir';
      const image: FileImage = {
        archive: s.archive, id: s.id, repoTags: s.repoTags, refName: s.refName,
        layers: s.layers.map((l) => ({ diffId: l.diffId, storage: memberStorage(s.archive, isDir, l.member) })),
      };
      hits.push(...findFiles(image, listings, query));
    }
    if (unlisted.images > 0) {
      const where = unlisted.archives.size <= 3 ? [...unlisted.archives] : [display(commonDir([...unlisted.archives].map(absolute)))];
      const n = unlisted.images;
      const m = unlisted.layers.size;
      warn(`${n} image${n === 1 ? '' : 's'} not searched: ${m} of ${n === 1 ? 'its' : 'their'} layers ${m === 1 ? 'has' : 'have'} no file listing in the catalog (indexed without --files): run \`layerdig index --files ${where.join(' ')} --db ${db}\``);
    }
    return hits;
  } finally {
    cat.close();
  }
}

export const file: CommandModule<object, Args> = {
  ...SPECS.file,
  builder: (y) => dbOption(globalOptions(y)
    .positional('args', { type: 'string', array: true, demandOption: true, describe: 'PATH|GLOB then archives/directories (with --content: only archives/directories; with --db: optional, they narrow the catalog)' })
    .option('content', { type: 'string', describe: 'a host file or sha256:<hex>: find entries with these bytes, whatever their name (not with --db)' })
    .option('packages', { type: 'boolean', default: false, describe: 'the installed package that owns each path found (dpkg, apk, rpm database of its image\'s final filesystem; not with --db)' }),
  'search the file listings (recorded by `index --files`)')
    .example('$0 file etc/passwd images/', 'every image and layer that adds, changes or deletes /etc/passwd')
    .example("$0 file '*.pem' app.tar base.tar", 'a name anywhere (no "/" = last component), glob')
    .example("$0 file 'usr/lib/**/libssl*' images/ --json", 'a glob over whole paths')
    .example('$0 file --content ./leaked.key images/', 'the same bytes under any name')
    .example('$0 file usr/lib/x86_64-linux-gnu/libssl.so.3 images/ --packages', 'and which package owns it in each image')
    .example('$0 file etc/os-release --db', 'from the listings in the default catalog (archives/directories named before --db narrow it)') as never,
  async handler(a) {
    const query = a.content === undefined ? a.args[0]! : null;
    const inputs = a.content === undefined ? a.args.slice(1) : a.args;
    if (a.db !== undefined) {
      if (a.packages) {
        throw new LayerdigError('E_USAGE', '--packages reads each image\'s package database and the catalog records package versions, not the files each owns: search the archives themselves (drop --db)');
      }
      if (a.content !== undefined) {
        throw new LayerdigError('E_USAGE', '--content needs the files\' bytes and the catalog records only listings: search the archives themselves (drop --db)');
      }
      const hits = byArchive(fromCatalogListings(a, pathMatcher(query!), inputs.length ? inputs : null));
      emit(a, hits.map(fileHitJson), () => renderFileHits(hits, !a.trunc));
      if (hits.length === 0) process.exitCode = EXIT.notFound;
      return;
    }
    if (inputs.length === 0) throw new LayerdigError('E_USAGE', a.content === undefined ? 'name the path or glob, then at least one archive or directory' : 'name at least one archive or directory');
    const target = a.content !== undefined ? await contentTarget(a.content) : null;
    if (target) note(a, `looking for ${target.digest}${target.size === null ? ' (no size known: every regular file is hashed)' : ` (${target.size} bytes)`}`);
    const matcher = query !== null ? pathMatcher(query) : null;
    const want = a.platform ? parsePlatform(a.platform) : null;

    const reader = layerReader(a);
    const digests = new Map<LayerEntry, Digest>();
    const hits: OwnedHit[] = [];
    let ownersUnread = 0;
    for (const ar of await openAll(a, inputs)) {
      try {
        const images = distinctImages(ar.images.filter((i) => !want || platformMatches(i.platform, want)),
          (i) => [i.id, platformString(i.platform), ...i.layers.map((l) => l.member)]);
        let loaded;
        try {
          loaded = await loadImages(reader, ar, images, (p) => problem(a, p));
        } catch (e) {
          // every image of this archive unreadable: name it, search the others
          if (!(e instanceof LayerdigError)) throw e;
          problem(a, { input: ar.path, error: e });
          continue;
        }
        let q = matcher ? pathQuery(matcher) : null;
        if (target) {
          const candidates = new Set(loaded.flatMap((l) => l.listings.flatMap((es) => contentCandidates(es, target.size))));
          await hashBodies(ar.store, reader, images.flatMap((i) => i.layers), candidates, digests);
          q = contentQuery(new Set([...candidates].filter((e) => digests.get(e) === target.digest)));
        }
        for (const l of loaded) {
          const found: OwnedHit[] = findFiles(l.image, l.listings, q!, l.overlay);
          // the package database is read only for an image with a hit
          if (a.packages && found.length > 0) {
            try {
              const owners = await ownerLookup(a, ar.store, reader, l.image, l.overlay);
              for (const h of found) h.owners = owners(h.path);
            } catch (e) {
              if (!(e instanceof LayerdigError)) throw e;
              ownersUnread++;
              warn(`${e.message} — the owners of this image's ${found.length} path${found.length === 1 ? '' : 's'} are not shown`);
            }
          }
          hits.push(...found);
        }
      } finally {
        ar.close();
      }
    }
    byArchive(hits);
    emit(a, hits.map(fileHitJson), () => renderFileHits(hits, !a.trunc));
    if (warnMismatches(reader)) process.exitCode = EXIT.findings;
    else if (hits.length === 0) process.exitCode = EXIT.notFound;
    else if (ownersUnread > 0) process.exitCode = EXIT.partial;
  },
};
