import { createHash } from 'node:crypto';
import type { Image } from '../image/model.js';
import { describeImage, imageNames } from '../image/select.js';
import { countBySeverity, RULES, SEVERITIES, type Finding, type Severity } from '../analysis/audit.js';
import { hexOf } from '../digest.js';
import { ellipsis } from './text.js';
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

/** Low and info findings are grouped by rule and directory in tables unless `--all`: the debian image has 2 337 recoverable files. */
const GROUPED: ReadonlySet<Severity> = new Set(['low', 'info']);
/** how deep the grouping directory goes: /usr/share/doc, not each package's own directory */
const GROUP_DEPTH = 3;

export interface FindingRow {
  severity: Severity;
  rule: string;
  layers: string;
  path: string;
  detail: string;
}

function groupDir(path: string): string {
  const parts = path.split('/');
  return parts.slice(0, Math.min(GROUP_DEPTH, parts.length - 1)).join('/');
}

/**
 * Table rows: every critical/high/medium finding on its own line; low and info
 * findings of one rule under one directory (at most three levels deep) folded
 * into one line with their count, when there are two or more.
 */
export function findingRows(findings: readonly Finding[], all: boolean): FindingRow[] {
  const one = (f: Finding): FindingRow => ({
    severity: f.severity, rule: f.rule, layers: f.layerIndex === null ? '-' : String(f.layerIndex),
    path: f.path !== null ? `/${f.path}` : f.rule !== 'secret-build-arg' ? '(config)' : f.detail.startsWith('history') ? '(history)' : '(provenance)', detail: f.detail,
  });
  if (all) return findings.map(one);
  const groups = new Map<string, Finding[]>();
  const rows: (FindingRow | Finding[])[] = [];
  for (const f of findings) {
    if (!GROUPED.has(f.severity) || f.path === null) { rows.push(one(f)); continue; }
    const key = `${f.rule}\0${groupDir(f.path)}`;
    let g = groups.get(key);
    if (!g) { g = []; groups.set(key, g); rows.push(g); }
    g.push(f);
  }
  return rows.map((r) => {
    if (!Array.isArray(r)) return r;
    if (r.length === 1) return one(r[0]!);
    const layers = [...new Set(r.map((f) => f.layerIndex))].sort((a, b) => (a ?? -1) - (b ?? -1));
    const dir = groupDir(r[0]!.path!);
    return {
      severity: r[0]!.severity, rule: r[0]!.rule, layers: layers.join(','),
      path: `/${dir}${dir ? '/' : ''}…`, detail: `${r.length} paths (--all lists each)`,
    };
  });
}

export function renderAudit(results: AuditResult[], full: boolean, all = false): string {
  return results.map(({ img, findings }) => {
    const head = `IMAGE ${describeImage(img)}`;
    if (findings.length === 0) return `${head}\nno findings`;
    const rows = findingRows(findings, all).map((f) => [
      f.severity.toUpperCase(), f.rule, f.layers, ellipsis(f.path, 60, full), ellipsis(f.detail, 90, full),
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
