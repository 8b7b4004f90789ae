import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import type { DriftReport } from '../../src/fleet/report.ts';
import { parseOsv, withOsvAdvisories } from '../../src/fleet/osv.ts';
import { captureIo } from '../helpers/io.ts';
import {
  acmeManifest,
  csvOf,
  makeFleetFixtures,
  NOW,
  type FleetFixtures,
} from '../fixtures/fleet/make-fixtures.ts';

let fx: FleetFixtures;
beforeAll(async () => {
  fx = await makeFleetFixtures();
});

const OSV = {
  id: 'OSV-2026-1234',
  summary: 'Agent update channel accepts unsigned packages',
  affected: [
    {
      package: { name: 'Acme RMM Agent', ecosystem: 'Vendor' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '7.2.5' }, { fixed: '7.4.2' }] }],
      versions: ['6.9.9'],
    },
    {
      package: { name: 'some-other-product', ecosystem: 'npm' },
      ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
    },
  ],
  database_specific: { severity: 'MODERATE' },
};

describe('OSV advisories', () => {
  it('turns OSV ranges into advisories for the product they name', () => {
    const advisories = parseOsv(JSON.stringify({ vulns: [OSV] }), 'osv.json');
    expect(advisories.map((a) => [a.packageName, a.advisory.versions, a.advisory.severity])).toEqual([
      ['Acme RMM Agent', '>=7.2.5 <7.4.2 || 6.9.9', 'medium'],
      ['some-other-product', '*', 'medium'],
    ]);
    const [manifest] = withOsvAdvisories([acmeManifest()], advisories);
    expect(manifest?.policy.advisories?.map((a) => a.id)).toEqual(['ACME-2026-0007', 'OSV-2026-1234']);
    expect(() => parseOsv('[{"id": 1}]', 'osv.json')).toThrow(/osv\.json at \/0/);
  });

  it('flags agents covered by an OSV advisory with --osv', async () => {
    const osv = join(fx.dir, 'osv.json');
    await writeFile(osv, JSON.stringify(OSV));
    const inventory = join(fx.dir, 'osv-inventory.csv');
    await writeFile(
      inventory,
      csvOf([['t', 'e', 'h', 'acme-agent', '7.4.0', '', 'linux-x64', '2026-11-28T00:00:00Z']]),
    );
    const captured = captureIo(fx.dir, NOW);
    const code = await main(
      [
        'drift',
        inventory,
        '--manifest',
        fx.manifest,
        '--allow-unsigned-manifests',
        '--osv',
        osv,
        '--format',
        'json',
      ],
      captured.io,
    );
    expect(code).toBe(1);
    const report = JSON.parse(captured.stdout()) as DriftReport;
    const vulnerable = report.findings.find((f) => f.code === 'DRIFT_VULNERABLE');
    expect(vulnerable?.severity).toBe('medium');
    expect(vulnerable?.message).toContain('OSV-2026-1234');
  });
});
