import type { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { LayerdigError, type ErrorCode } from '../errors.js';
import { limits, type Limits } from '../limits.js';
import type { LayerListing } from './pass.js';

/**
 * A small pool of worker threads, each running whole layer passes (readLayer on
 * a byte range of a file): layers are independent, so on 2 cores two layers
 * inflate and hash at once. Workers start on first use and end with close().
 */
export interface WorkerRequest { id: number; file: string; start: number; length: number; where: string; limits: Limits }
export type WorkerReply =
  | { id: number; progress: number }
  | { id: number; listing: LayerListing }
  | { id: number; error: { code: ErrorCode | null; message: string } };

export interface LayerJob { file: string; start: number; length: number; where: string }

const WORKER_URL = new URL('./worker.js', import.meta.url);

/** Worker threads need the compiled worker next to this module (not under vitest's TS transform). */
export function workersAvailable(): boolean {
  return WORKER_URL.protocol === 'file:' && existsSync(fileURLToPath(WORKER_URL));
}

/** Default worker count: the cores, at most 4 (more only adds memory on this workload). */
export function defaultJobs(): number {
  return Math.max(1, Math.min(availableParallelism(), 4));
}

interface Pending {
  resolve: (l: LayerListing) => void;
  reject: (e: Error) => void;
  onProgress?: (bytes: number) => void;
}

export class LayerPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];
  private readonly waiting: (() => void)[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;

  constructor(readonly size: number) {}

  private spawn(): Worker {
    // node:worker_threads loads with the first worker, not at start (start-up, issue 13)
    const { Worker } = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads');
    const w = new Worker(WORKER_URL);
    w.on('message', (m: WorkerReply) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      if ('progress' in m) {
        p.onProgress?.(m.progress);
        return;
      }
      this.pending.delete(m.id);
      this.release(w);
      if ('listing' in m) p.resolve(m.listing);
      else p.reject(m.error.code ? new LayerdigError(m.error.code, m.error.message) : new Error(m.error.message));
    });
    w.on('error', (e) => {
      for (const [id, p] of this.pending) {
        this.pending.delete(id);
        p.reject(e);
      }
    });
    this.all.push(w);
    return w;
  }

  private release(w: Worker): void {
    const next = this.waiting.shift();
    w.unref(); // an idle worker never keeps the process alive
    this.idle.push(w);
    next?.();
  }

  private async acquire(): Promise<Worker> {
    for (;;) {
      const w = this.idle.pop();
      if (w) return w;
      if (this.all.length < this.size) return this.spawn();
      await new Promise<void>((r) => this.waiting.push(r));
    }
  }

  async run(job: LayerJob, onProgress?: (bytes: number) => void): Promise<LayerListing> {
    const w = await this.acquire();
    w.ref();
    const id = this.nextId++;
    return new Promise<LayerListing>((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(onProgress ? { onProgress } : {}) });
      const req: WorkerRequest = { id, ...job, limits: limits() };
      w.postMessage(req);
    });
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
    this.all.length = 0;
    this.idle.length = 0;
  }
}
