import type { Digest } from '../digest.js';
import { openStore } from '../store/open.js';
import { storeWarning, type Store } from '../store/store.js';
import { detectFormat, isFormatMetadata } from '../format/formats.js';
import { buildImage } from '../image/build.js';
import { emptyArchiveDeclared, type ArchiveDeclared, type Artifact, type Image, type ImageSource } from '../image/model.js';
import { artifactNote } from '../format/artifact.js';
import { readLayer } from '../layer/pass.js';
import { LayerdigError } from '../errors.js';
import { openStdin, STDIN } from './stdin.js';

/** An opened input: its bytes, and the images it holds. */
export interface Archive {
  path: string;
  format: string;
  store: Store;
  images: Image[];
  /** manifests that are not images (signatures, attestations, …): never read as images, verified by `verify` */
  artifacts: Artifact[];
  notes: string[];
  /** integrity warnings (an index that lists itself): commands answer, then exit 1 */
  warnings: string[];
  /** what the archive's documents declare beyond its images (for `verify`) */
  declared: ArchiveDeclared;
  /**
   * Images of this archive that could not be built (their config contradicts
   * their manifest, a layer cannot be hashed…): the others are still in
   * `images`. When none could be built, opening the archive fails instead.
   */
  errors: LayerdigError[];
  close(): void;
}

/** Formats without diffIDs (pre-1.10, schema 1): hash each layer, one pass per blob. */
async function computeDiffIds(store: Store, src: ImageSource): Promise<Digest[]> {
  const byMember = new Map<string, Digest>();
  await store.each([...new Set(src.layers.map((l) => l.member))], async (member, body) => {
    const l = await readLayer(body, { where: store.storage(member), hashOnly: true });
    byMember.set(member, l.diffId);
  });
  return src.layers.map((l) => byMember.get(l.member)!);
}

/** Open a path (archive file or directory), detect its format, list its images. Reads JSON only. */
export async function openArchive(path: string): Promise<Archive> {
  let store = path === STDIN ? await openStdin() : await openStore(path, { isMetadata: isFormatMetadata });
  try {
    const format = await detectFormat(store);
    if (format.wrap) store = format.wrap(store);
    const declared = emptyArchiveDeclared();
    const sources = await format.load(store, declared);
    const images: Image[] = [];
    const errors: LayerdigError[] = [];
    // one image that cannot be built never hides its siblings
    for (const src of sources) {
      try {
        const diffIds = src.declaredDiffIds ?? (await computeDiffIds(store, src));
        images.push(buildImage(src, diffIds, (m) => store.storage(m)));
      } catch (e) {
        if (!(e instanceof LayerdigError)) throw e;
        errors.push(e);
      }
    }
    // images a store lists but cannot read (a broken record, a tag naming no blob): partial, like an image that cannot be built
    errors.push(...(declared.unreadable ?? []));
    if (images.length === 0 && errors.length) throw errors[0];
    const notes = [...new Set(sources.flatMap((s) => s.notes))];
    const artifacts = artifactNote(declared.artifacts);
    if (artifacts) notes.push(artifacts);
    const warning = storeWarning(store);
    const warnings = [...(warning ? [warning] : []), ...declared.warnings];
    return { path, format: format.name, store, images, artifacts: declared.artifacts, notes, warnings, declared, errors, close: () => store.close() };
  } catch (e) {
    store.close();
    throw e;
  }
}
