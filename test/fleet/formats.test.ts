import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { InputError } from '../../src/errors.ts';
import { scanDrift, type DriftScanInput } from '../../src/fleet/drift.ts';
import { fileSource } from '../../src/fleet/inventory.ts';
import { derivedSamples, FORMATS_DIR } from '../../scripts/fleet-format-samples.ts';
import { acmeManifest, makeFleetFixtures, NOW, type FleetFixtures } from '../fixtures/fleet/make-fixtures.ts';
import { uncheckedManifests } from '../../src/manifest/trusted.ts';

let fx: FleetFixtures;
beforeAll(async () => {
  fx = await makeFleetFixtures();
});

const scanSample = (name: string, extra: Partial<DriftScanInput> = {}) =>
  scanDrift({
    manifests: uncheckedManifests([acmeManifest()]),
    sources: [fileSource(name.startsWith('/') ? name : join(FORMATS_DIR, name))],
    now: NOW,
    maxFindingsPerCode: 1000,
    ...extra,
  });

async function errorOf(promise: Promise<unknown>): Promise<InputError> {
  const error: unknown = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

interface Expected {
  /** Canonical rows read (after osquery differential removals). */
  rows: number;
  /** acme-agent agents after deduplication (endpoint ids compared case-insensitively). */
  agents: number;
  /** Rows of products that are neither managed nor a known RMM tool. */
  other: number;
  tenants: string[];
  /** Endpoint ids of the acme-agent agents, as reported. */
  endpoints: string[];
}

// [sample file (examples/fleet/formats/), scan options, what it must give, the schema it follows]
const SAMPLES: readonly [string, Partial<DriftScanInput>, Expected, string][] = [
  [
    'osqueryi-programs.json',
    { defaultTenant: 'contoso' },
    { rows: 3, agents: 1, other: 1, tenants: ['contoso'], endpoints: ['osqueryi-programs'] },
    'osquery programs table (osqueryi --json)',
  ],
  [
    'osqueryi-deb_packages.json',
    { defaultTenant: 'contoso', preset: 'osquery' },
    { rows: 2, agents: 1, other: 1, tenants: ['contoso'], endpoints: ['osqueryi-deb_packages'] },
    'osquery deb_packages table',
  ],
  [
    'osqueryi-rpm_packages.json',
    { defaultTenant: 'contoso' },
    { rows: 2, agents: 1, other: 1, tenants: ['contoso'], endpoints: ['osqueryi-rpm_packages'] },
    'osquery rpm_packages table',
  ],
  [
    'osqueryi-apps.json',
    { defaultTenant: 'contoso' },
    { rows: 2, agents: 1, other: 0, tenants: ['contoso'], endpoints: ['osqueryi-apps'] },
    'osquery apps table (TeamViewer is a known tool)',
  ],
  [
    'osqueryd-snapshot.log',
    {},
    {
      rows: 3,
      agents: 2,
      other: 1,
      tenants: ['contoso'],
      endpoints: ['0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', '9f1e6a52-3c4b-4e1d-8a7f-0b2c3d4e5f61'],
    },
    'osqueryd snapshot results, tenant and host_uuid decorations',
  ],
  [
    'osqueryd-differential.log',
    { preset: 'osquery' },
    {
      rows: 2,
      agents: 2,
      other: 0,
      tenants: ['contoso'],
      endpoints: ['0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', '9f1e6a52-3c4b-4e1d-8a7f-0b2c3d4e5f61'],
    },
    'osqueryd differential results: removed rows remove (AnyDesk and the old agent are gone)',
  ],
  [
    'osqueryd-batched.log',
    {},
    {
      rows: 2,
      agents: 2,
      other: 0,
      tenants: ['contoso'],
      endpoints: ['0a1b2c3d-4e5f-6071-8293-a4b5c6d7e8f9', '9f1e6a52-3c4b-4e1d-8a7f-0b2c3d4e5f61'],
    },
    'osqueryd batched diffResults (logger_event_type=false)',
  ],
  [
    'fleetdm-host.json',
    { preset: 'fleetdm' },
    {
      rows: 3,
      agents: 1,
      other: 1,
      tenants: ['contoso'],
      endpoints: ['9f1e6a52-3c4b-4e1d-8a7f-0b2c3d4e5f61'],
    },
    'FleetDM GET /api/v1/fleet/hosts/:id (team_name is the tenant)',
  ],
  [
    'fleetdm-host-software.json',
    { defaultTenant: 'contoso' },
    { rows: 2, agents: 1, other: 1, tenants: ['contoso'], endpoints: ['fleetdm-host-software'] },
    'FleetDM GET /api/v1/fleet/hosts/:id/software (the host is the file name)',
  ],
  [
    'defender-software-inventory.json',
    { defaultTenant: 'contoso', preset: 'defender' },
    {
      rows: 3,
      agents: 2,
      other: 0,
      tenants: ['contoso'],
      endpoints: ['5d2e8a1f0c3b4a6e9f7d1c2b3a4e5f60a1b2c3d4', '7a1b2c3d4e5f60718293a4b5c6d7e8f901234567'],
    },
    'Defender for Endpoint software inventory assessment, JSON response',
  ],
  [
    'defender-software-inventory-files.json.gz',
    { defaultTenant: 'contoso' },
    {
      rows: 3,
      agents: 2,
      other: 0,
      tenants: ['contoso'],
      endpoints: ['5d2e8a1f0c3b4a6e9f7d1c2b3a4e5f60a1b2c3d4', '7a1b2c3d4e5f60718293a4b5c6d7e8f901234567'],
    },
    'Defender for Endpoint software inventory assessment via files (gzip JSON Lines)',
  ],
  [
    'intune-appinvrawdata.csv',
    { defaultTenant: 'contoso', preset: 'intune' },
    {
      rows: 3,
      agents: 2,
      other: 1,
      tenants: ['contoso'],
      endpoints: ['3c9d2f0e-6a1b-4c7d-8e9f-0a1b2c3d4e5f', '5e1f2a3b-4c5d-6e7f-8091-a2b3c4d5e6f7'],
    },
    'Intune AppInvRawData export (discovered apps, per device)',
  ],
  [
    'ninjaone-software.csv',
    { defaultTenant: 'contoso', preset: 'ninjaone' },
    { rows: 3, agents: 2, other: 0, tenants: ['contoso'], endpoints: ['1042', '1043'] },
    'NinjaOne API v2 software inventory query as CSV (timestamp in fractional Unix seconds)',
  ],
  ...(['', '.utf8bom', '.utf16le', '.utf16be'] as const).map(
    (encoding): [string, Partial<DriftScanInput>, Expected, string] => [
      `powershell-export-csv${encoding}.csv`,
      { dateFormat: 'mdy' },
      {
        rows: 2,
        agents: 2,
        other: 0,
        tenants: ['Fabrikam, Inc.'],
        endpoints: ['8d2c1e0f-3a4b-5c6d-7e8f-90a1b2c3d4e5', '9e3d2f1a-4b5c-6d7e-8f90-a1b2c3d4e5f6'],
      },
      `PowerShell 5.1 Export-Csv (#TYPE line, US dates)${encoding}`,
    ],
  ),
  [
    'rmm-console-eu-dates.csv',
    { dateFormat: 'dmy' },
    {
      rows: 3,
      agents: 3,
      other: 0,
      tenants: ['Müller GmbH'],
      endpoints: ['mg-pc-001', 'mg-pc-002', 'mg-pc-003'],
    },
    'RMM console CSV with European dates',
  ],
];

describe('inventory formats, from their sample files', () => {
  it.each(SAMPLES)('%s', async (name, options, expected) => {
    for (const readerThread of ['never', 'always'] as const) {
      const { result, findings } = await scanSample(name, { ...options, readerThread });
      expect(result.fleet.malformedRows, `${name} ${readerThread}`).toBe(0);
      expect(result.fleet.rows, `${name} ${readerThread}`).toBe(expected.rows);
      expect(result.fleet.agents, `${name} ${readerThread}`).toBe(expected.agents);
      expect(result.fleet.otherRows, `${name} ${readerThread}`).toBe(expected.other);
      expect(result.tenants.map((t) => t.tenant).sort()).toEqual(expected.tenants);
      const endpoints = new Set(
        findings
          .filter((f) => f.code.startsWith('DRIFT_') && typeof f.evidence['endpoint'] === 'string')
          .filter((f) => f.evidence['product'] === undefined || /acme/i.test(String(f.evidence['product'])))
          .map((f) => f.evidence['endpoint'] as string),
      );
      for (const endpoint of endpoints) expect(expected.endpoints, name).toContain(endpoint);
    }
  });

  it('keeps the committed derived samples equal to what their script writes', () => {
    for (const [file, content] of derivedSamples())
      expect(readFileSync(join(FORMATS_DIR, file)).equals(content), file).toBe(true);
  });

  it('refuses an ambiguous date without --date-format, naming the value and the flag', async () => {
    const error = await errorOf(scanSample('powershell-export-csv.csv'));
    expect(error.message).toMatch(
      /powershell-export-csv\.csv:4: .*'11\/5\/2026 9:01:44 AM'.*--date-format mdy or dmy/,
    );
    // The order a date shows by itself is taken without the flag; the other order is refused.
    const eu = await errorOf(scanSample('rmm-console-eu-dates.csv', { dateFormat: 'mdy' }));
    expect(eu.message).toMatch(/rmm-console-eu-dates\.csv:3: .*'28\/11\/2026 09:05'.*month/);
  });

  it('refuses an input that yields no agent, whatever its format', async () => {
    const onlyRemoved = join(fx.dir, 'removed-only.log');
    const event = readFileSync(join(FORMATS_DIR, 'osqueryd-differential.log'), 'utf8').split(
      '\n',
    )[0] as string;
    await writeFile(onlyRemoved, `${event}\n${event.replace('"action":"added"', '"action":"removed"')}\n`);
    const error = await errorOf(scanSample(onlyRemoved));
    expect(error.message).toMatch(/removed-only\.log: no inventory row/);
    const header = join(fx.dir, 'header-only.csv');
    await writeFile(header, 'tenant,endpoint,product,version\n');
    expect((await errorOf(scanSample(header))).message).toMatch(/header-only\.csv: no inventory row/);
  });

  it('says which columns a preset expected', async () => {
    const error = await errorOf(
      scanSample('ninjaone-software.csv', { defaultTenant: 'c', preset: 'intune' }),
    );
    expect(error.message).toMatch(
      /--preset intune expects a column 'DeviceName' for hostname \(an Intune discovered apps export/,
    );
    const json = await errorOf(scanSample('fleetdm-host.json', { preset: 'intune' }));
    expect(json.message).toMatch(/--preset intune expects CSV.*found JSON/);
    const tenant = await errorOf(scanSample('intune-appinvrawdata.csv', { preset: 'intune' }));
    expect(tenant.message).toMatch(/no column for tenant.*--tenant/);
  });

  it('compares endpoint ids case-insensitively on both reading paths', async () => {
    const path = join(fx.dir, 'endpoint-case.csv');
    await writeFile(
      path,
      [
        'tenant,endpoint_id,product,version,last_seen',
        'contoso,9F1E6A52-3C4B-4E1D-8A7F-0B2C3D4E5F61,Acme RMM Agent,7.4.0,2026-11-27T08:00:00Z',
        'contoso,9f1e6a52-3c4b-4e1d-8a7f-0b2c3d4e5f61,Acme RMM Agent,7.4.2,2026-11-28T08:00:00Z',
        'contoso,ÉCRAN-01,Acme RMM Agent,7.4.2,2026-11-28T08:00:00Z',
        'contoso,écran-01,Acme RMM Agent,7.4.2,2026-11-28T08:00:00Z',
        '',
      ].join('\n'),
    );
    for (const readerThread of ['never', 'always'] as const) {
      const { result } = await scanSample(path, { readerThread });
      expect(result.fleet, readerThread).toMatchObject({ rows: 4, agents: 2, duplicateRows: 2 });
    }
  });

  it('refuses UTF-16 without a byte-order mark, saying what it looks like', async () => {
    const path = join(fx.dir, 'no-bom-utf16.csv');
    await writeFile(path, Buffer.from('tenant,endpoint,product,version\nc,e,acme-agent,7.4.2\n', 'utf16le'));
    expect((await errorOf(scanSample(path))).message).toMatch(/UTF-16 without a byte-order mark/);
  });
});
