import { createHash } from 'node:crypto';
import type { Image } from '../image/model.js';
import { describeImage, imageNames } from '../image/select.js';
import { countBySeverity, RULES, SEVERITIES, type Finding, type Severity } from '../analysis/audit.js';
import { hexOf } from '../digest.js';
import { ellipsis } from './format.js';
import { imageRef } from './images.js';
import { table } from './table.js';

export interface AuditResult {
  img: Image;
  findings: Finding[];
}

/** `--json`: `{image, findings: [{rule, severity, path, layerIndex, detail}]}` */
export function auditReport(r: AuditResult) {
  return {
    image: imageRef(r.img),
    findings: r.findings.map((f) => ({ rule: f.rule, severity: f.severity, path: f.path, layerIndex: f.layerIndex, detail: f.detail })),
  };
}

export function summaryLine(findings: readonly Finding[]): string {
  if (findings.length === 0) return 'no findings';
  const c = countBySeverity(findings);
  return `${findings.length} finding${findings.length === 1 ? '' : 's'}: ${SEVERITIES.map((s) => `${c[s]} ${s}`).join(', ')}`;
}

export function renderAudit(results: AuditResult[], full: boolean): string {
  return results.map(({ img, findings }) => {
    const head = `IMAGE ${describeImage(img)}`;
    if (findings.length === 0) return `${head}\nno findings`;
    const rows = findings.map((f) => [
      f.severity.toUpperCase(), f.rule, f.layerIndex ?? '-',
      f.path === null ? '(config)' : ellipsis(`/${f.path}`, 60, full), ellipsis(f.detail, 90, full),
    ]);
    return `${head}\n${table(['SEVERITY', 'RULE', 'LAYER', 'PATH', 'DETAIL'], rows)}\n${summaryLine(findings)}`;
  }).join('\n\n');
}

/* ------------------------------------------------------------------ SARIF 2.1.0 */

const SARIF_SCHEMA = 'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json';

/** SARIF has three levels; the five severities also go to GitHub as `security-severity` (0–10). */
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note', info: 'note' };
const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0', info: '0.0' };

/** A path as a URI reference: each segment percent-encoded (spaces, `#`, `?`, `:`, `%`, non-ASCII; `.`/`..` too, so no consumer resolves them). */
export function pathUri(path: string): string {
  return path.split('/').map((s) => (s === '.' ? '%2E' : s === '..' ? '%2E%2E' : encodeURIComponent(s))).join('/');
}

function imageName(img: Image): string {
  return imageNames(img)[0] ?? img.id;
}

/**
 * One run (one tool invocation; GitHub refuses several runs of one tool and
 * category in an upload) with every image's findings. Each result names the
 * file by its path in the image filesystem (physical location, what code
 * scanning needs) and by image/layer/path (logical location); config findings
 * name the config blob `blobs/sha256/<image id>`.
 */
export function auditSarif(results: AuditResult[], toolVersion: string) {
  const ruleIndex = new Map(RULES.map((r, i) => [r.id, i]));
  return {
    $schema: SARIF_SCHEMA,
    version: '2.1.0',
    runs: [{
      tool: {
        driver: {
          name: 'layerdig',
          version: toolVersion,
          semanticVersion: toolVersion,
          rules: RULES.map((r) => ({
            id: r.id,
            name: r.id.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase()),
            shortDescription: { text: r.title },
            fullDescription: { text: r.help },
            help: { text: `${r.help} Severity: ${r.severity}.` },
            defaultConfiguration: { level: LEVEL[r.severity] },
            properties: { tags: ['security', 'container'], 'security-severity': SECURITY_SEVERITY[r.severity], severity: r.severity },
          })),
        },
      },
      results: results.flatMap(({ img, findings }) => findings.map((f) => {
        const name = imageName(img);
        const uri = f.path === null ? `blobs/sha256/${hexOf(img.id)}` : pathUri(f.path);
        const where = f.path === null ? 'config' : `/${f.path}`;
        const layer = f.layerIndex === null ? null : img.layers[f.layerIndex];
        return {
          ruleId: f.rule,
          ruleIndex: ruleIndex.get(f.rule)!,
          level: LEVEL[f.severity],
          message: { text: `${where}: ${f.detail} (image ${name}${f.layerIndex === null ? '' : `, layer ${f.layerIndex}`})` },
          locations: [{
            physicalLocation: { artifactLocation: { uri }, region: { startLine: 1 } },
            logicalLocations: [{
              name: f.path === null ? 'config' : f.path.slice(f.path.lastIndexOf('/') + 1),
              fullyQualifiedName: `${name}${f.layerIndex === null ? '' : `//layers/${f.layerIndex}`}//${f.path ?? 'config'}`,
              kind: f.path === null ? 'resource' : 'member',
            }],
          }],
          // stable across rebuilds (rule, path, layer; the detail for config findings), not tied to the image ID
          partialFingerprints: { 'layerdigFinding/v1': createHash('sha256').update(`${f.rule}\0${f.path ?? ''}\0${f.layerIndex ?? ''}\0${f.path === null ? f.detail : ''}`).digest('hex') },
          properties: {
            severity: f.severity,
            image: name,
            imageId: img.id,
            layerIndex: f.layerIndex,
            ...(layer ? { diffId: layer.diffId } : {}),
            ...(f.path !== null ? { path: f.path } : {}),
          },
        };
      })),
      properties: { images: results.map(({ img }) => ({ name: imageName(img), id: img.id, archive: img.archive })) },
    }],
  };
}
