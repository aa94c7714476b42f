import type { ReportData, TreeNode } from './data.js';
import { squarify, type Rect } from './treemap.js';
import { humanSize, created as createdAt } from '../text.js';
import { shortId } from '../../digest.js';

/**
 * One self-contained HTML page from a ReportData: inline CSS, inline SVG, a few
 * lines of inline JS, no external asset and a Content-Security-Policy that
 * forbids any network access. Every string from the archive is escaped.
 */
export function esc(s: unknown): string {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** A colour per layer index, stable across pages (golden-angle hues). */
export function layerColour(i: number): string {
  if (i < 0) return 'hsl(0 0% 70%)';
  return `hsl(${Math.round((i * 137.508 + 200) % 360)} 58% 56%)`;
}

const W = 1000;
const H = 560;
const LABEL_H = 14;

function treemapSvg(tree: TreeNode): { svg: string; rects: number } {
  const parts: string[] = [];
  let rects = 0;
  const draw = (node: TreeNode, r: Rect, path: string, depth: number) => {
    if (r.w < 1 || r.h < 1) return;
    const full = path;
    const title = `${full || '/'} — ${humanSize(node.size)}${node.files !== undefined ? `, ${node.files} files` : ''}${node.layerIndex >= 0 ? `, ${node.children ? 'mostly ' : ''}layer ${node.layerIndex}` : ''}`;
    const attrs = `data-path="${esc(full || '/')}" data-size="${node.size}" data-layer="${node.layerIndex}"${node.files !== undefined ? ` data-files="${node.files}"` : ''}`;
    const box = `x="${r.x.toFixed(1)}" y="${r.y.toFixed(1)}" width="${r.w.toFixed(1)}" height="${r.h.toFixed(1)}"`;
    if (!node.children || node.children.length === 0 || r.w < 8 || r.h < 8) {
      rects++;
      parts.push(`<rect class="leaf" ${box} fill="${layerColour(node.layerIndex)}" ${attrs}><title>${esc(title)}</title></rect>`);
      return;
    }
    if (depth > 0) {
      rects++;
      parts.push(`<rect class="dir" ${box} ${attrs}><title>${esc(title)}</title></rect>`);
    }
    const showLabel = depth > 0 && r.w > 40 && r.h > LABEL_H + 10;
    if (showLabel) {
      const maxChars = Math.floor((r.w - 6) / 6.5);
      const label = node.name.length > maxChars ? `${node.name.slice(0, Math.max(1, maxChars - 1))}…` : node.name;
      parts.push(`<text x="${(r.x + 3).toFixed(1)}" y="${(r.y + 11).toFixed(1)}">${esc(label)}</text>`);
    }
    const pad = depth > 0 ? 1 : 0;
    const inner: Rect = { x: r.x + pad, y: r.y + (showLabel ? LABEL_H : pad), w: r.w - 2 * pad, h: r.h - (showLabel ? LABEL_H : pad) - pad };
    const kids = node.children.filter((k) => k.size > 0);
    const boxes = squarify(kids.map((k) => k.size), inner);
    kids.forEach((k, i) => draw(k, boxes[i]!, `${path}/${k.name}`, depth + 1));
  };
  if (tree.size > 0) draw(tree, { x: 0, y: 0, w: W, h: H }, '', 0);
  const svg = `<svg id="treemap" viewBox="0 0 ${W} ${H}" role="img" aria-label="final filesystem by size" xmlns="http://www.w3.org/2000/svg">${parts.join('')}</svg>`;
  return { svg, rects };
}

function bar(value: number, max: number, colour: string, label: string): string {
  const pct = max > 0 ? Math.max(0.5, (100 * value) / max) : 0;
  return `<div class="bar" title="${esc(label)}"><span style="width:${pct.toFixed(2)}%;background:${colour}"></span></div>`;
}

function kv(rows: [string, string][]): string {
  return `<dl class="kv">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join('')}</dl>`;
}

function commandLine(v: string[] | null): string {
  return v && v.length ? `<code>${esc(JSON.stringify(v))}</code>` : '<span class="muted">—</span>';
}

const CSS = `
:root{--fg:#1d232b;--muted:#66717e;--line:#dde2e8;--bg:#fff;--card:#f6f8fa;--ok:#1a7f37;--bad:#cf222e;--warn:#9a6700}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{padding:18px 28px;border-bottom:1px solid var(--line);background:var(--card)}h1{margin:0 0 4px;font-size:20px;word-break:break-all}
main{padding:8px 28px 40px;max-width:1200px}section{margin-top:26px}h2{font-size:16px;margin:0 0 10px;border-bottom:1px solid var(--line);padding-bottom:4px}
.muted{color:var(--muted)}code,.mono{font:12px/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.kv{display:grid;grid-template-columns:max-content 1fr;gap:3px 16px;margin:0}.kv dt{color:var(--muted)}.kv dd{margin:0;word-break:break-all}
.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(160px,1fr));gap:10px;margin-bottom:14px}
.card{background:var(--card);border:1px solid var(--line);border-radius:6px;padding:8px 12px}.card b{display:block;font-size:18px}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.03em}td.num,th.num{text-align:right;white-space:nowrap}
.bar{width:160px;height:12px;background:#eef1f4;border-radius:3px;overflow:hidden;margin-top:3px}.bar span{display:block;height:100%}
.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:4px;vertical-align:-1px}
.cmd{max-width:520px;word-break:break-word}.cmd code{white-space:pre-wrap}
#treemap{width:100%;height:auto;border:1px solid var(--line);background:#fafbfc;display:block}
#treemap rect.leaf{stroke:#fff;stroke-width:.5}#treemap rect.dir{fill:none;stroke:#8c959f;stroke-width:.8;pointer-events:all}
#treemap rect:hover{opacity:.8;cursor:pointer}#treemap text{font:11px system-ui,sans-serif;fill:#24292f;pointer-events:none}
#tm-info{min-height:22px;margin:6px 0;font-size:13px}.legend span{margin-right:12px;white-space:nowrap}
.ok{color:var(--ok);font-weight:600}.bad{color:var(--bad);font-weight:600}.sev-critical,.sev-high{color:var(--bad);font-weight:600}.sev-medium{color:var(--warn);font-weight:600}
footer{margin-top:30px;color:var(--muted);font-size:12px}
`;

const JS = `
(function(){
  var info=document.getElementById('tm-info');var svg=document.getElementById('treemap');
  if(!svg||!info)return;
  var fmt=${humanSize.toString()};
  function show(e){var t=e.target;if(!t||!t.getAttribute||!t.getAttribute('data-path'))return;
    var files=t.getAttribute('data-files');var layer=+t.getAttribute('data-layer');
    info.textContent=t.getAttribute('data-path')+' \\u2014 '+fmt(+t.getAttribute('data-size'))+(files?' in '+files+' files':'')+(layer>=0?' \\u2014 layer '+layer:'');}
  svg.addEventListener('mousemove',show);svg.addEventListener('click',show);
})();
`;

const STATUS_CLASS: Record<string, string> = { verified: 'ok', invalid: 'bad', unverified: 'bad', unchecked: 'muted' };

/** Signatures (as verify judged them), provenance and SBOMs: what a reviewer asks first. */
function supplyHtml(x: NonNullable<ReportData['supply']>): string {
  const s: string[] = [`<section id="supply"><h2>Supply chain</h2>`];
  const g = x.signatures;
  const nothing = g.found === 0 && x.provenance.length === 0 && x.sboms.length === 0 && Object.keys(x.other).length === 0;
  if (nothing) s.push(`<p class="muted">Nothing travels with this image: no signature, provenance, SBOM or other artifact in this input.</p>`);
  if (g.found) {
    s.push(`<h3>Signatures</h3><p>${g.found} found, ${g.checked ? `<span class="${g.verified ? 'ok' : 'bad'}">${g.verified} verified</span>` : '<span class="muted">not checked (give --key, --gpg-keyring or --trusted-root)</span>'}.</p>`);
    s.push(`<table id="signatures"><thead><tr><th>status</th><th>scheme</th><th>kind</th><th>attached by</th><th>signer</th><th>why</th></tr></thead><tbody>`);
    for (const c of g.items) s.push(`<tr><td class="${STATUS_CLASS[c.status] ?? ''}">${esc(c.status)}</td><td>${esc(c.scheme)}</td><td>${esc(c.kind)}</td><td>${esc(c.how)}</td><td>${esc(c.identity ?? '')}</td><td>${esc(c.why)}</td></tr>`);
    s.push(`</tbody></table>`);
  }
  for (const p of x.provenance) {
    const args = Object.entries(p.buildArgs).map(([k, v]) => `${k}=${v}`).join(' ');
    s.push(`<h3>Provenance (SLSA ${esc(p.slsaVersion)}, ${esc(p.how)})</h3>`);
    s.push(kv([
      ['builder', esc(p.builderId ?? '—')],
      ['build type', esc(p.buildType ?? '—')],
      ['source', p.sourceRepo ? `<span class="mono">${esc(p.sourceRepo)}${p.sourceCommit ? ` @ ${esc(p.sourceCommit)}` : ''}</span>` : '<span class="muted">—</span>'],
      ['build args', args ? `<span class="mono">${esc(args)}</span>` : '<span class="muted">—</span>'],
      ['built', esc(`${createdAt(p.startedOn)} → ${createdAt(p.finishedOn)}`)],
      ['about', p.subjectMatches ? esc(`this image's ${p.subjectMatches}`) : '<span class="bad">NOT this image</span>'],
      ...(p.secretBuildArgs.length ? [['secrets?', `<span class="bad">${esc(p.secretBuildArgs.join(', '))} look like secrets (masked): anyone with the image can read them</span>`] as [string, string]] : []),
    ]));
  }
  if (x.sboms.length) {
    s.push(`<h3>SBOMs</h3><table id="sboms"><thead><tr><th>format</th><th class="num">packages</th><th>generator</th><th>name</th><th>attached by</th><th>document</th></tr></thead><tbody>`);
    for (const b of x.sboms) s.push(`<tr><td>${esc(`${b.format} ${b.version}`)}</td><td class="num">${b.packages}</td><td>${esc(b.generators.join(', '))}</td><td>${esc(b.name ?? '')}</td><td>${esc(b.how)}</td><td class="mono">${esc(b.document ? shortId(b.document) : '')}</td></tr>`);
    s.push(`</tbody></table>`);
  }
  const other = Object.entries(x.other).map(([k, n]) => `${n} ${k}${n === 1 ? '' : 's'}`);
  if (other.length) s.push(`<p class="muted">Also attached: ${esc(other.join(', '))} (see <code>layerdig attached</code>).</p>`);
  if (x.problems.length) s.push(`<ul>${x.problems.map((p) => `<li class="bad">${esc(p)}</li>`).join('')}</ul>`);
  s.push(`</section>`);
  return s.join('');
}

export function renderHtmlReport(d: ReportData): string {
  const img = d.image;
  const s: string[] = [];
  s.push(`<!doctype html><html lang="en"><head><meta charset="utf-8">`);
  s.push(`<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">`);
  s.push(`<meta name="viewport" content="width=device-width,initial-scale=1"><meta name="generator" content="${esc(d.tool)}">`);
  s.push(`<title>${esc(img.title)} — layerdig report</title><style>${CSS}</style></head><body>`);
  s.push(`<header><h1>${esc(img.title)}</h1><div class="muted">${esc(img.archive)} · ${esc(img.format)} · report by ${esc(d.tool)} on ${esc(createdAt(d.generatedAt))}</div></header><main>`);
  s.push(...summarySection(d), ...layersSection(d), ...filesystemSection(d));
  // optional sections
  if (d.efficiency) s.push(...efficiencySection(d.efficiency));
  if (d.verify) s.push(...verifySection(d.verify));
  if (d.audit) s.push(...auditSection(d.audit));
  if (d.supply) s.push(supplyHtml(d.supply));
  s.push(...notesSection(d));
  s.push(`<footer>${esc(d.tool)} · ${esc(d.schema)} · one file, no network: it can be attached to a ticket as is.</footer>`);
  s.push(`</main><script>${JS}</script></body></html>\n`);
  return s.join('');
}


/** The image: size cards and the config a reviewer asks about first. */
function summarySection(d: ReportData): string[] {
  const s: string[] = [];
  const img = d.image;
  const allVerified = d.layers.every((l) => l.diffIdVerified);
  s.push(`<section id="summary"><h2>Image</h2><div class="cards">`);
  const card = (label: string, value: string) => s.push(`<div class="card"><span class="muted">${esc(label)}</span><b>${value}</b></div>`);
  card('layers', String(img.layerCount));
  card('size (as docker images)', esc(humanSize(img.size)));
  card('stored (blobs)', esc(humanSize(img.compressedSize)));
  card('uncompressed', esc(humanSize(img.uncompressedSize)));
  card('final filesystem', `${esc(humanSize(img.finalSize))} <span class="muted">in ${img.finalFiles} files</span>`);
  card('diffIDs', allVerified ? '<span class="ok">all verified</span>' : '<span class="bad">MISMATCH</span>');
  if (d.efficiency) card('efficiency', esc(`${(d.efficiency.efficiency * 100).toFixed(2)} %`));
  if (d.verify) card('verify', d.verify.ok ? '<span class="ok">passed</span>' : '<span class="bad">FAILED</span>');
  if (d.audit) card('audit findings', String(d.audit.findings.length));
  if (d.supply) {
    const g = d.supply.signatures;
    card('signatures', g.found === 0 ? '<span class="muted">none</span>'
      : !g.checked ? `${g.found} <span class="muted">not checked</span>`
        : g.verified ? `<span class="ok">${g.verified} of ${g.found} verified</span>` : `<span class="bad">0 of ${g.found} verified</span>`);
  }
  s.push(`</div>`);
  s.push(kv([
    ['image ID', `<span class="mono">${esc(img.id)}</span>`],
    ['tags', img.repoTags.length ? esc(img.repoTags.join(', ')) : '<span class="muted">&lt;none&gt;</span>'],
    ['manifest digest', img.manifestDigest ? `<span class="mono">${esc(img.manifestDigest)}</span>` : '<span class="muted">—</span>'],
    ['platform', esc(img.platform)],
    ['created', esc(createdAt(img.created))],
    ['user', img.config.user ? esc(img.config.user) : '<span class="bad">root (User is empty)</span>'],
    ['entrypoint', commandLine(img.config.entrypoint)],
    ['cmd', commandLine(img.config.cmd)],
    ['working dir', esc(img.config.workingDir || '/')],
    ['exposed ports', img.config.exposedPorts.length ? esc(img.config.exposedPorts.join(', ')) : '<span class="muted">—</span>'],
    ['env variables', String(img.config.env)],
  ]));
  s.push(`</section>`);
  return s;
}

/** One row per layer, with the empty history steps between them. */
function layersSection(d: ReportData): string[] {
  const s: string[] = [];
  const maxLayer = Math.max(1, ...d.layers.map((l) => l.size));
  const dead = new Map((d.efficiency?.deadByLayer ?? []).map((x) => [x.layerIndex, x.bytes]));
  s.push(`<section id="layers"><h2>Layers</h2><table id="layers-table"><thead><tr><th>#</th><th>size</th><th class="num">stored</th><th class="num">files</th><th class="num">still visible</th><th class="num">${d.efficiency?.deadByLayer ? 'dead bytes' : 'overwritten / deleted'}</th><th>created by</th></tr></thead><tbody>`);
  const afterLayer = new Map<number | null, string[]>();
  for (const e of d.emptySteps) afterLayer.set(e.afterLayer, [...(afterLayer.get(e.afterLayer) ?? []), e.createdBy]);
  const emptyRows = (k: number | null) => (afterLayer.get(k) ?? []).map((c) =>
    `<tr class="empty-step muted"><td></td><td colspan="5">empty layer</td><td class="cmd"><code>${esc(c)}</code></td></tr>`).join('');
  s.push(emptyRows(null));
  for (const l of d.layers) {
    const deadBytes = d.efficiency?.deadByLayer ? dead.get(l.index) ?? 0 : l.hiddenBytes;
    s.push(`<tr class="layer-row" data-layer="${l.index}"><td><span class="swatch" style="background:${layerColour(l.index)}"></span>${l.index}</td>`
      + `<td>${esc(humanSize(l.size))}${bar(l.size, maxLayer, layerColour(l.index), `${humanSize(l.size)} of files`)}<div class="muted mono" title="${esc(l.diffId)}">${esc(shortId(l.diffId))}${l.diffIdVerified ? '' : ' <span class="bad">diffID mismatch</span>'}</div></td>`
      + `<td class="num">${esc(humanSize(l.compressedSize))}<div class="muted">${esc(l.compression)}</div></td>`
      + `<td class="num">${l.files}</td><td class="num">${esc(humanSize(l.visibleBytes))}</td>`
      + `<td class="num">${deadBytes ? `<span class="${deadBytes > 0.1 * Math.max(1, l.size) ? 'bad' : ''}">${esc(humanSize(deadBytes))}</span>` : '0B'}</td>`
      + `<td class="cmd">${l.createdBy ? `<code>${esc(l.createdBy)}</code>` : '<span class="muted">no history entry</span>'}</td></tr>`);
    s.push(emptyRows(l.index));
  }
  s.push(`</tbody></table><p class="muted">“still visible”: bytes of the layer's files that the final filesystem shows; “${d.efficiency?.deadByLayer ? 'dead bytes' : 'overwritten / deleted'}”: bytes the layer stores that later layers hide — shipped, never used.</p></section>`);
  return s;
}

/** The final filesystem as a treemap, and its largest files. */
function filesystemSection(d: ReportData): string[] {
  const s: string[] = [];
  const { svg, rects } = treemapSvg(d.tree);
  s.push(`<section id="filesystem"><h2>Final filesystem by size</h2>`);
  s.push(`<div class="legend muted">colour = the layer that wrote the file: ${d.layers.map((l) => `<span><span class="swatch" style="background:${layerColour(l.index)}"></span>${l.index}</span>`).join('')}</div>`);
  s.push(`<div id="tm-info" class="muted">Point at a box for its path and size.</div>${svg}`);
  s.push(`<p class="muted">${rects} boxes; small files are grouped per directory as “(n more)”.</p>`);
  s.push(`<h2>Largest files</h2><table id="largest"><thead><tr><th>path</th><th class="num">size</th><th class="num">layer</th></tr></thead><tbody>`);
  for (const f of d.largest) s.push(`<tr><td class="mono">${esc(f.path)}</td><td class="num">${esc(humanSize(f.size))}</td><td class="num"><span class="swatch" style="background:${layerColour(f.layerIndex)}"></span>${f.layerIndex}</td></tr>`);
  s.push(`</tbody></table></section>`);
  return s;
}

/** dive's numbers, when the efficiency analysis ran. */
function efficiencySection(e: NonNullable<ReportData['efficiency']>): string[] {
  const s: string[] = [];
  s.push(`<section id="efficiency"><h2>Efficiency (dive-compatible)</h2>`);
  s.push(kv([
    ['efficiency', esc(`${(e.efficiency * 100).toFixed(4)} %`)],
    ['image size', esc(humanSize(e.sizeBytes))],
    ['wasted bytes', esc(humanSize(e.wastedBytes))],
    ['user wasted', esc(e.userWastedPercent === null ? '—' : `${(e.userWastedPercent * 100).toFixed(2)} %`)],
    ...(e.deadBytes !== undefined ? [['dead bytes', esc(humanSize(e.deadBytes))] as [string, string]] : []),
  ]));
  if (e.inefficiencies?.length) {
    s.push(`<table><thead><tr><th class="num">count</th><th class="num">total</th><th>path</th></tr></thead><tbody>`);
    for (const i of e.inefficiencies.slice(0, 50)) s.push(`<tr><td class="num">${i.count}</td><td class="num">${esc(humanSize(i.cumulativeSize))}</td><td class="mono">${esc(i.path)}</td></tr>`);
    s.push(`</tbody></table>`);
  }
  s.push(`</section>`);
  return s;
}

/** The failed verify checks, when verify ran. */
function verifySection(v: NonNullable<ReportData['verify']>): string[] {
  const s: string[] = [];
  const failed = v.checks.filter((c) => !c.ok);
  s.push(`<section id="verify"><h2>Verify</h2><p>${v.ok ? '<span class="ok">Every check passed</span>' : `<span class="bad">${failed.length} check(s) failed</span>`} (${v.checks.length} checks).</p>`);
  if (failed.length) {
    s.push(`<table><thead><tr><th>check</th><th>subject</th><th>expected</th><th>actual</th></tr></thead><tbody>`);
    for (const c of failed) s.push(`<tr><td>${esc(c.check)}</td><td class="mono">${esc(c.subject)}</td><td class="mono">${esc(c.expected === undefined ? '' : JSON.stringify(c.expected))}</td><td class="mono">${esc(c.actual === undefined ? '' : JSON.stringify(c.actual))}</td></tr>`);
    s.push(`</tbody></table>`);
  }
  s.push(`</section>`);
  return s;
}

/** Audit findings by severity, when the audit ran. */
function auditSection(a: NonNullable<ReportData['audit']>): string[] {
  const s: string[] = [];
  const order = ['critical', 'high', 'medium', 'low', 'info'];
  const f = [...a.findings].sort((a, b) => order.indexOf(a.severity) - order.indexOf(b.severity));
  s.push(`<section id="audit"><h2>Audit</h2>${f.length ? '' : '<p class="ok">No findings.</p>'}`);
  if (f.length) {
    s.push(`<table><thead><tr><th>severity</th><th>rule</th><th>path</th><th class="num">layer</th><th>detail</th></tr></thead><tbody>`);
    for (const x of f) s.push(`<tr><td class="sev-${esc(x.severity)}">${esc(x.severity)}</td><td>${esc(x.rule)}</td><td class="mono">${esc(x.path ?? '')}</td><td class="num">${x.layerIndex ?? ''}</td><td>${esc(x.detail ?? '')}</td></tr>`);
    s.push(`</tbody></table>`);
  }
  s.push(`</section>`);
  return s;
}

/** Notes, and which optional sections this report lacks. */
function notesSection(d: ReportData): string[] {
  const s: string[] = [];
  const missing = [!d.efficiency && 'efficiency', !d.verify && 'verify', !d.audit && 'audit', !d.supply && 'supply chain'].filter(Boolean);
  if (d.notes.length || missing.length) {
    s.push(`<section id="notes"><h2>Notes</h2><ul>${d.notes.map((n) => `<li>${esc(n)}</li>`).join('')}`);
    if (missing.length) s.push(`<li class="muted">Not in this report: ${esc(missing.join(', '))}.</li>`);
    s.push(`</ul></section>`);
  }
  return s;
}
