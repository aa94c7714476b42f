import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { sha256Stream, type Digest } from '../digest.js';
import type { Image, Layer } from '../image/model.js';
import type { Store } from '../store/store.js';
import { lookupFinal, layerView, type FinalLookup, type LayerView } from './image-path.js';
import { readLayer } from './pass.js';

/** A regular file of the image's final filesystem, and the layer that last wrote it. */
export interface FinalFile {
  /** the path asked for */
  path: string;
  /** after following symlinks */
  resolvedPath: string;
  /** symlinks followed, `from -> target` */
  links: string[];
  layerIndex: number;
  diffId: Digest;
  size: number;
  /** sha256 of the whole body */
  sha256: Digest;
  /** the first `maxBytes` of the body */
  content: Buffer;
}

export type FinalFileResult = { found: FinalFile } | { absent: string };

export interface FinalFileScan {
  results: Map<string, FinalFileResult>;
  /** layers read, top first */
  layersRead: number[];
  /** layers whose content did not hash to their diffID */
  mismatches: { layer: Layer; actual: Digest }[];
}

interface Captured { sha256: Digest; size: number; content: Buffer }

async function capture(body: Readable, maxBytes: number): Promise<Captured> {
  const parts: Buffer[] = [];
  let kept = 0;
  const { digest, size } = await sha256Stream(body as AsyncIterable<Buffer>, (chunk) => {
    if (kept < maxBytes) {
      const part = chunk.subarray(0, maxBytes - kept);
      parts.push(part);
      kept += part.length;
    }
  });
  return { sha256: digest, size, content: Buffer.concat(parts) };
}

/**
 * Find files of an image's final filesystem (following symlinks inside the
 * image, honouring whiteouts and opaque directories) by reading its layers from
 * the top down, stopping as soon as every path is decided. File bodies whose
 * name is one of the wanted basenames are captured on the way; anything else
 * (a symlink to another name, a hard link) costs one more read of that layer.
 *
 * For a whole-compressed archive, which can only be read front to back, all
 * layers are read in one pass instead.
 */
export async function readFinalFiles(store: Store, image: Image, paths: readonly string[], maxBytes = 64 * 1024): Promise<FinalFileScan> {
  const basenames = new Set(paths.map((p) => posix.basename(p)));
  const views = new Map<number, LayerView>();
  const bodies = new Map<string, Captured>(); // `${layerIndex}\0${path}`
  const mismatches: FinalFileScan['mismatches'] = [];
  const layersRead: number[] = [];

  const readOne = async (layer: Layer, body: Readable, extra?: string) => {
    const listing = await readLayer(body, {
      where: layer.storage,
      onEntry: async (e, b) => {
        if (e.type !== 'file' || e.whiteout !== undefined) return;
        if (basenames.has(posix.basename(e.path)) || e.path === extra) bodies.set(`${layer.index}\0${e.path}`, await capture(b, maxBytes));
      },
    });
    // a tar written from an unpacked directory is not the bytes its diffID was taken of (the reader's own rule)
    const unchecked = store.diffIdUnchecked?.(layer.member) === true;
    if (listing.diffId !== layer.diffId && !unchecked && !mismatches.some((m) => m.layer === layer)) mismatches.push({ layer, actual: listing.diffId });
    views.set(layer.index, layerView(layer.index, listing.entries));
  };

  const topDown = () => [...views.values()].sort((a, b) => b.index - a.index);
  const decide = (complete: boolean) => new Map(paths.map((p) => [p, lookupFinal(topDown(), p, complete)] as const));

  let decided: Map<string, FinalLookup>;
  const layers = image.layers;
  if (store.kind === 'compressed-tar') {
    const byMember = new Map(layers.map((l) => [l.member, l]));
    await store.each([...byMember.keys()], async (member, body) => {
      const l = byMember.get(member)!;
      await readOne(l, body);
      layersRead.push(l.index);
    });
    // a member shared by two layers (the same empty layer twice) is read once: share its view
    for (const l of layers) {
      if (views.has(l.index)) continue;
      const twin = layers.find((o) => o.member === l.member && views.has(o.index))!;
      views.set(l.index, { ...views.get(twin.index)!, index: l.index });
      for (const [k, b] of [...bodies]) if (k.startsWith(`${twin.index}\0`)) bodies.set(`${l.index}\0${k.slice(k.indexOf('\0') + 1)}`, b);
    }
    decided = decide(true);
  } else {
    decided = decide(layers.length === 0);
    for (let i = layers.length - 1; i >= 0 && [...decided.values()].some((d) => d.status === 'unknown'); i--) {
      await readOne(layers[i]!, store.open(layers[i]!.member));
      layersRead.push(i);
      decided = decide(i === 0);
    }
  }

  const results = new Map<string, FinalFileResult>();
  for (const [p, d] of decided) {
    if (d.status !== 'found') {
      results.set(p, { absent: d.status === 'absent' ? d.why : `/${p} is in no layer` });
      continue;
    }
    if (d.entry.type !== 'file' && d.entry.type !== 'hardlink') {
      results.set(p, { absent: `/${d.path} is a ${d.entry.type}, not a file (layer ${d.layerIndex})` });
      continue;
    }
    // a hard link's bytes are those of the member it names, in the same layer
    const bodyPath = d.entry.type === 'hardlink' ? d.entry.linkTarget ?? d.path : d.path;
    const key = `${d.layerIndex}\0${bodyPath}`;
    if (!bodies.has(key)) {
      const l = layers[d.layerIndex]!;
      await readOne(l, store.open(l.member), bodyPath);
    }
    const b = bodies.get(key);
    if (!b) {
      results.set(p, { absent: `/${d.path} in layer ${d.layerIndex} links to /${bodyPath}, which that layer does not hold` });
      continue;
    }
    results.set(p, {
      found: {
        path: p, resolvedPath: d.path, links: d.links, layerIndex: d.layerIndex, diffId: layers[d.layerIndex]!.diffId,
        size: b.size, sha256: b.sha256, content: b.content,
      },
    });
  }
  return { results, layersRead, mismatches };
}
