import type { CommandModule } from '../argv/types.js';
import { useContainer } from '../container-image.js';
import { EXIT, LayerdigError } from '../../errors.js';
import { VERSION } from '../../version.js';
import { printableJson, printableText } from '../../report/text.js';
import { globalOptions, openAll, layerReader, settleTo, type GlobalArgs } from '../context.js';
import { loadImages, warnMismatches } from '../content.js';
import { selectImages } from '../../image/select.js';
import { audit, failsAt, isSeverity, SEVERITIES, severityRank, type Severity } from '../../analysis/audit.js';
import { attachedItems, provenanceSecrets } from '../../supply/attached.js';
import { auditReport, auditSarif, renderAudit, type AuditResult } from '../../report/audit.js';
import { SPECS } from './specs.js';

interface Args extends GlobalArgs {
  container?: string;
  input: string;
  image?: string;
  format?: string;
  failOn?: string;
  minSeverity?: string;
  all?: boolean;
}

function toolVersion(): string {
  return VERSION;
}

function severityArg(name: string, v: string | undefined): Severity | undefined {
  if (v === undefined) return undefined;
  const s = v.toLowerCase();
  if (!isSeverity(s)) throw new LayerdigError('E_USAGE', `--${name} must be one of ${SEVERITIES.join(', ')}, not "${v}"`);
  return s;
}

export const auditCmd: CommandModule<object, Args> = {
  ...SPECS.audit,
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('container', { type: 'string', describe: 'a Docker data-root\'s container (ID prefix or name): read its filesystem (image + writable layer)' })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('format', { type: 'string', choices: ['table', 'json', 'sarif'], describe: 'output format (default table; --json = --format json)' })
    .option('fail-on', { type: 'string', describe: `exit 1 when a finding at or above this severity exists (${SEVERITIES.join('|')})` })
    .option('min-severity', { type: 'string', describe: 'show only findings at or above this severity (--fail-on still sees all)' })
    .option('all', { type: 'boolean', describe: 'list every low/info finding on its own line (the table folds them per directory)' })
    .example('$0 audit app.tar', 'findings, worst first, with the layer that introduced each')
    .example('$0 audit app.tar -i app:1.0 --fail-on high', 'CI gate: exit 1 on any high or critical finding')
    .example('$0 audit app.tar --format sarif > layerdig.sarif', 'SARIF 2.1.0 for code-scanning dashboards') as never,
  async handler(a) {
    const failOn = severityArg('fail-on', a.failOn);
    const minSeverity = severityArg('min-severity', a.minSeverity);
    const format = a.format ?? (a.json ? 'json' : 'table');
    if (a.json && a.format && a.format !== 'json') throw new LayerdigError('E_USAGE', `--json and --format ${a.format} contradict each other`);

    const [ar] = await openAll(a, [a.input], false);
    // --container: only what the container's writable layer brought (the image is audited without it)
    const own = a.container !== undefined ? await useContainer(ar!, a.container) : -1;
    const imgs = selectImages(ar!.images, a.image, a.platform);
    const reader = layerReader(a);
    const results: AuditResult[] = [];
    for (const { image: img, listings: layers } of await loadImages(reader, ar!, imgs, settleTo(a))) {
      const diffIdMismatches = img.layers.flatMap((l) => reader.mismatches
        .filter((m) => m.layer.diffId === l.diffId)
        .slice(0, 1)
        .map((m) => ({ layerIndex: l.index, declared: l.diffId, actual: m.actual })));
      // build arguments recorded in history and in provenance attached to the image (secret-build-arg)
      const provenance = provenanceSecrets(await attachedItems(ar!, img));
      const findings = audit({ config: img.config.config, layers, diffIdMismatches, history: img.history, provenanceSecrets: provenance });
      results.push({ img, findings: own >= 0 ? findings.filter((f) => f.layerIndex === own) : findings });
    }
    warnMismatches(reader);

    const failed = failOn !== undefined && results.some((r) => failsAt(r.findings, failOn));
    const shown = minSeverity === undefined ? results
      : results.map((r) => ({ ...r, findings: r.findings.filter((f) => severityRank(f.severity) >= severityRank(minSeverity)) }));

    let out: string;
    if (format === 'sarif') out = printableJson(auditSarif(shown, toolVersion()));
    else if (format === 'json') out = printableJson(shown.length === 1 ? auditReport(shown[0]!) : shown.map(auditReport));
    else out = printableText(renderAudit(shown, !a.trunc, a.all === true));
    process.stdout.write(`${out}\n`);
    if (failed) process.exitCode = EXIT.findings;
  },
};
