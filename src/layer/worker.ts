import { parentPort } from 'node:worker_threads';
import { LayerdigError } from '../errors.js';
import { fileRange } from './file-range.js';
import { readLayer } from './pass.js';
import type { WorkerReply, WorkerRequest } from './pool.js';

/** A layer-pass worker: reads a byte range of a file and posts back its LayerListing. */
const PROGRESS_EVERY_MS = 100;

parentPort!.on('message', async (req: WorkerRequest) => {
  const post = (m: WorkerReply) => parentPort!.postMessage(m);
  let last = 0;
  try {
    const open = () => fileRange(req.file, req.start, req.length);
    const listing = await readLayer(open, {
      where: req.where,
      size: req.length,
      // the limits come with each job: a worker thread has no CLI that set them
      limits: req.limits,
      onProgress: (bytes) => {
        const now = Date.now();
        if (now - last >= PROGRESS_EVERY_MS) {
          last = now;
          post({ id: req.id, progress: bytes });
        }
      },
    });
    post({ id: req.id, listing });
  } catch (e) {
    const err = e instanceof LayerdigError ? { code: e.code, message: e.message }
      : { code: null, message: e instanceof Error ? e.message : String(e) };
    post({ id: req.id, error: err });
  }
});
