import { openArchive } from '../src/app/archive.js';

/** In-process time of what a metadata command does after Node has started: open (header walk + JSON). */
const path = process.argv[2]!;
const t0 = process.hrtime.bigint();
const ar = await openArchive(path);
const ms = Number(process.hrtime.bigint() - t0) / 1e6;
ar.close();
process.stdout.write(`${JSON.stringify({ ms, images: ar.images.length, members: ar.store.members().length })}\n`);
