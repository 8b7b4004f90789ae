import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import type { DriftReport } from '../../src/fleet/report.ts';
import { AGENT_STATUSES } from '../../src/fleet/types.ts';
import { captureIo } from '../helpers/io.ts';
import {
  CLASS_ROWS,
  csvOf,
  makeFleetFixtures,
  NOW,
  type FleetFixtures,
} from '../fixtures/fleet/make-fixtures.ts';

const SCREENSHOT_DIR = fileURLToPath(new URL('../output/html/', import.meta.url));

let fx: FleetFixtures;
let browser: Browser;
let report: DriftReport;
let htmlPath: string;

beforeAll(async () => {
  fx = await makeFleetFixtures();
  const dir = await mkdtemp(join(tmpdir(), 'rmm-verify-html-'));
  const db = join(dir, 'history.sqlite');
  // An earlier scan (every agent one release behind) so the page has versions over time.
  const earlier = join(dir, 'earlier.csv');
  await writeFile(
    earlier,
    csvOf(CLASS_ROWS.map((r) => (r[4] === '7.4.2' ? [...r.slice(0, 4), '7.4.0', '', ...r.slice(6)] : r))),
  );
  const run = async (...args: string[]) => {
    const captured = captureIo(fx.dir, NOW);
    // The fixture manifests are unsigned.
    await main(['drift', ...args, '--allow-unsigned-manifests'], captured.io);
    return captured.stdout();
  };
  const base = ['--manifest', fx.manifest, '--config', fx.config, '--history', db];
  await run(earlier, ...base, '--format', 'json');
  htmlPath = join(fx.dir, 'drift-report.html');
  // The same scan rendered twice from the same history state would count as two scans: render
  // the HTML, then read the JSON back out of the page data for the counts that need a scan id.
  await run(fx.csv, fx.osqueryLog, ...base, '--format', 'html', '--output', htmlPath);
  const html = await readFile(htmlPath, 'utf8');
  const data = /<script type="application\/json" id="drift-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}';
  expect(JSON.parse(data)).toHaveProperty('fleet');
  // The JSON report of the same inputs, against a copy of the history as it was before the scan.
  const jsonDir = await mkdtemp(join(tmpdir(), 'rmm-verify-html-json-'));
  const jsonDb = join(jsonDir, 'history.sqlite');
  await run(
    earlier,
    '--manifest',
    fx.manifest,
    '--config',
    fx.config,
    '--history',
    jsonDb,
    '--format',
    'json',
  );
  report = JSON.parse(
    await run(
      fx.csv,
      fx.osqueryLog,
      '--manifest',
      fx.manifest,
      '--config',
      fx.config,
      '--history',
      jsonDb,
      '--format',
      'json',
    ),
  ) as DriftReport;
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
});

afterAll(async () => {
  await browser.close();
});

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

describe('drift HTML report in headless Chromium', () => {
  it('loads without console errors, shows the JSON numbers, sorts, filters, and is saved as a screenshot', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('request', (request) => {
      if (!request.url().startsWith('file:')) requests.push(request.url());
    });
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForSelector('#rollups tbody tr');

    const metric = async (name: string) =>
      (await page.locator(`[data-metric="${name}"]`).first().textContent())?.trim();
    const fleet = report.drift.fleet;
    expect(await metric('agents')).toBe(String(fleet.agents));
    expect(await metric('onTarget')).toBe(String(fleet.onTarget));
    expect(await metric('percentOnTarget')).toBe(String(fleet.percentOnTarget));
    expect(await metric('tenants')).toBe(String(fleet.tenants));
    expect(await metric('duplicateRows')).toBe(String(fleet.duplicateRows));
    expect(await metric('stale')).toBe(String(fleet.stale));
    expect(await metric('unapprovedTools')).toBe(String(fleet.unapprovedTools));
    for (const c of AGENT_STATUSES.filter((x) => x !== 'on-target'))
      expect(await metric(`status:${c}`), c).toBe(String(fleet.status[c]));
    expect(await metric('downgrades')).toBe(String(report.drift.history?.downgrades));
    expect(await metric('result')).toBe(report.result.toUpperCase());

    // Table: every rollup row, and the counts add up to the JSON's.
    const rows = page.locator('#rollups tbody tr');
    expect(await rows.count()).toBe(report.drift.rollups.length);
    const counts = await page.locator('#rollups tbody td:nth-child(5)').allTextContents();
    expect(counts.reduce((sum, n) => sum + Number(n), 0)).toBe(
      report.drift.rollups.reduce((sum, r) => sum + r.count, 0),
    );

    // Sort by tenant (ascending on first click).
    await page.click('#rollups th[data-col="0"] button');
    const tenants = await page.locator('#rollups tbody td:nth-child(1)').allTextContents();
    expect(tenants).toEqual([...tenants].sort());
    expect(await page.getAttribute('#rollups th[data-col="0"]', 'aria-sort')).toBe('ascending');

    // Filter by status: the visible rows sum to the fleet count for that primary status.
    await page.selectOption('#class-filter', 'behind');
    const behind = await page.locator('#rollups tbody tr:not([hidden]) td:nth-child(5)').allTextContents();
    expect(behind.reduce((sum, n) => sum + Number(n), 0)).toBe(fleet.status.behind);
    await page.selectOption('#class-filter', '');
    await page.fill('#filter', 'wingtip');
    const wingtip = await page.locator('#rollups tbody tr:not([hidden]) td:nth-child(1)').allTextContents();
    expect(wingtip.length).toBeGreaterThan(0);
    expect(new Set(wingtip)).toEqual(new Set(['wingtip']));
    await page.fill('#filter', '');

    // Chart: one bar per tenant whose segments are its primary statuses (they add up to its
    // agents) plus its unapproved tools, each series in its class's colour.
    expect(await page.locator('#tenant-chart [data-tenant]').count()).toBe(report.drift.tenants.length);
    for (const t of report.drift.tenants) {
      const segments = page.locator(`#tenant-chart [data-tenant="${t.tenant}"] .bar:not(.stale-bar) .seg`);
      const drawn: [string | null, number][] = [];
      for (const segment of await segments.all())
        drawn.push([
          await segment.getAttribute('data-class'),
          Number(await segment.getAttribute('data-count')),
        ]);
      expect(
        drawn.reduce((sum, [, n]) => sum + n, 0),
        t.tenant,
      ).toBe(t.agents + t.unapprovedTools + t.unlistedInstances);
      for (const [cls, n] of drawn)
        if (cls !== 'unapproved-tool')
          expect(
            (t.status[cls as keyof typeof t.status] ?? 0) +
              (cls === 'unlisted-instance' ? t.unlistedInstances : 0),
            `${t.tenant} ${cls}`,
          ).toBe(n);
    }
    // A legend entry, with its severity, for every class.
    for (const c of [...AGENT_STATUSES, 'unapproved-tool', 'stale'])
      expect(await page.locator(`.legend[data-class="${c}"]`).count(), c).toBe(1);
    expect(await page.locator('.legend[data-class="hash-mismatch"]').textContent()).toContain('critical');
    expect(await page.locator('#versions-chart circle').count()).toBeGreaterThanOrEqual(2 * 2);

    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    await page.screenshot({ path: screenshotPath('drift-report-1280.png'), fullPage: true });
    expect((await readFile(screenshotPath('drift-report-1280.png'))).subarray(1, 4).toString()).toBe('PNG');
    await page.close();
  });

  it('fits a 390 px screen: nothing wider than the viewport but the tables, which scroll in their own box', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForSelector('#rollups tbody tr');
    const width = await page.evaluate<number>('document.documentElement.scrollWidth');
    expect(width).toBeLessThanOrEqual(390);
    for (const box of await page.locator('.scroll').all()) {
      const bounds = await box.boundingBox();
      expect((bounds?.x ?? 0) + (bounds?.width ?? 0)).toBeLessThanOrEqual(390);
    }
    await page.screenshot({ path: screenshotPath('drift-report-390.png'), fullPage: true });
    await page.screenshot({ path: screenshotPath('drift-report-390-first-screen.png') });
    expect((await readFile(screenshotPath('drift-report-390.png'))).subarray(1, 4).toString()).toBe('PNG');
    await page.close();
  });

  it('shows the chart and every table with JavaScript off', async () => {
    const context = await browser.newContext({
      javaScriptEnabled: false,
      viewport: { width: 1280, height: 900 },
    });
    const page = await context.newPage();
    await page.goto(pathToFileURL(htmlPath).href);
    expect(await page.locator('#rollups tbody tr').count()).toBe(report.drift.rollups.length);
    expect(await page.locator('#tenants tbody tr').count()).toBe(report.drift.tenants.length);
    expect(await page.locator('#versions tbody tr').count()).toBe(report.drift.versions.length);
    expect(await page.locator('#findings tbody tr').count()).toBe(report.findings.length);
    expect(await page.locator('#tenant-chart [data-tenant]').count()).toBe(report.drift.tenants.length);
    expect(await page.locator('[data-metric="agents"]').textContent()).toBe(
      String(report.drift.fleet.agents),
    );
    // The script's controls stay hidden: nothing on the page that does nothing.
    expect(await page.locator('#rollup-controls').isVisible()).toBe(false);
    await page.screenshot({ path: screenshotPath('drift-report-nojs.png'), fullPage: true });
    await context.close();
  });

  it('sorts from the keyboard: Tab reaches each header button, Enter and Space sort', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(htmlPath).href);
    await page.waitForSelector('#tenants th button');
    // Tab until the Agents header of the tenants table has focus.
    let reached = false;
    for (let i = 0; i < 80 && !reached; i++) {
      await page.keyboard.press('Tab');
      reached = await page.evaluate<boolean>(
        `document.activeElement?.closest('th')?.getAttribute('data-col') === '1' &&
         document.activeElement.closest('table')?.id === 'tenants'`,
      );
    }
    expect(reached).toBe(true);
    const agents = () => page.locator('#tenants tbody td:nth-child(2)').allTextContents();
    await page.keyboard.press('Enter');
    expect(await page.getAttribute('#tenants th[data-col="1"]', 'aria-sort')).toBe('descending');
    const down = (await agents()).map(Number);
    expect(down).toEqual([...down].sort((a, b) => b - a));
    await page.keyboard.press('Space');
    expect(await page.getAttribute('#tenants th[data-col="1"]', 'aria-sort')).toBe('ascending');
    const up = (await agents()).map(Number);
    expect(up).toEqual([...up].sort((a, b) => a - b));
    await page.close();
  });
});

describe('drift HTML report: bidirectional controls in untrusted names', () => {
  // Bidi controls and invisible format characters: raw, they reorder or hide what a name shows.
  const RAW = /[\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

  it('shows them as \\uNNNN in every cell, attribute, the page data and what the script draws', async () => {
    const path = join(fx.dir, 'bidi.csv');
    await writeFile(
      path,
      csvOf([
        // A tenant whose name reads as another when rendered (RLO), a version with an isolate,
        // an unapproved tool with a zero-width space and a right-to-left mark.
        [
          'contoso\u202egnp.exe',
          'b1',
          'B1',
          'Acme RMM Agent',
          '7.4.2',
          '',
          'windows-x64',
          '2026-11-28T10:00:00Z',
        ],
        [
          'fabrikam',
          'b2',
          'B2',
          'Acme RMM Agent',
          '7.4.2\u2066-beta\u2069',
          '',
          'linux-x64',
          '2026-11-28T10:00:00Z',
        ],
        ['northwind', 'b3', 'B3', 'Any\u200bDesk\u200f', '8.0.9', '', 'windows-x64', '2026-11-28T10:00:00Z'],
      ]),
    );
    const out = join(fx.dir, 'bidi.html');
    const captured = captureIo(fx.dir, NOW);
    await main(
      [
        'drift',
        path,
        '--manifest',
        fx.manifest,
        '--format',
        'html',
        '--output',
        out,
        '--allow-unsigned-manifests',
      ],
      captured.io,
    );
    const html = await readFile(out, 'utf8');
    expect(html).not.toMatch(RAW);
    expect(html).toContain('contoso\\u202egnp.exe');
    expect(html).toContain('7.4.2\\u2066-beta\\u2069');
    // The page data keeps the exact names (as JSON escapes, decoded by JSON.parse).
    const data = /<script type="application\/json" id="drift-data">(.*?)<\/script>/s.exec(html)?.[1] ?? '{}';
    expect(JSON.stringify(JSON.parse(data))).toContain('contoso\u202egnp.exe');

    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(pathToFileURL(out).href);
    await page.waitForSelector('#rollups tbody tr');
    const shown = await page.evaluate<string>(
      `document.body.innerText + [...document.querySelectorAll('option, svg text, svg title')].map((n) => n.textContent).join(' ')`,
    );
    expect(shown).not.toMatch(RAW);
    expect(shown).toContain('contoso\\u202egnp.exe');
    // The version chart still draws the product chosen by its exact name.
    expect(await page.locator('#versions-chart rect, #versions-chart path').count()).toBeGreaterThan(1);
    await page.close();
  });
});

/** Screenshots go to test/output/ (kept for a person to look at) as well as being checked. */
function screenshotPath(name: string): string {
  return join(SCREENSHOT_DIR, name);
}
