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

/** One readFinalFiles call: the layers read so far, their views and the bodies captured. */
class FinalScan {
  readonly views = new Map<number, LayerView>();
  /** `${layerIndex}\0${path}` */
  readonly bodies = new Map<string, Captured>();
  readonly mismatches: FinalFileScan['mismatches'] = [];
  readonly layersRead: number[] = [];
  private readonly basenames: Set<string>;

  constructor(private readonly store: Store, private readonly layers: readonly Layer[], private readonly paths: readonly string[], private readonly maxBytes: number) {
    this.basenames = new Set(paths.map((p) => posix.basename(p)));
  }

  async readOne(layer: Layer, body: Readable, extra?: string): Promise<void> {
    const listing = await readLayer(body, {
      where: layer.storage,
      onEntry: async (e, b) => {
        if (e.type !== 'file' || e.whiteout !== undefined) return;
        if (this.basenames.has(posix.basename(e.path)) || e.path === extra) this.bodies.set(`${layer.index}\0${e.path}`, await capture(b, this.maxBytes));
      },
    });
    // a tar written from an unpacked directory is not the bytes its diffID was taken of (the reader's own rule)
    const unchecked = this.store.diffIdUnchecked?.(layer.member) === true;
    if (listing.diffId !== layer.diffId && !unchecked && !this.mismatches.some((m) => m.layer === layer)) this.mismatches.push({ layer, actual: listing.diffId });
    this.views.set(layer.index, layerView(layer.index, listing.entries));
  }

  decide(complete: boolean): Map<string, FinalLookup> {
    const topDown = [...this.views.values()].sort((a, b) => b.index - a.index);
    return new Map(this.paths.map((p) => [p, lookupFinal(topDown, p, complete)] as const));
  }

  /** A compressed tar cannot seek: every layer in one archive pass. */
  async readEvery(): Promise<Map<string, FinalLookup>> {
    const layers = this.layers;
    const byMember = new Map(layers.map((l) => [l.member, l]));
    await this.store.each([...byMember.keys()], async (member, body) => {
      const l = byMember.get(member)!;
      await this.readOne(l, body);
      this.layersRead.push(l.index);
    });
    // a member shared by two layers (the same empty layer twice) is read once: share its view
    for (const l of layers) {
      if (this.views.has(l.index)) continue;
      const twin = layers.find((o) => o.member === l.member && this.views.has(o.index))!;
      this.views.set(l.index, { ...this.views.get(twin.index)!, index: l.index });
      for (const [k, b] of [...this.bodies]) if (k.startsWith(`${twin.index}\0`)) this.bodies.set(`${l.index}\0${k.slice(k.indexOf('\0') + 1)}`, b);
    }
    return this.decide(true);
  }

  /** Top layer down, stopping as soon as every path is decided. */
  async readTopDown(): Promise<Map<string, FinalLookup>> {
    const layers = this.layers;
    let decided = this.decide(layers.length === 0);
    for (let i = layers.length - 1; i >= 0 && [...decided.values()].some((d) => d.status === 'unknown'); i--) {
      await this.readOne(layers[i]!, this.store.open(layers[i]!.member));
      this.layersRead.push(i);
      decided = this.decide(i === 0);
    }
    return decided;
  }

  async result(p: string, d: FinalLookup): Promise<FinalFileResult> {
    if (d.status !== 'found') return { absent: d.status === 'absent' ? d.why : `/${p} is in no layer` };
    if (d.entry.type !== 'file' && d.entry.type !== 'hardlink') return { absent: `/${d.path} is a ${d.entry.type}, not a file (layer ${d.layerIndex})` };
    // a hard link's bytes are those of the member it names, in the same layer
    const bodyPath = d.entry.type === 'hardlink' ? d.entry.linkTarget ?? d.path : d.path;
    const key = `${d.layerIndex}\0${bodyPath}`;
    if (!this.bodies.has(key)) {
      const l = this.layers[d.layerIndex]!;
      await this.readOne(l, this.store.open(l.member), bodyPath);
    }
    const b = this.bodies.get(key);
    if (!b) return { absent: `/${d.path} in layer ${d.layerIndex} links to /${bodyPath}, which that layer does not hold` };
    return {
      found: {
        path: p, resolvedPath: d.path, links: d.links, layerIndex: d.layerIndex, diffId: this.layers[d.layerIndex]!.diffId,
        size: b.size, sha256: b.sha256, content: b.content,
      },
    };
  }
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
  const scan = new FinalScan(store, image.layers, paths, maxBytes);
  const decided = store.kind === 'compressed-tar' ? await scan.readEvery() : await scan.readTopDown();
  const results = new Map<string, FinalFileResult>();
  for (const [p, d] of decided) results.set(p, await scan.result(p, d));
  return { results, layersRead: scan.layersRead, mismatches: scan.mismatches };
}
