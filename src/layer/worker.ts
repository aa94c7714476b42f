import { parentPort } from 'node:worker_threads';
import { LayerdigError } from '../errors.js';
import { fileRange } from './file-range.js';
import { readLayer } from './pass.js';
import { listRange } from './range-pass.js';
import type { WorkerReply, WorkerRequest } from './pool.js';

/** A layer-pass worker: reads a byte range of a file and posts back its LayerListing. */
const PROGRESS_EVERY_MS = 100;

parentPort!.on('message', async (req: WorkerRequest) => {
  const post = (m: WorkerReply) => parentPort!.postMessage(m);
  let last = 0;
  try {
    const open = () => fileRange(req.file, req.start, req.length);
    const onProgress = (bytes: number) => {
      const now = Date.now();
      if (now - last >= PROGRESS_EVERY_MS) {
        last = now;
        post({ id: req.id, progress: bytes });
      }
    };
    // the limits come with each job: a worker thread has no CLI that set them
    const listing = await listRange(req, { where: req.where, limits: req.limits, onProgress })
      ?? await readLayer(open, { where: req.where, size: req.length, limits: req.limits, onProgress });
    post({ id: req.id, listing });
  } catch (e) {
    const err = e instanceof LayerdigError ? { code: e.code, message: e.message }
      : { code: null, message: e instanceof Error ? e.message : String(e) };
    post({ id: req.id, error: err });
  }
});
