/**
 * The input stage's back-pressure: decompressed chunks wait here between the
 * inflater and the consumers (hash, tar), handed over one `setImmediate` hop
 * later so the next chunk inflates while this one is hashed instead of after
 * it. Above `high` queued bytes the producer is paused; below half it resumes.
 */

/** What the consumer did with a chunk: go on, wait (call `resume()` later), or stop for good. */
export type Taken = 'next' | 'wait' | 'stop';

export class HandOff {
  private readonly queue: Buffer[] = [];
  private queued = 0;
  private scheduled = false;
  private waiting = false;
  /** the producer has ended (the consumers end once the queue drains) */
  private ended = false;
  private paused = false;
  /** set once the producer is known (the blob itself, or its inflater) */
  pauseUpstream: () => void = () => {};
  resumeUpstream: () => void = () => {};

  constructor(
    private readonly high: number,
    private readonly consume: (chunk: Buffer) => Taken,
    private readonly onEnd: () => void,
    private readonly stopped: () => boolean,
  ) {}

  push(chunk: Buffer): void {
    if (this.stopped()) return;
    this.queue.push(chunk);
    this.queued += chunk.length;
    if (this.queued >= this.high && !this.paused) {
      this.paused = true;
      this.pauseUpstream();
    }
    this.schedule();
  }

  end(): void {
    this.ended = true;
    this.schedule();
  }

  /** The consumer that answered `wait` can take more. */
  resume(): void {
    this.waiting = false;
    this.drain();
  }

  private schedule(): void {
    if (!this.scheduled && !this.waiting) {
      this.scheduled = true;
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    this.scheduled = false;
    while (this.queue.length && !this.stopped()) {
      const chunk = this.queue.shift()!;
      this.queued -= chunk.length;
      const taken = this.consume(chunk);
      if (taken === 'stop') return;
      if (taken === 'wait') {
        this.waiting = true;
        return;
      }
    }
    if (this.stopped()) return;
    if (this.paused && this.queued < this.high / 2) {
      this.paused = false;
      this.resumeUpstream();
    }
    if (this.ended && this.queue.length === 0) this.onEnd();
  }
}
