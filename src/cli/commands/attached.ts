import { writeFileSync } from 'node:fs';
import type { CommandModule } from '../argv/types.js';
import { idPrefix, shortId } from '../../digest.js';
import { badArchive, EXIT, LayerdigError } from '../../errors.js';
import { emit, globalOptions, note, openOneArchive, warn, type GlobalArgs } from '../context.js';
import { selectImages } from '../../image/select.js';
import type { Archive } from '../../app/archive.js';
import { attachedFor, documentBytes, type ArtifactRef, type AttachedItem } from '../../supply/attached.js';
import { SupplyProblem } from '../../supply/problem.js';
import { attachedDocument, renderAttached } from '../../report/attached.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs { input: string; image?: string; extract?: string; output?: string }

/** The archive's artifacts as the format layer recognised them (format/artifact.ts). */
export function artifactsOf(ar: Archive): ArtifactRef[] {
  return ar.artifacts;
}

function pick(items: AttachedItem[], what: string): AttachedItem {
  const prefix = /^(sbom|provenance|signature|attestation)$/.test(what) ? null : idPrefix(what);
  if (!prefix && !/^(sbom|provenance|signature|attestation)$/.test(what)) {
    throw new LayerdigError('E_USAGE', `--extract takes sbom, provenance, signature, attestation or a document digest (prefix), not "${what}"`);
  }
  const hits = items.filter((i) => (prefix ? (i.digest ?? '').slice(7).startsWith(prefix) : i.kind === what));
  const label = (i: AttachedItem) => `${i.kind} ${i.digest ?? i.member} (${i.how}${i.sbom ? `, ${i.sbom.format} ${i.sbom.version}` : ''})`;
  if (hits.length === 0) throw new LayerdigError('E_NOT_FOUND', `no attached ${prefix ? `document ${what}` : what} for the selected image`, items.map(label));
  if (hits.length > 1) throw new LayerdigError('E_AMBIGUOUS', `${hits.length} attached documents match --extract ${what}: name one by digest`, hits.map(label));
  return hits[0]!;
}

export const attached: CommandModule<object, Args> = {
  ...SPECS.attached,
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true, describe: 'archive or image directory' })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('extract', { type: 'string', describe: 'print or write one document: sbom, provenance, signature, attestation, or its digest (prefix)' })
    .option('output', { alias: 'o', type: 'string', describe: 'with --extract: the file to write (default: standard output)' })
    .example('$0 attached app.oci', 'provenance, SBOMs and signatures per image')
    .example('$0 attached app.oci --extract sbom -o sbom.json', 'write the image\'s SBOM document') as never,
  async handler(a) {
    if (a.output !== undefined && a.extract === undefined) throw new LayerdigError('E_USAGE', '-o/--output needs --extract (the document to write)');
    const ar = await openOneArchive(a, a.input);
    try {
      const imgs = selectImages(ar.images, a.image, a.platform);
      const r = await attachedFor(ar, artifactsOf(ar), imgs);
      if (a.extract !== undefined) {
        const item = pick(r.images.flatMap((i) => i.items), a.extract);
        let bytes: Buffer;
        try {
          bytes = await documentBytes(ar.store, item);
        } catch (e) {
          if (e instanceof SupplyProblem) throw badArchive(ar.path, item.member, e.message);
          throw e;
        }
        if (a.output) {
          writeFileSync(a.output, bytes);
          note(a, `wrote ${item.kind} ${shortId(item.digest)} (${bytes.length} bytes) to ${a.output}`);
        } else process.stdout.write(bytes);
        return;
      }
      emit(a, attachedDocument(r), () => renderAttached(r, !a.trunc));
      const problems = r.images.flatMap((i) => i.items.flatMap((it) => it.problems.map((p) => `${it.kind} ${shortId(it.digest)} (${it.member}): ${p}`)));
      for (const p of problems) note(a, `${ar.path}: ${p}`);
      for (const it of r.images.flatMap((i) => i.items)) {
        if (it.provenance?.secretBuildArgs.length) warn(`${ar.path}: provenance ${shortId(it.digest)} records build argument(s) that look like secrets: ${it.provenance.secretBuildArgs.join(', ')}`);
      }
      for (const u of r.unattached) note(a, `${ar.path}: ${u.artifact.kind} ${shortId(u.artifact.digest)} is attached to no image: ${u.why}`);
      if (problems.length || r.unattached.some((u) => /cycle/.test(u.why))) process.exitCode = EXIT.findings;
    } finally {
      ar.close();
    }
  },
};
