/**
 * One primary status per agent, written by hand from the precedence rules (README, drift):
 * hash-mismatch > revoked > vulnerable > below-minimum > unreleased-version > behind >
 * platform-not-allowed > ahead-of-target > unknown-version > on-target, with on-target meaning
 * the target version, a reported sha256 (if any) pinned for that version and platform, and an
 * allowed platform. Checked against the JSON report and the HTML report in Chromium.
 */
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

import { chromium } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import type { DriftReport } from '../../src/fleet/report.ts';
import { CLASS_CODE } from '../../src/fleet/scan.ts';
import { AGENT_STATUSES, type AgentStatus } from '../../src/fleet/types.ts';
import type { Manifest } from '../../src/manifest/types.ts';
import { captureIo } from '../helpers/io.ts';

const NOW = new Date('2026-11-29T12:00:00Z');
const FRESH = '2026-11-28T10:00:00Z';
const OLD = '2026-09-01T10:00:00Z'; // stale: more than 14 days before NOW
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
const pin = (product: string, version: string, platform: string) => sha(`${product} ${version} ${platform}`);

function manifest(
  product: string,
  versionScheme: Manifest['versionScheme'],
  policy: Manifest['policy'],
  releases: readonly string[],
  platforms: readonly string[],
): Manifest {
  return {
    schema: 1,
    product,
    vendor: 'Acme RMM',
    aliases: product === 'acme-agent' ? ['Acme RMM Agent'] : [],
    ...(versionScheme !== undefined ? { versionScheme } : {}),
    serial: 1,
    issued: '2026-11-01T00:00:00Z',
    expires: '2027-05-01T00:00:00Z',
    signers: {},
    policy,
    releases: releases.map((version) => ({
      version,
      artifacts: platforms.map((platform) => ({
        name: `${product}-${version}-${platform}.bin`,
        platform,
        size: 1000,
        digests: { sha256: pin(product, version, platform) },
      })),
    })),
  };
}

const MANIFESTS = [
  manifest(
    'acme-agent',
    undefined,
    {
      target: '7.4.2',
      minimum: '>=7.2.0',
      revoked: ['7.3.0'],
      platforms: ['windows-x64', 'linux-x64'],
      advisories: [{ id: 'ACME-2026-0007', versions: '>=7.0.0 <7.2.5', severity: 'critical' }],
    },
    ['7.1.0', '7.2.0', '7.2.5', '7.3.0', '7.4.0', '7.4.2'],
    ['windows-x64', 'linux-x64'],
  ),
  manifest(
    'win-agent',
    'windows',
    {
      target: '7.4.2.1234',
      minimum: '>=7.0',
      revoked: ['7.3.0.100'],
      platforms: ['windows-x64'],
      advisories: [{ id: 'WIN-2026-1', versions: '>=7.3.0.0 <7.3.0.100', severity: 'medium' }],
    },
    ['7.3.0.100', '7.4.0.500', '7.4.2.1234'],
    ['windows-x64'],
  ),
  manifest(
    'deb-agent',
    'debian',
    { target: '1:2.0-1', minimum: '>=1:1.0', revoked: ['1:1.5-1'], platforms: ['linux-x64'] },
    ['1:1.5-1', '1:1.9-2', '1:2.0-1'],
    ['linux-x64'],
  ),
];

type Row = readonly [
  tenant: string,
  endpoint: string,
  product: string,
  version: string,
  sha256: string,
  platform: string,
  lastSeen: string,
  expected: AgentStatus,
  stale?: boolean,
];

const acme = (v: string, p = 'windows-x64') => pin('acme-agent', v, p);
const TAMPERED = sha('not a pinned build');

/** Every row is one agent (after deduplication), with its primary status written by hand. */
const AGENTS: readonly Row[] = [
  ['contoso', 'c01', 'acme-agent', '7.4.2', acme('7.4.2'), 'windows-x64', FRESH, 'on-target'],
  ['contoso', 'c02', 'acme-agent', '7.4.2', '', 'linux-x64', FRESH, 'on-target'], // no hash reported
  ['contoso', 'c03', 'acme-agent', '7.4.2', TAMPERED, 'windows-x64', FRESH, 'hash-mismatch'], // tampered target
  // The same version's artifact for another platform: not a pinned artifact of this platform.
  [
    'contoso',
    'c04',
    'acme-agent',
    '7.4.2',
    acme('7.4.2', 'linux-x64'),
    'windows-x64',
    FRESH,
    'hash-mismatch',
  ],
  ['contoso', 'c05', 'acme-agent', '7.3.0', acme('7.3.0'), 'windows-x64', FRESH, 'revoked'], // also behind
  // Revoked with a foreign hash (7.4.2's): hash-mismatch comes first.
  ['contoso', 'c06', 'acme-agent', '7.3.0', acme('7.4.2'), 'windows-x64', FRESH, 'hash-mismatch'],
  ['contoso', 'c07', 'acme-agent', '7.1.0', '', 'windows-x64', FRESH, 'vulnerable'], // + below-minimum, behind
  ['contoso', 'c08', 'acme-agent', '7.2.0', acme('7.2.0', 'linux-x64'), 'linux-x64', FRESH, 'vulnerable'], // + behind
  ['contoso', 'c09', 'acme-agent', '7.2.5', '', 'windows-x64', FRESH, 'behind'],
  ['contoso', 'c10', 'acme-agent', '7.4.0', '', 'windows-x64', FRESH, 'behind'],
  ['contoso', 'c11', 'acme-agent', '7.3.5', '', 'windows-x64', FRESH, 'unreleased-version'], // between releases
  ['contoso', 'c12', 'acme-agent', '7.4.2-rc.1', '', 'windows-x64', FRESH, 'unreleased-version'], // pre-release
  ['contoso', 'c13', 'acme-agent', '7.5.0', '', 'windows-x64', FRESH, 'unreleased-version'], // above (+ ahead)
  ['contoso', 'c14', 'acme-agent', '6.0.0', '', 'windows-x64', FRESH, 'below-minimum'], // + unreleased, behind
  ['contoso', 'c15', 'acme-agent', '7.4.2', '', 'darwin-arm64', FRESH, 'platform-not-allowed'],
  ['contoso', 'c16', 'acme-agent', '7.4.0', '', 'darwin-arm64', FRESH, 'behind'], // behind before platform
  ['contoso', 'c17', 'acme-agent', 'latest', '', 'windows-x64', FRESH, 'unknown-version'],
  ['fabrikam', 'f01', 'acme-agent', 'v7.4.2', acme('7.4.2'), 'windows-x64', FRESH, 'on-target'],
  ['fabrikam', 'f02', 'acme-agent', '7.4.2+build.77', acme('7.4.2'), 'windows-x64', FRESH, 'on-target'],
  ['fabrikam', 'f03', 'acme-agent', '7.4.2 (build 1234)', acme('7.4.2'), 'windows-x64', FRESH, 'on-target'],
  ['fabrikam', 'f04', 'acme-agent', 'V7.4.2', acme('7.4.2').toUpperCase(), 'windows-x64', FRESH, 'on-target'],
  ['fabrikam', 'f05', 'acme-agent', '7.4', '', 'windows-x64', FRESH, 'behind'], // 7.4 is 7.4.0
  ['fabrikam', 'f06', 'acme-agent', '7.4.2', acme('7.4.2'), 'windows', FRESH, 'on-target'], // platform family
  ['fabrikam', 'f07', 'acme-agent', '7.4.2', '', 'windows-x64', OLD, 'on-target', true], // stale beside
  ['fabrikam', 'f08', 'acme-agent', '7.4.0', '', 'windows-x64', OLD, 'behind', true],
  ['fabrikam', 'f09', 'acme-agent', '7.4.2', '', 'linux-arm64', FRESH, 'platform-not-allowed'],
  // Duplicates: by alias and by the product name's case; the latest last_seen wins.
  ['fabrikam', 'f10', 'Acme RMM Agent', '7.4.0', '', 'windows-x64', '2026-11-20T00:00:00Z', 'behind'],
  ['fabrikam', 'f10', 'acme-agent', '7.4.2', acme('7.4.2'), 'windows-x64', FRESH, 'on-target'],
  ['fabrikam', 'f11', 'ACME-AGENT', '7.4.2', TAMPERED, 'windows-x64', FRESH, 'hash-mismatch'],
  [
    'fabrikam',
    'f11',
    'acme-agent',
    '7.4.2',
    acme('7.4.2'),
    'windows-x64',
    '2026-11-01T00:00:00Z',
    'on-target',
  ],
  // Windows four-part versions.
  [
    'northwind',
    'n01',
    'win-agent',
    '7.4.2.1234',
    pin('win-agent', '7.4.2.1234', 'windows-x64'),
    'windows-x64',
    FRESH,
    'on-target',
  ],
  ['northwind', 'n02', 'win-agent', '7.4.2.1234', '', 'windows-x64', FRESH, 'on-target'],
  ['northwind', 'n03', 'win-agent', '7.3.0.100', '', 'windows-x64', FRESH, 'revoked'],
  ['northwind', 'n04', 'win-agent', '7.4.0.500', '', 'windows-x64', FRESH, 'behind'],
  ['northwind', 'n05', 'win-agent', '7.4.2.999', '', 'windows-x64', FRESH, 'unreleased-version'],
  ['northwind', 'n06', 'win-agent', '7.4.2.1235', '', 'windows-x64', FRESH, 'unreleased-version'],
  // Pinned for windows-x64 only: on linux it is a hash-mismatch first, platform second.
  [
    'northwind',
    'n07',
    'win-agent',
    '7.4.2.1234',
    pin('win-agent', '7.4.2.1234', 'windows-x64'),
    'linux-x64',
    FRESH,
    'hash-mismatch',
  ],
  ['northwind', 'n08', 'win-agent', '6.1', '', 'windows-x64', FRESH, 'below-minimum'],
  ['northwind', 'n09', 'win-agent', '7.3.0.50', '', 'windows-x64', FRESH, 'vulnerable'], // + unreleased, behind
  ['northwind', 'n10', 'win-agent', '7.4.2-rc1', '', 'windows-x64', FRESH, 'unknown-version'],
  ['northwind', 'n11', 'win-agent', 'v7.4.2.1234 ', '', 'windows-x64', FRESH, 'on-target'],
  // Debian versions: epochs and revisions.
  [
    'wingtip',
    'w01',
    'deb-agent',
    '1:2.0-1',
    pin('deb-agent', '1:2.0-1', 'linux-x64'),
    'linux-x64',
    FRESH,
    'on-target',
  ],
  ['wingtip', 'w02', 'deb-agent', '2.0-1', '', 'linux-x64', FRESH, 'below-minimum'], // epoch 0 < 1
  ['wingtip', 'w03', 'deb-agent', '1:1.5-1', '', 'linux-x64', FRESH, 'revoked'],
  ['wingtip', 'w04', 'deb-agent', '1:1.9-2', '', 'linux-x64', FRESH, 'behind'],
  ['wingtip', 'w05', 'deb-agent', '1:2.0-1~bpo12+1', '', 'linux-x64', FRESH, 'unreleased-version'], // ~ sorts first
  ['wingtip', 'w06', 'deb-agent', '1:2.1-1', '', 'linux-x64', FRESH, 'unreleased-version'],
  ['wingtip', 'w07', 'deb-agent', '1:2.0-1', TAMPERED, 'linux-x64', FRESH, 'hash-mismatch'],
  ['wingtip', 'w08', 'deb-agent', '1:2.0-1', '', 'linux-x64', OLD, 'on-target', true],
];

/** The agents: the last row of each (tenant, endpoint, product) by last_seen. */
function agents(): Row[] {
  const byKey = new Map<string, Row>();
  for (const row of AGENTS) {
    const key = `${row[0]}\u0000${row[1]}\u0000${row[2].toLowerCase().replace('acme rmm agent', 'acme-agent')}`;
    const earlier = byKey.get(key);
    if (earlier === undefined || row[6] >= earlier[6]) byKey.set(key, row);
  }
  return [...byKey.values()];
}

const csvField = (value: string) => (/[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);

let report: DriftReport;
let htmlPath: string;

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rmm-verify-primary-'));
  const paths: string[] = [];
  for (const m of MANIFESTS) {
    const path = join(dir, `${m.product}.json`);
    await writeFile(path, JSON.stringify(m, null, 2));
    paths.push('--manifest', path);
  }
  const csv = join(dir, 'agents.csv');
  await writeFile(
    csv,
    [
      'tenant,endpoint_id,hostname,product,version,sha256,platform,last_seen',
      ...AGENTS.map(([tenant, endpoint, product, version, sha256, platform, lastSeen]) =>
        [tenant, endpoint, endpoint.toUpperCase(), product, version, sha256, platform, lastSeen]
          .map(csvField)
          .join(','),
      ),
    ].join('\n'),
  );
  const run = async (...args: string[]) => {
    const captured = captureIo(dir, NOW);
    const code = await main(
      ['drift', csv, ...paths, '--allow-unsigned-manifests', '--max-findings', '1000', ...args],
      captured.io,
    );
    expect(code, captured.stderr()).toBe(1);
    return captured.stdout();
  };
  report = JSON.parse(await run('--format', 'json')) as DriftReport;
  htmlPath = join(dir, 'primary.html');
  await run('--format', 'html', '--output', htmlPath);
});

describe('one primary status per agent', () => {
  it('has at least 40 agents, written by hand', () => {
    expect(agents().length).toBeGreaterThanOrEqual(40);
  });

  it.each(agents().map((row) => [`${row[0]}/${row[1]} ${row[2]} ${JSON.stringify(row[3])}`, row] as const))(
    '%s → JSON primary status as written',
    (_name, row) => {
      const [tenant, endpoint, , , , , , expected] = row;
      const subject = `${tenant}/${endpoint}`;
      const mine = report.findings.filter((f) => f.subject === subject);
      // Every finding about the agent names the same primary status.
      for (const f of mine)
        if (f.evidence['primaryStatus'] !== undefined)
          expect(f.evidence['primaryStatus'], f.code).toBe(expected);
      const statusCodes = new Set(AGENT_STATUSES.map((s) => CLASS_CODE[s]).filter((c) => c !== undefined));
      if (expected === 'on-target') {
        expect(mine.filter((f) => statusCodes.has(f.code)).map((f) => f.code)).toEqual([]);
      } else {
        expect(mine.map((f) => f.code)).toContain(CLASS_CODE[expected]);
      }
      expect(mine.some((f) => f.code === 'DRIFT_STALE')).toBe(row[8] === true);
    },
  );

  it('counts each agent once: fleet, tenant and rollup counts are the hand-written ones', () => {
    const expected = Object.fromEntries(AGENT_STATUSES.map((s) => [s, 0])) as Record<AgentStatus, number>;
    for (const row of agents()) expected[row[7]]++;
    const fleet = report.drift.fleet;
    expect(fleet.status).toEqual(expected);
    expect(fleet.agents).toBe(agents().length);
    expect(fleet.onTarget).toBe(expected['on-target']);
    expect(fleet.stale).toBe(agents().filter((r) => r[8] === true).length);
    for (const t of report.drift.tenants) {
      const mine = agents().filter((r) => r[0] === t.tenant);
      expect(t.agents, t.tenant).toBe(mine.length);
      expect(t.onTarget, t.tenant).toBe(mine.filter((r) => r[7] === 'on-target').length);
      for (const s of AGENT_STATUSES)
        expect(t.status[s] ?? 0, `${t.tenant} ${s}`).toBe(mine.filter((r) => r[7] === s).length);
    }
    expect(report.drift.rollups.reduce((sum, r) => sum + r.count, 0)).toBe(agents().length);
    // Spellings of one version are one version.
    expect(
      report.drift.versions.filter((v) => v.product === 'acme-agent' && v.version === '7.4.2'),
    ).toHaveLength(1);
    // The unreleased finding names the nearest releases.
    const between = report.findings.find(
      (f) => f.code === 'DRIFT_UNRELEASED_VERSION' && f.subject === 'contoso/c11',
    );
    expect(between?.evidence).toMatchObject({ releasedBelow: '7.3.0', releasedAbove: '7.4.0' });
  });

  it('the HTML report in Chromium shows the same counts per tenant, product and status', async () => {
    const browser = await chromium.launch({
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
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      await page.goto(pathToFileURL(htmlPath).href);
      // innerText of a table row separates its cells with tabs.
      const cells = (await page.locator('#rollups tbody tr').allInnerTexts()).map((row) => row.split('\t'));
      const shown = new Map(cells.map((c) => [`${c[0]}|${c[1]}|${c[2]}`, Number(c[4])]));
      const expected = new Map<string, number>();
      for (const [tenant, , product, , , , , status] of agents()) {
        const id = product.toLowerCase().includes('acme') ? 'acme-agent' : product;
        const key = `${tenant}|${id}|${status}`;
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      expect(shown).toEqual(expected);
      for (const s of AGENT_STATUSES.filter((x) => x !== 'on-target'))
        expect(await page.locator(`[data-metric="status:${s}"]`).textContent(), s).toBe(
          String(agents().filter((r) => r[7] === s).length),
        );
      const dir = fileURLToPath(new URL('../output/html/', import.meta.url));
      await mkdir(dir, { recursive: true });
      await page.screenshot({ path: join(dir, 'primary-status-1280.png'), fullPage: true });
      expect((await readFile(join(dir, 'primary-status-1280.png'))).subarray(1, 4).toString()).toBe('PNG');
    } finally {
      await browser.close();
    }
  });
});
