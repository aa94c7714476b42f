import { Readable } from 'node:stream';
import type tarStream from 'tar-stream';
import { tarExtract } from '../store/tar-stream.js';
import { LayerdigError } from '../errors.js';
import type { Limits } from '../limits.js';
import { diffSizeOf, type LayerEntry } from './entry.js';
import { entriesCheck } from './pass-limits.js';
import { TarEndTracker } from './tar-end.js';
import { bodySize, fromTarStream, toEntry } from './tar-entry.js';
import { TarWalker, type WalkHeader } from './tar-walk.js';

/** Called for each entry; consume `body` to see a file's bytes (else it is drained). */
export type EntryVisitor = (entry: LayerEntry, body: Readable) => Promise<void> | void;

export interface TarStageOptions {
  /** for messages: `app.tar!blobs/sha256/…` */
  where: string;
  /** list entries (a hash-only pass walks the tar only to find where it ends) */
  keepEntries: boolean;
  onEntry?: EntryVisitor;
  limits: Pick<Limits, 'maxLayerEntries'>;
  /** a tar error, a visitor's error or a limit: the pass fails (once; later calls are ignored) */
  fail: (e: unknown) => void;
  isFailed: () => boolean;
  /** the body reader finished: the pass may complete */
  onFinish: () => void;
}

/**
 * The tar stage of a layer pass, fed the decompressed stream. Listing only:
 * the synchronous TarWalker. With a visitor: tar-stream, whose entry streams
 * carry the bodies (it reads on past the end-of-archive marker, so it is fed
 * only up to it).
 */
export class TarStage {
  readonly entries: LayerEntry[] = [];
  /** Docker's DiffSize of the listed entries */
  size = 0;
  private current = '';
  private readonly walker: TarWalker | null = null;
  private readonly extract: tarStream.Extract | null = null;
  private tarDone = false;
  private readonly endMarker = new TarEndTracker();
  /** decompressed offset where the last entry's (padded) body ends, for tar-stream */
  private lastEntryEnd = 0;

  constructor(private readonly o: TarStageOptions) {
    if (o.onEntry) this.extract = this.startExtract(o.onEntry);
    else this.walker = new TarWalker((h) => { this.onHeader(h); });
  }

  /** where the tar's last entry ends in the decompressed stream (bytes after it are trailing data) */
  get tarEnd(): number {
    return this.walker ? this.walker.lastEntryEnd : this.lastEntryEnd;
  }

  /** the body reader has finished (always, when listing only) */
  get done(): boolean {
    return !this.extract || this.tarDone;
  }

  /** Feed the listing reader (synchronous); false after a tar error, already reported. */
  writeListing(chunk: Buffer): boolean {
    if (!this.walker) return true;
    try {
      this.walker.write(chunk);
      return true;
    } catch (err) {
      this.o.fail(this.tarError(err as Error));
      return false;
    }
  }

  /** Feed the body reader; false when it is full: `onDrain` runs when it can take more. */
  writeBodies(chunk: Buffer, onDrain: () => void): boolean {
    if (!this.extract || this.tarDone) return true;
    const forTar = this.endMarker.take(chunk);
    if (forTar.length === 0 || this.extract.write(forTar)) return true;
    this.extract.once('drain', onDrain);
    return false;
  }

  /** The decompressed stream ended; false after a tar error, already reported. */
  end(): boolean {
    if (this.walker) {
      try {
        this.walker.end();
      } catch (err) {
        this.o.fail(this.tarError(err as Error));
        return false;
      }
    }
    if (this.extract && !this.tarDone) (this.extract as unknown as { end(): void }).end();
    return true;
  }

  destroy(): void {
    this.extract?.destroy();
  }

  private tarError(err: Error): LayerdigError {
    return new LayerdigError('E_BAD_ARCHIVE',
      `${this.o.where}: not a readable tar layer${this.current ? ` (after entry ${this.current})` : ''}: ${err.message}`);
  }

  /** null when a limit stopped the pass */
  private onHeader(h: WalkHeader): LayerEntry | null {
    const e = toEntry(h);
    this.current = e.path;
    if (e.path !== '' && this.o.keepEntries) {
      this.entries.push(e);
      this.size += diffSizeOf(e);
      const limit = entriesCheck(this.o.where, this.entries.length, this.o.limits);
      if (limit) {
        this.o.fail(limit);
        return null;
      }
    }
    return e;
  }

  private startExtract(visitor: EntryVisitor): tarStream.Extract {
    const { fail, isFailed } = this.o;
    const x = tarExtract();
    x.on('entry', (h, body, next) => {
      if (isFailed()) return;
      let e: LayerEntry | null;
      try {
        e = this.onHeader(fromTarStream(h));
      } catch (err) {
        fail(err);
        return;
      }
      if (!e) return;
      const at = (h as { byteOffset?: number }).byteOffset;
      if (typeof at === 'number') this.lastEntryEnd = Math.max(this.lastEntryEnd, at + 512 + Math.ceil(bodySize(h) / 512) * 512);
      if (h.type === 'directory') {
        // tar-stream gives a directory no body, and when its header claims a size anyway that
        // body stream never ends: waiting for it would hang the pass (found by the fuzz test)
        body.on('error', () => {}); // it is never read; the extract reports any error itself
        const visit = e.path !== '' ? visitor(e, Readable.from([])) : undefined;
        Promise.resolve(visit).then(() => next(), fail);
        return;
      }
      this.visitBody(e, body as unknown as Readable, next, visitor);
    });
    x.on('finish', () => { this.tarDone = true; this.o.onFinish(); });
    x.on('error', (err) => fail(this.tarError(err)));
    return x;
  }

  /** The next entry starts only when this body has ended AND the visitor is done with it. */
  private visitBody(e: LayerEntry, body: Readable, next: () => void, visitor: EntryVisitor): void {
    const { fail, isFailed } = this.o;
    // an async visitor may still be writing what it read when the body ends
    const visit = e.path !== '';
    let bodyEnded = false;
    let handled = !visit;
    const maybeNext = () => { if (bodyEnded && handled && !isFailed()) next(); };
    body.on('end', () => { bodyEnded = true; maybeNext(); });
    body.on('error', fail);
    if (visit) {
      Promise.resolve(visitor(e, body)).then(() => { handled = true; body.resume(); maybeNext(); }, fail);
    } else {
      body.resume();
    }
  }
}
