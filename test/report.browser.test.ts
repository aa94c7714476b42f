import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './helpers/tmp.js';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { run, ROOT, FIXTURES } from './helpers/cli.js';
import { finalFs, type Truth } from './helpers/truth.js';
import { renderHtmlReport } from '../src/report/html/page.js';
import type { ReportData } from '../src/report/html/data.js';

/**
 * `layerdig report` in a real browser: Debian's chromium driven by
 * playwright-core. Skipped only when /usr/bin/chromium is absent (.ci/run
 * installs it). Screenshots go to test-artifacts/.
 */
const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(ROOT, 'test-artifacts');
const has = existsSync(CHROMIUM);

interface Loaded { page: Page; problems: string[] }

describe.skipIf(!has)('report in headless Chromium', () => {
  let browser: Browser;
  let dir: string;

  beforeAll(async () => {
    const { chromium } = await import('playwright-core');
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
    dir = tempDir('layerdig-report-');
    mkdirSync(ARTIFACTS, { recursive: true });
  });
  afterAll(async () => {
    await browser?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Open a page and record console errors, page errors, dialogs and any request but the page itself. */
  async function load(file: string): Promise<Loaded> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const url = pathToFileURL(file).href;
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
    page.on('dialog', (d) => { problems.push(`dialog: ${d.message()}`); void d.dismiss(); });
    page.on('request', (r) => { if (r.url() !== url) problems.push(`request: ${r.url()}`); });
    await page.goto(url, { waitUntil: 'load' });
    return { page, problems };
  }

  const truthOf = (image: string, variant: string) =>
    JSON.parse(readFileSync(join(FIXTURES, 'real', image, `${image}.${variant}.truth.json`), 'utf8')) as Truth;

  it.each([
    ['fixture', 'docker-archive', 'fixture.docker-archive.tar'],
    ['app1', 'oci-zstd', 'app1.oci-zstd'],
  ])('%s (%s): layer rows, history, treemap, no console error, no network', async (image, variant, file) => {
    const truth = truthOf(image, variant).images[0]!;
    const out = join(dir, `${image}-${variant}.html`);
    const r = run(['report', join(FIXTURES, 'real', image, file), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(statSync(out).size).toBeGreaterThan(1000);

    const { page, problems } = await load(out);
    // one row per layer, each with its history instruction (truth: skopeo's config history)
    const rows = page.locator('#layers-table tr.layer-row');
    expect(await rows.count()).toBe(truth.layer_count);
    const made = truth.history.filter((h) => !h.empty_layer).map((h) => h.created_by);
    const shown = await page.locator('#layers-table tr.layer-row td.cmd code').allTextContents();
    expect(shown).toEqual(made);
    const empties = await page.locator('#layers-table tr.empty-step td.cmd code').allTextContents();
    expect(empties).toEqual(truth.history.filter((h) => h.empty_layer).map((h) => h.created_by));

    // the chart: drawn, visible, and its top-level boxes weigh what buildah's rootfs says
    const svg = page.locator('svg#treemap');
    const box = await svg.boundingBox();
    expect(box!.width).toBeGreaterThan(500);
    expect(box!.height).toBeGreaterThan(200);
    expect(await page.locator('svg#treemap rect').count()).toBeGreaterThan(3);
    // bytes per top-level directory from buildah's rootfs, a hard-linked file counted once
    // (as layerdig's sizes count hard links 0): names with nlink > 1 and the same content are one file
    const fsTruth = finalFs(image).filter((e) => e.type === 'f');
    const byTop = new Map<string, number>();
    const linked = new Set<string>();
    for (const e of fsTruth) {
      const top = e.path.split('/')[0]!;
      if (!e.path.includes('/')) continue;
      if ((e.nlink ?? 1) > 1) {
        const key = `${top}:${e.sha256}:${e.size}`;
        if (linked.has(key)) continue;
        linked.add(key);
      }
      byTop.set(top, (byTop.get(top) ?? 0) + (e.size ?? 0));
    }
    const [bigDir, bigBytes] = [...byTop].sort((a, b) => b[1] - a[1])[0]!;
    const rect = page.locator(`svg#treemap rect[data-path="/${bigDir}"]`);
    expect(await rect.count()).toBe(1);
    expect(Number(await rect.getAttribute('data-size'))).toBe(bigBytes);
    // pointing at a box names it
    await rect.hover({ position: { x: 3, y: 3 } });
    expect(await page.locator('#tm-info').textContent()).toContain(`/${bigDir}`);

    // verify, efficiency and audit sections: the archive verifies; every setuid/setgid file of
    // buildah's rootfs has an audit row
    expect(await page.locator('#verify').textContent()).toContain('Every check passed');
    expect(await page.locator('#efficiency').count()).toBe(1);
    const flagged = await page.locator('#audit tr td.mono').allTextContents();
    const special = finalFs(image).filter((e) => e.type === 'f' && (parseInt(e.mode, 8) & 0o6000) !== 0).map((e) => e.path);
    for (const p of special) expect(flagged.some((t) => t.replace(/^\//, '') === p), p).toBe(true);
    if (image === 'fixture') expect(special.length).toBeGreaterThan(0);

    await page.screenshot({ path: join(ARTIFACTS, `report-${image}-${variant}.png`), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('escapes hostile names and renders the optional sections it is given', async () => {
    const evil = '<img src=x onerror="alert(1)">';
    const data: ReportData = {
      schema: 'layerdig-report/1', generatedAt: '2026-01-01T00:00:00Z', tool: 'layerdig test',
      image: {
        title: `evil ${evil}`, archive: `/tmp/${evil}.tar`, format: 'docker-archive', id: `sha256:${'a'.repeat(64)}`, repoTags: [`x:${evil}`],
        manifestDigest: null, platform: 'linux/amd64', created: null, layerCount: 1, compressedSize: 10, uncompressedSize: 20, size: 5,
        finalSize: 5, finalFiles: 1,
        config: { user: '', entrypoint: [evil], cmd: null, workingDir: '', env: 0, exposedPorts: [] },
      },
      layers: [{ index: 0, diffId: `sha256:${'b'.repeat(64)}`, digest: null, compression: 'none', compressedSize: 10, uncompressedSize: 20, size: 5, entries: 1, files: 1, visibleBytes: 5, hiddenBytes: 0, createdBy: `RUN echo ${evil} </script><script>alert(2)</script>`, created: null, diffIdVerified: true }],
      emptySteps: [],
      tree: { name: '/', size: 5, layerIndex: 0, files: 1, children: [{ name: evil, size: 5, layerIndex: 0 }] },
      largest: [{ path: evil, size: 5, layerIndex: 0 }],
      efficiency: { efficiency: 0.98, sizeBytes: 100, wastedBytes: 2, userWastedPercent: 0.02, deadByLayer: [{ layerIndex: 0, bytes: 0 }], inefficiencies: [{ path: evil, count: 2, cumulativeSize: 10 }] },
      verify: { ok: false, checks: [{ check: 'layer diffID', subject: evil, expected: 'sha256:1', actual: 'sha256:2', ok: false }] },
      audit: { findings: [{ rule: 'setuid', severity: 'high', path: evil, layerIndex: 0, detail: evil }] },
      notes: [evil],
    };
    const out = join(dir, 'evil.html');
    writeFileSync(out, renderHtmlReport(data));
    const { page, problems } = await load(out);
    expect(await page.locator('img').count()).toBe(0);
    expect(await page.locator('script').count()).toBe(1); // ours only
    expect(await page.locator('#layers-table td.cmd code').textContent()).toContain('</script><script>alert(2)</script>');
    expect(await page.locator('#efficiency').count()).toBe(1);
    expect(await page.locator('#verify').textContent()).toContain('1 check(s) failed');
    expect(await page.locator('#audit td.sev-high').count()).toBe(1);
    await page.screenshot({ path: join(ARTIFACTS, 'report-sections.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
