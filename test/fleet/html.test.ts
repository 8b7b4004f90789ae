import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import type { DriftReport } from '../../src/fleet/report.ts';
import { DRIFT_CLASSES } from '../../src/fleet/types.ts';
import { captureIo } from '../helpers/io.ts';
import {
  CLASS_ROWS,
  csvOf,
  makeFleetFixtures,
  NOW,
  type FleetFixtures,
} from '../fixtures/fleet/make-fixtures.ts';

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
  browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
});

afterAll(async () => {
  await browser.close();
});

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
    for (const c of DRIFT_CLASSES.filter((x) => x !== 'on-target'))
      expect(await metric(`class:${c}`), c).toBe(String(fleet.classes[c]));
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
    await page.click('#rollups th[data-col="0"]');
    const tenants = await page.locator('#rollups tbody td:nth-child(1)').allTextContents();
    expect(tenants).toEqual([...tenants].sort());
    expect(await page.getAttribute('#rollups th[data-col="0"]', 'aria-sort')).toBe('ascending');

    // Filter by class: the visible rows sum to the fleet count for that class.
    await page.selectOption('#class-filter', 'behind');
    const behind = await page.locator('#rollups tbody td:nth-child(5)').allTextContents();
    expect(behind.reduce((sum, n) => sum + Number(n), 0)).toBe(fleet.classes.behind);
    await page.selectOption('#class-filter', '');
    await page.fill('#filter', 'wingtip');
    const wingtip = await page.locator('#rollups tbody td:nth-child(1)').allTextContents();
    expect(wingtip.length).toBeGreaterThan(0);
    expect(new Set(wingtip)).toEqual(new Set(['wingtip']));
    await page.fill('#filter', '');

    // Charts: one bar group per tenant, and a point per version and scan.
    expect(await page.locator('#tenant-chart g[data-tenant]').count()).toBe(report.drift.tenants.length);
    expect(await page.locator('#versions-chart circle').count()).toBeGreaterThanOrEqual(2 * 2);

    expect(errors).toEqual([]);
    expect(requests).toEqual([]);
    const screenshot = join(fx.dir, 'drift-report.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    expect((await readFile(screenshot)).subarray(1, 4).toString()).toBe('PNG');
    await page.close();
  });
});
