import type { Image } from '../image/model.js';
import type { GateResult } from '../analysis/gate.js';
import type { GateSettings } from '../analysis/gate-config.js';
import type { Inefficiency } from '../analysis/efficiency.js';
import { describeImage, imageNames } from '../image/select.js';
import { imageRef } from './images.js';
import { humanSize } from './text.js';
import { table } from './table.js';

export function ciReport(img: Image, gate: GateResult, settings: GateSettings, config: string | null) {
  return {
    image: imageRef(img),
    pass: gate.pass,
    config,
    rules: gate.rules.map((r) => ({
      name: r.name, status: r.status, value: r.value, threshold: r.threshold, message: r.message, source: settings[r.name].source,
    })),
  };
}

export type CiReport = ReturnType<typeof ciReport>;

function tally(r: CiReport) {
  const n = (s: string) => r.rules.filter((x) => x.status === s).length;
  return { pass: n('PASS'), fail: n('FAIL'), skip: n('SKIP') };
}

const show = (v: number | null) => (v === null ? '-' : String(v));

export function renderCi(img: Image, r: CiReport, inefficiencies: Inefficiency[], top: number): string {
  const out: string[] = [`IMAGE ${describeImage(img)}`, `config: ${r.config ?? "none (dive's defaults)"}`];
  if (inefficiencies.length) {
    const shown = top > 0 ? inefficiencies.slice(0, top) : inefficiencies;
    out.push('', `inefficient files${shown.length < inefficiencies.length ? ` (top ${shown.length} of ${inefficiencies.length})` : ''}:`);
    out.push(table(['COUNT', 'WASTED', 'PATH'], shown.map((i) => [i.count, humanSize(i.cumulativeSize), i.path])));
  }
  out.push('', table(['RULE', 'STATUS', 'VALUE', 'THRESHOLD', 'FROM', 'MESSAGE'],
    r.rules.map((x) => [x.name, x.status, show(x.value), show(x.threshold), x.source, x.message])));
  const t = tally(r);
  out.push('', `Result: ${r.pass ? 'PASS' : 'FAIL'} [rules:${r.rules.length} pass:${t.pass} fail:${t.fail} skip:${t.skip}]`);
  return out.join('\n');
}

/** XML 1.0 text: escape markup and drop characters XML cannot hold. */
function esc(s: string): string {
  return s
    // eslint-disable-next-line no-control-regex
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]/g, '')
    .replace(/[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g, '')
    .replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&apos;');
}

/** JUnit XML: one testsuite per image, one testcase per rule (failure / skipped as CI systems expect). */
export function renderJunit(items: { img: Image; report: CiReport }[]): string {
  const all = items.map((i) => ({ ...i, t: tally(i.report) }));
  const sum = (k: 'pass' | 'fail' | 'skip') => all.reduce((s, i) => s + i.t[k], 0);
  const tests = all.reduce((s, i) => s + i.report.rules.length, 0);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>',
    `<testsuites name="layerdig ci" tests="${tests}" failures="${sum('fail')}" errors="0" skipped="${sum('skip')}">`];
  for (const { img, report, t } of all) {
    const name = `${imageNames(img)[0] ?? '<none>'} ${img.id}`;
    const cls = `layerdig.ci.${(imageNames(img)[0] ?? img.id.slice(7, 19)).replace(/[^A-Za-z0-9_.:/-]/g, '_')}`;
    lines.push(`  <testsuite name="${esc(name)}" tests="${report.rules.length}" failures="${t.fail}" errors="0" skipped="${t.skip}" time="0">`);
    lines.push('    <properties>',
      `      <property name="archive" value="${esc(img.archive)}"/>`,
      `      <property name="image" value="${esc(img.id)}"/>`,
      `      <property name="config" value="${esc(report.config ?? '')}"/>`,
      '    </properties>');
    for (const r of report.rules) {
      const detail = `value=${show(r.value)} threshold=${show(r.threshold)} (from ${r.source})`;
      lines.push(`    <testcase classname="${esc(cls)}" name="${esc(r.name)}" time="0">`);
      if (r.status === 'FAIL') lines.push(`      <failure type="gate" message="${esc(r.message)}">${esc(detail)}</failure>`);
      else if (r.status === 'SKIP') lines.push(`      <skipped message="${esc(r.message)}"/>`);
      lines.push(`      <system-out>${esc(detail)}</system-out>`, '    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>', '');
  return lines.join('\n');
}
