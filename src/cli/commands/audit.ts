import type { CommandModule } from 'yargs';
import { EXIT, LayerdigError } from '../../errors.js';
import { VERSION } from '../../version.js';
import { globalOptions, openAll, layerReader, type GlobalArgs } from '../context.js';
import { warnMismatches } from '../content.js';
import { selectImages } from '../../image/select.js';
import { audit, failsAt, isSeverity, SEVERITIES, severityRank, type Severity } from '../../analysis/audit.js';
import { auditReport, auditSarif, renderAudit, type AuditResult } from '../../report/audit.js';

interface Args extends GlobalArgs {
  input: string;
  image?: string;
  format?: string;
  failOn?: string;
  minSeverity?: string;
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
  command: 'audit <input>',
  describe: 'risky content: setuid/setgid, capabilities, world-writable, devices, recoverable deleted files, secrets, links, root user, secret Env',
  builder: (y) => globalOptions(y)
    .positional('input', { type: 'string', demandOption: true })
    .option('image', { alias: 'i', type: 'string', describe: 'repo:tag, image ID (prefix) or manifest digest' })
    .option('format', { type: 'string', choices: ['table', 'json', 'sarif'], describe: 'output format (default table; --json = --format json)' })
    .option('fail-on', { type: 'string', describe: `exit 1 when a finding at or above this severity exists (${SEVERITIES.join('|')})` })
    .option('min-severity', { type: 'string', describe: 'show only findings at or above this severity (--fail-on still sees all)' })
    .example('$0 audit app.tar', 'findings, worst first, with the layer that introduced each')
    .example('$0 audit app.tar -i app:1.0 --fail-on high', 'CI gate: exit 1 on any high or critical finding')
    .example('$0 audit app.tar --format sarif > layerdig.sarif', 'SARIF 2.1.0 for code-scanning dashboards') as never,
  async handler(a) {
    const failOn = severityArg('fail-on', a.failOn);
    const minSeverity = severityArg('min-severity', a.minSeverity);
    const format = a.format ?? (a.json ? 'json' : 'table');
    if (a.json && a.format && a.format !== 'json') throw new LayerdigError('E_USAGE', `--json and --format ${a.format} contradict each other`);

    const [ar] = await openAll(a, [a.input], false);
    const imgs = selectImages(ar!.images, a.image, a.platform);
    const reader = layerReader(a);
    await reader.prefetch(ar!.store, imgs);
    const results: AuditResult[] = [];
    for (const img of imgs) {
      const layers = [];
      for (const l of img.layers) layers.push((await reader.listing(ar!.store, l)).entries);
      const diffIdMismatches = img.layers.flatMap((l) => reader.mismatches
        .filter((m) => m.layer.diffId === l.diffId)
        .slice(0, 1)
        .map((m) => ({ layerIndex: l.index, declared: l.diffId, actual: m.actual })));
      results.push({ img, findings: audit({ config: img.config.config, layers, diffIdMismatches }) });
    }
    warnMismatches(reader);

    const failed = failOn !== undefined && results.some((r) => failsAt(r.findings, failOn));
    const shown = minSeverity === undefined ? results
      : results.map((r) => ({ ...r, findings: r.findings.filter((f) => severityRank(f.severity) >= severityRank(minSeverity)) }));

    let out: string;
    if (format === 'sarif') out = JSON.stringify(auditSarif(shown, toolVersion()), null, 2);
    else if (format === 'json') out = JSON.stringify(shown.length === 1 ? auditReport(shown[0]!) : shown.map(auditReport), null, 2);
    else out = renderAudit(shown, !a.trunc);
    process.stdout.write(`${out}\n`);
    if (failed) process.exitCode = EXIT.findings;
  },
};
