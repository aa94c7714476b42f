import type { CommandModule } from '../argv/types.js';
import { resolve } from 'node:path';
import { emit, globalOptions, openOneArchive, warn, type GlobalArgs } from '../context.js';
import { recordFindings } from '../../app/outcome.js';
import { dbOption, dbPath, fromCatalog, loadSummaries } from '../summaries.js';
import { selectOne } from '../../image/select.js';
import { summarize, type ImageSummary } from '../../analysis/summary.js';
import { detectBase, type OsClueInput } from '../../analysis/base.js';
import { OS_RELEASE_PATHS, parseOsRelease } from '../../analysis/os-release.js';
import { readFinalFiles } from '../../layer/final-file.js';
import { display } from '../../catalog/fingerprint.js';
import { baseReport, renderBase } from '../../report/base.js';
import type { Archive } from '../../app/archive.js';
import type { Image } from '../../image/model.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { input: string; image?: string; against?: string[]; db?: string; os: boolean }

/** Clue 2 needs the final filesystem: read layers from the top until os-release is decided. */
async function readOs(ar: Archive, img: Image): Promise<OsClueInput> {
  const scan = await readFinalFiles(ar.store, img, OS_RELEASE_PATHS);
  for (const m of scan.mismatches) {
    recordFindings();
    warn(`${m.layer.storage}: layer ${m.layer.index} hashes to ${m.actual} but the config declares diffID ${m.layer.diffId} — the archive does not match its config`);
  }
  const whys: string[] = [];
  for (const p of OS_RELEASE_PATHS) {
    const r = scan.results.get(p)!;
    if ('absent' in r) {
      whys.push(r.absent);
      continue;
    }
    const f = r.found;
    return {
      status: 'found', os: parseOsRelease(f.content.toString('utf8')), path: f.path, resolvedPath: f.resolvedPath, links: f.links,
      layerIndex: f.layerIndex, diffId: f.diffId, size: f.size, sha256: f.sha256,
    };
  }
  return { status: 'absent', why: whys.join('; ') };
}

export const base: CommandModule<object, Args> = {
  ...SPECS.base,
  builder: (y) => dbOption(globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('against', { type: 'string', array: true, describe: 'archives or directories of candidate base images (the chain-prefix clue)' })
    .option('os', { type: 'boolean', default: true, describe: 'read the OS from os-release (reads layers from the top); --no-os reads JSON only' }),
  'candidate bases (--against)')
    .example('$0 base app.tar --against /bases', 'all four clues')
    .example('$0 base app.tar --no-os --db', 'metadata only; candidate bases from the default catalog') as never,
  async handler(a) {
    const ar = await openOneArchive(a, a.input);
    try {
      const img = selectOne(ar.images, a.image, a.platform);
      const subject: ImageSummary = { ...summarize(img), archive: display(resolve(img.archive)) };
      let against: ImageSummary[] | null = null;
      if (a.db !== undefined) against = fromCatalog(dbPath(a.db), a.against?.length ? a.against : null);
      else if (a.against?.length) against = await loadSummaries({ ...a, platform: undefined }, a.against);
      const os: OsClueInput = a.os ? await readOs(ar, img) : { status: 'skipped' };
      const r = detectBase(subject, os, against);
      emit(a, baseReport(r), () => renderBase(r, !a.trunc));
    } finally {
      ar.close();
    }
  },
};
