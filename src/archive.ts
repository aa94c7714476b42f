import type { Digest } from './digest.js';
import { openStore } from './store/open.js';
import type { Store } from './store/store.js';
import { detectFormat } from './format/formats.js';
import { buildImage } from './image/build.js';
import { emptyArchiveDeclared, type ArchiveDeclared, type Image, type ImageSource } from './image/model.js';
import { readLayer } from './layer/pass.js';

/** An opened input: its bytes, and the images it holds. */
export interface Archive {
  path: string;
  format: string;
  store: Store;
  images: Image[];
  notes: string[];
  /** what the archive's documents declare beyond its images (for `verify`) */
  declared: ArchiveDeclared;
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
  let store = await openStore(path);
  try {
    const format = await detectFormat(store);
    if (format.wrap) store = format.wrap(store);
    const declared = emptyArchiveDeclared();
    const sources = await format.load(store, declared);
    const images: Image[] = [];
    for (const src of sources) {
      const diffIds = src.declaredDiffIds ?? (await computeDiffIds(store, src));
      images.push(buildImage(src, diffIds, (m) => store.storage(m)));
    }
    const notes = [...new Set(sources.flatMap((s) => s.notes))];
    return { path, format: format.name, store, images, notes, declared, close: () => store.close() };
  } catch (e) {
    store.close();
    throw e;
  }
}
