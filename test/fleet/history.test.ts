import { spawn } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { scanDrift } from '../../src/fleet/drift.ts';
import { DriftHistory } from '../../src/fleet/history.ts';
import { fileSource } from '../../src/fleet/inventory.ts';
import {
  acmeManifest,
  csvOf,
  makeFleetFixtures,
  NOW,
  type FleetFixtures,
} from '../fixtures/fleet/make-fixtures.ts';
import { uncheckedManifests } from '../../src/manifest/trusted.ts';

let fx: FleetFixtures;
let dir: string;
beforeAll(async () => {
  fx = await makeFleetFixtures();
  dir = await mkdtemp(join(tmpdir(), 'rmm-verify-history-'));
});

const row = (tenant: string, endpoint: string, version: string) =>
  [
    tenant,
    endpoint,
    endpoint.toUpperCase(),
    'Acme RMM Agent',
    version,
    '',
    'windows-x64',
    '2026-11-28T10:00:00Z',
  ] as const;

async function scanWith(
  db: string,
  rows: readonly (readonly string[])[],
  name: string,
  beforeCommit?: () => void,
) {
  const path = join(dir, name);
  await writeFile(path, csvOf(rows));
  const history = DriftHistory.openFile(db);
  try {
    return await scanDrift({
      manifests: uncheckedManifests([acmeManifest()]),
      sources: [fileSource(path)],
      now: NOW,
      history,
      ...(beforeCommit ? { beforeCommit } : {}),
    });
  } finally {
    history.close();
  }
}

function scanCount(db: string): number {
  const d = new DatabaseSync(db, { readOnly: true });
  try {
    return (d.prepare('SELECT count(*) AS n FROM scans').get() as { n: number }).n;
  } finally {
    d.close();
  }
}

describe('scan history', () => {
  it('reports downgrades, new and vanished endpoints and the trend since the previous scan', async () => {
    const db = join(dir, 'history.sqlite');
    const first = await scanWith(
      db,
      [row('contoso', 'a', '7.4.2'), row('contoso', 'b', '7.4.0'), row('fabrikam', 'c', '7.4.2')],
      'scan1.csv',
    );
    expect(first.history).toMatchObject({
      scanId: 1,
      previousScanId: null,
      downgrades: 0,
      newEndpoints: 0,
      vanishedEndpoints: 0,
    });
    expect(first.findings).not.toFailWith('DRIFT_DOWNGRADE');

    const second = await scanWith(
      db,
      [row('contoso', 'a', '7.4.0'), row('contoso', 'b', '7.4.2'), row('fabrikam', 'd', '7.4.2')],
      'scan2.csv',
    );
    expect(second.history).toMatchObject({
      scanId: 2,
      previousScanId: 1,
      downgrades: 1,
      newEndpoints: 1,
      vanishedEndpoints: 1,
    });
    const downgrade = second.findings.find((f) => f.code === 'DRIFT_DOWNGRADE');
    expect(downgrade?.subject).toBe('contoso/a');
    expect(downgrade?.message).toContain('went from 7.4.2 to 7.4.0');
    expect(second.findings.find((f) => f.code === 'DRIFT_NEW_ENDPOINT')?.subject).toBe('fabrikam/d');
    expect(second.findings.find((f) => f.code === 'DRIFT_VANISHED_ENDPOINT')?.subject).toBe('fabrikam/c');
    const contoso = second.history?.trend.find((t) => t.tenant === 'contoso');
    expect(contoso?.points.map((p) => p.percentOnTarget)).toEqual([50, 50]);
    expect(contoso?.change).toBe(0);
    expect(
      second.history?.versionsOverTime.filter((v) => v.version === '7.4.2').map((v) => [v.scanId, v.count]),
    ).toEqual([
      [1, 2],
      [2, 2],
    ]);
  });

  it('remembers a vanished endpoint for --remember-scans scans: one back with a lower version is a downgrade, not new', async () => {
    const db = join(dir, 'remember.sqlite');
    const scan = async (rows: (readonly string[])[], name: string, rememberScans?: number) => {
      const path = join(dir, name);
      await writeFile(path, csvOf(rows));
      const history = DriftHistory.openFile(db);
      try {
        return await scanDrift({
          manifests: uncheckedManifests([acmeManifest()]),
          sources: [fileSource(path)],
          now: NOW,
          history,
          ...(rememberScans !== undefined ? { rememberScans } : {}),
        });
      } finally {
        history.close();
      }
    };
    await scan([row('contoso', 'a', '7.4.2'), row('contoso', 'b', '7.4.2')], 'r1.csv');
    // b goes missing: reported as vanished once, when it goes.
    const second = await scan([row('contoso', 'a', '7.4.2')], 'r2.csv');
    expect(second.history).toMatchObject({ vanishedEndpoints: 1, newEndpoints: 0 });
    const third = await scan([row('contoso', 'a', '7.4.2')], 'r3.csv');
    expect(third.history).toMatchObject({ vanishedEndpoints: 0, newEndpoints: 0 });
    // b returns two scans later on an older version: a downgrade since scan 1, not a new endpoint.
    const fourth = await scan([row('contoso', 'a', '7.4.2'), row('contoso', 'b', '7.4.0')], 'r4.csv');
    expect(fourth.history).toMatchObject({ downgrades: 1, newEndpoints: 0, returnedEndpoints: 1 });
    const downgrade = fourth.findings.find((f) => f.code === 'DRIFT_DOWNGRADE');
    expect(downgrade?.subject).toBe('contoso/b');
    expect(downgrade?.message).toContain('went from 7.4.2 to 7.4.0 since scan 1');
    expect(fourth.findings.some((f) => f.code === 'DRIFT_NEW_ENDPOINT')).toBe(false);
    // With a memory of one scan, an endpoint missing from one scan is forgotten: it comes back new.
    await scan([row('contoso', 'a', '7.4.2')], 'r5.csv', 1);
    const sixth = await scan([row('contoso', 'a', '7.4.2'), row('contoso', 'b', '7.2.0')], 'r6.csv', 1);
    expect(sixth.history).toMatchObject({ downgrades: 0, newEndpoints: 1, returnedEndpoints: 0 });
  });

  it('compares versions in the product scheme: a four-part Windows downgrade is found', async () => {
    const db = join(dir, 'windows.sqlite');
    const manifest = {
      ...acmeManifest(),
      versionScheme: 'windows' as const,
      policy: { target: '7.4.2.1234' },
      releases: [],
    };
    const scan = async (version: string, name: string) => {
      const path = join(dir, name);
      await writeFile(path, csvOf([row('contoso', 'w', version)]));
      const history = DriftHistory.openFile(db);
      try {
        return await scanDrift({
          manifests: uncheckedManifests([manifest]),
          sources: [fileSource(path)],
          now: NOW,
          history,
        });
      } finally {
        history.close();
      }
    };
    await scan('7.4.2.1234', 'w1.csv');
    const second = await scan('v7.4.2.999', 'w2.csv');
    expect(second.history?.downgrades).toBe(1);
    expect(second.findings.find((f) => f.code === 'DRIFT_DOWNGRADE')?.message).toContain(
      'went from 7.4.2.1234 to 7.4.2.999',
    );
    // The same version in another spelling is not a change at all.
    const third = await scan('7.4.2.999 (build 999)', 'w3.csv');
    expect(third.history?.downgrades).toBe(0);
  });

  it('warns about a tenant missing from a whole scan', async () => {
    const db = join(dir, 'tenants.sqlite');
    await scanWith(db, [row('contoso', 'a', '7.4.2'), row('fabrikam', 'b', '7.4.2')], 't1.csv');
    const second = await scanWith(db, [row('contoso', 'a', '7.4.2')], 't2.csv');
    expect(second.history?.missingTenants).toEqual(['fabrikam']);
    const missing = second.findings.filter((f) => f.code === 'DRIFT_TENANT_MISSING');
    expect(missing.map((f) => [f.subject, f.severity])).toEqual([['fabrikam', 'medium']]);
    expect(missing[0]?.message).toContain('had 1 agent(s) in scan 1 and none in this scan');
    // Back again: no warning.
    const third = await scanWith(db, [row('contoso', 'a', '7.4.2'), row('fabrikam', 'b', '7.4.2')], 't3.csv');
    expect(third.findings.some((f) => f.code === 'DRIFT_TENANT_MISSING')).toBe(false);
    expect(third.history?.newEndpoints).toBe(0);
  });

  it('leaves the previous history intact when a scan fails before commit', async () => {
    const db = join(dir, 'crash.sqlite');
    await scanWith(db, [row('t', 'a', '7.4.2')], 'ok.csv');
    await expect(
      scanWith(db, [row('t', 'a', '7.2.0'), row('t', 'b', '7.4.2')], 'crash.csv', () => {
        throw new Error('simulated crash before COMMIT');
      }),
    ).rejects.toThrow('simulated crash');
    expect(scanCount(db)).toBe(1);
    // The next scan still compares with scan 1: a is a downgrade from 7.4.2, b is new.
    const next = await scanWith(db, [row('t', 'a', '7.2.0'), row('t', 'b', '7.4.2')], 'next.csv');
    expect(next.history).toMatchObject({ scanId: 2, previousScanId: 1, downgrades: 1, newEndpoints: 1 });
  });

  it('survives a process killed in the middle of a scan', async () => {
    const db = join(dir, 'killed.sqlite');
    await scanWith(db, [row('t', 'a', '7.4.2')], 'before-kill.csv');
    await writeFile(join(dir, 'acme.json'), JSON.stringify(acmeManifest()));
    // A real CLI process reading stdin that never ends; killed once it has staged rows.
    const script = `import { main } from ${JSON.stringify(new URL('../../src/cli/main.ts', import.meta.url).href)};
      process.exitCode = await main(process.argv.slice(1));`;
    const child = spawn(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        script,
        '--',
        'drift',
        '-',
        '--manifest',
        join(dir, 'acme.json'),
        '--allow-unsigned-manifests',
        '--history',
        db,
      ],
      {
        stdio: ['pipe', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdin.write(csvOf([row('t', 'a', '7.0.0'), row('t', 'z', '7.0.0')]));
    // Wait (bounded) until the child holds the scan's write transaction, then kill it.
    let locked = false;
    for (let attempt = 0; attempt < 600 && !locked && child.exitCode === null; attempt++) {
      const probe = new DatabaseSync(db);
      try {
        probe.exec('PRAGMA busy_timeout = 0; BEGIN IMMEDIATE');
        probe.exec('ROLLBACK');
      } catch (error: unknown) {
        locked = /locked|busy/i.test(String(error));
      } finally {
        probe.close();
      }
      if (!locked) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    if (!locked) child.kill('SIGKILL');
    expect(locked, `the scan process did not lock the history (exit code ${child.exitCode}): ${stderr}`).toBe(
      true,
    );
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    expect(scanCount(db)).toBe(1);
    const d = new DatabaseSync(db, { readOnly: true });
    try {
      expect(d.prepare('SELECT endpoint, version FROM endpoints').all()).toEqual([
        { endpoint: 'a', version: '7.4.2' },
      ]);
    } finally {
      d.close();
    }
  });

  it('refuses a file that is not a history database', async () => {
    const notDb = join(dir, 'not-a-db.sqlite');
    await writeFile(notDb, 'this is not sqlite, just text that is long enough to have a header'.repeat(20));
    expect(() => DriftHistory.openFile(notDb)).toThrow(/cannot open history database/);
    expect(fx.dir).toBeTruthy();
  });
});
