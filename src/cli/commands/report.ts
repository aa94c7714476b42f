import type { CommandModule } from '../argv/types.js';
import { renameSync, writeFileSync } from 'node:fs';
import { dirname, basename, join } from 'node:path';
import { LayerdigError } from '../../errors.js';
import { VERSION } from '../../version.js';
import { emit, globalOptions, layerReader, note, openAll, type GlobalArgs } from '../context.js';
import { loadImages, warnMismatches } from '../content.js';
import { selectOne } from '../../image/select.js';
import type { Overlay } from '../../analysis/filetree.js';
import type { LayerListing } from '../../layer/pass.js';
import type { Archive } from '../../app/archive.js';
import type { Image } from '../../image/model.js';
import { buildReportData, type OptionalSections } from '../../report/html/data.js';
import { renderHtmlReport } from '../../report/html/page.js';
import { humanSize } from '../../report/text.js';
import { analyseWaste } from '../../analysis/waste.js';
import { efficiencyReport } from '../../report/efficiency.js';
import { audit } from '../../analysis/audit.js';
import { auditReport } from '../../report/audit.js';
import { verdictFor, verifyArchive } from '../../app/verify.js';
import { attachedFor } from '../../supply/attached.js';
import { checkSignatures, type Trusted } from '../../supply/signatures.js';
import { supplySection } from '../../report/supply.js';
import { signatureKeys, type SignatureArgs } from '../signatures.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs, SignatureArgs { input: string; image?: string; output?: string; verify: boolean }


/**
 * The analyses other commands own, for this image: each section is that
 * command's JSON document (efficiency, audit, verify unless --no-verify),
 * and the page renders a section for each key present (absent keys are listed
 * as "not in this report"). Shapes: src/report/html-data.ts.
 */
export async function optionalSections(ar: Archive, img: Image, listings: LayerListing[], _o: Overlay, withVerify: boolean, trusted: Trusted | null = null): Promise<OptionalSections> {
  const layers = listings.map((l) => l.entries);
  const waste = analyseWaste(layers);
  const diffIdMismatches = img.layers
    .filter((l, k) => listings[k]!.diffId !== l.diffId)
    .map((l) => ({ layerIndex: l.index, declared: l.diffId, actual: listings[l.index]!.diffId }));
  const v = withVerify ? verdictFor(await verifyArchive(ar), img.id) : null;
  // what travels with the image; signatures checked when keys or a trusted root were given, else listed unchecked
  const attached = await attachedFor(ar, ar.artifacts, [img]);
  const items = attached.images[0]?.items ?? [];
  const checks = checkSignatures(attached, trusted ?? { keys: [], gpg: [] });
  const provenanceSecrets = items.flatMap((i) => (i.provenance?.secretBuildArgs ?? []).map((name) => ({ where: `provenance ${i.digest ?? i.member}`, name, masked: i.provenance!.buildArgs[name] ?? '' })));
  return {
    ...(v ? { verify: { ok: v.ok, checks: v.checks, notes: v.notes } } : {}),
    efficiency: efficiencyReport(img, waste.dive, waste.dead),
    audit: auditReport({ img, findings: audit({ config: img.config.config, layers, diffIdMismatches, history: img.history, provenanceSecrets }) }),
    supply: supplySection(items, checks, trusted !== null),
  };
}

export const report: CommandModule<object, Args> = {
  ...SPECS.report,
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest (needed when the input holds several images)' })
    .option('verify', { type: 'boolean', default: true, describe: 'include `verify` (reads every blob once more); --no-verify leaves it out' })
    .option('output', { alias: 'o', type: 'string', describe: 'the HTML file to write (- for stdout); --json prints the report data instead' })
    .option('key', { type: 'string', array: true, describe: 'supply chain: check cosign signatures with this public key (as verify --key)' })
    .option('gpg-keyring', { type: 'string', array: true, describe: 'supply chain: check skopeo dir: GPG signatures with these keys' })
    .option('trusted-root', { type: 'string', describe: 'supply chain: check keyless signatures against this Sigstore trusted_root.json' })
    .option('certificate-identity', { type: 'string', describe: 'with --trusted-root: the keyless certificate\'s email or URI' })
    .option('certificate-oidc-issuer', { type: 'string', describe: 'with --trusted-root: the keyless certificate\'s OIDC issuer' })
    .example('$0 report app.tar -o report.html', 'write the page; open it in any browser, offline')
    .example('$0 report multi.tar -i app:1.0 --json', 'the data behind the page') as never,
  async handler(a) {
    if (!a.output && !a.json) throw new LayerdigError('E_USAGE', 'name the page to write with -o FILE (or - for stdout), or print its data with --json');
    if (a.requireSignature) throw new LayerdigError('E_USAGE', '--require-signature is a verify option: report shows the signatures it checks');
    const trusted = signatureKeys(a);
    const [ar] = await openAll(a, [a.input], false);
    const img = selectOne(ar!.images, a.image, a.platform);
    const reader = layerReader(a);
    const [loaded] = await loadImages(reader, ar!, [img]);
    const { read: listings, overlay: o } = loaded!;
    warnMismatches(reader);
    const sections = await optionalSections(ar!, img, listings, o, a.verify, trusted);
    const data = buildReportData(img, listings, o, {
      tool: `layerdig ${VERSION}`, generatedAt: new Date().toISOString(), notes: [...img.notes, ...ar!.notes], ...sections,
    });
    if (a.json) {
      emit(a, data, () => '');
      return;
    }
    const html = renderHtmlReport(data);
    if (a.output === '-') {
      emit({ json: false }, null, () => html.trimEnd());
      return;
    }
    const out = a.output!;
    const tmp = join(dirname(out), `.${basename(out)}.${process.pid}.tmp`);
    try {
      writeFileSync(tmp, html);
      renameSync(tmp, out);
    } catch (e) {
      throw new LayerdigError('E_IO', `${out}: ${(e as Error).message}`);
    }
    note(a, `wrote ${out} (${humanSize(Buffer.byteLength(html))})`);
  },
};
