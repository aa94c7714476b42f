import { createReadStream, statSync } from 'node:fs';
import { createHash } from 'node:crypto';
import type { CommandModule } from 'yargs';
import { EXIT, LayerdigError } from '../../errors.js';
import { toDigest, type Digest } from '../../digest.js';
import { emit, globalOptions, note, openAll, layerReader, type GlobalArgs } from '../context.js';
import { parsePlatform, platformMatches } from '../../image/select.js';
import { platformString, type Image } from '../../image/model.js';
import type { LayerEntry } from '../../layer/entry.js';
import { hashBodies } from '../../layer/bodies.js';
import { contentCandidates, contentQuery, findFiles, pathQuery, type FileHit } from '../../analysis/find-file.js';
import { pathMatcher } from '../../analysis/glob.js';
import { loadImages, warnMismatches } from '../content.js';
import { fileHitJson, renderFileHits } from '../../report/file.js';

interface Args extends GlobalArgs {
  args: string[];
  content?: string;
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
  const h = createHash('sha256');
  for await (const c of createReadStream(spec) as AsyncIterable<Buffer>) h.update(c);
  return { digest: `sha256:${h.digest('hex')}`, size };
}

/** An image listed twice in one archive (two ref names for one manifest) is searched once. */
function distinctImages(images: Image[]): Image[] {
  const seen = new Set<string>();
  return images.filter((i) => {
    const k = [i.id, platformString(i.platform), ...i.layers.map((l) => l.member)].join('\0');
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export const file: CommandModule<object, Args> = {
  command: 'file <args..>',
  describe: 'find a path (or glob), or with --content some bytes under any name, in every image of every archive',
  builder: (y) => globalOptions(y)
    .positional('args', { type: 'string', array: true, demandOption: true, describe: 'PATH|GLOB then archives/directories (with --content: only archives/directories)' })
    .option('content', { type: 'string', describe: 'a host file or sha256:<hex>: find entries with these bytes, whatever their name' })
    .example('$0 file etc/passwd images/', 'every image and layer that adds, changes or deletes /etc/passwd')
    .example("$0 file '*.pem' app.tar base.tar", 'a name anywhere (no "/" = last component), glob')
    .example("$0 file 'usr/lib/**/libssl*' images/ --json", 'a glob over whole paths')
    .example('$0 file --content ./leaked.key images/', 'the same bytes under any name') as never,
  async handler(a) {
    const query = a.content === undefined ? a.args[0]! : null;
    const inputs = a.content === undefined ? a.args.slice(1) : a.args;
    if (inputs.length === 0) throw new LayerdigError('E_USAGE', a.content === undefined ? 'name the path or glob, then at least one archive or directory' : 'name at least one archive or directory');
    const target = a.content !== undefined ? await contentTarget(a.content) : null;
    if (target) note(a, `looking for ${target.digest}${target.size === null ? ' (no size known: every regular file is hashed)' : ` (${target.size} bytes)`}`);
    const matcher = query !== null ? pathMatcher(query) : null;
    const want = a.platform ? parsePlatform(a.platform) : null;

    const reader = layerReader(a);
    const digests = new Map<LayerEntry, Digest>();
    const hits: FileHit[] = [];
    for (const ar of await openAll(a, inputs)) {
      try {
        const images = distinctImages(ar.images.filter((i) => !want || platformMatches(i.platform, want)));
        const loaded = await loadImages(reader, ar, images);
        let q = matcher ? pathQuery(matcher) : null;
        if (target) {
          const candidates = new Set(loaded.flatMap((l) => l.listings.flatMap((es) => contentCandidates(es, target.size))));
          await hashBodies(ar.store, reader, images.flatMap((i) => i.layers), candidates, digests);
          q = contentQuery(new Set([...candidates].filter((e) => digests.get(e) === target.digest)));
        }
        for (const l of loaded) hits.push(...findFiles(l.image, l.listings, q!, l.overlay));
      } finally {
        ar.close();
      }
    }
    emit(a, hits.map(fileHitJson), () => renderFileHits(hits, !a.trunc));
    if (warnMismatches(reader)) process.exitCode = EXIT.findings;
    else if (hits.length === 0) process.exitCode = EXIT.notFound;
  },
};
