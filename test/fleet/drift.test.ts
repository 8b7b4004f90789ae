import { Readable } from 'node:stream';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { InputError } from '../../src/errors.ts';
import { parseColumnMapping } from '../../src/fleet/columns.ts';
import { parseDriftConfig } from '../../src/fleet/config.ts';
import { scanDrift, type DriftScanInput } from '../../src/fleet/drift.ts';
import { fileSource, streamSource } from '../../src/fleet/inventory.ts';
import {
  acmeManifest,
  csvOf,
  makeFleetFixtures,
  NOW,
  winSha,
  type FleetFixtures,
} from '../fixtures/fleet/make-fixtures.ts';
import { uncheckedManifests } from '../../src/manifest/trusted.ts';
import { checkManifest } from '../../src/manifest/verify-trust.ts';
import { loadManifestFile } from '../../src/manifest/load.ts';
import { loadTrustRoot } from '../../src/manifest/trust-root.ts';
import { manifestTrust, type TrustedManifest } from '../../src/manifest/trusted.ts';
import { workspace } from '../helpers/signed-manifest.ts';

let fx: FleetFixtures;
beforeAll(async () => {
  fx = await makeFleetFixtures();
});

async function scan(paths: readonly string[], extra: Partial<DriftScanInput> = {}) {
  return scanDrift({
    manifests: uncheckedManifests([acmeManifest()]),
    sources: paths.map((p) => fileSource(p)),
    now: NOW,
    config: parseDriftConfig(
      JSON.stringify({
        schema: 1,
        allow: ['screenconnect'],
        tenants: { northwind: { allow: ['TeamViewer'] } },
      }),
      'config',
    ),
    ...extra,
  });
}

describe('drift classification', () => {
  it('puts each agent in its classes and counts them per fleet and tenant', async () => {
    const { result, findings } = await scan([fx.csv]);
    expect(result.fleet).toMatchObject({
      rows: 14,
      malformedRows: 0,
      duplicateRows: 1,
      otherRows: 1,
      tenants: 3,
      agents: 10,
      // Only c-ok and f-stale: f-tampered (hash-mismatch) and n-mac (platform) are on the target
      // version but not on target.
      onTarget: 2,
      percentOnTarget: 20,
      tools: 2,
      unapprovedTools: 1,
      stale: 1,
    });
    // One primary status per agent, by precedence: they add up to the agents.
    expect(result.fleet.status).toEqual({
      'hash-mismatch': 1, // f-tampered
      revoked: 1, // c-revoked (also behind)
      vulnerable: 2, // c-min (also below-minimum), f-vuln (also behind)
      'below-minimum': 0,
      'unlisted-instance': 0,
      'unreleased-version': 1, // f-ahead: 7.5.0 is not among the releases (also ahead-of-target)
      behind: 1, // c-behind
      'platform-not-allowed': 1, // n-mac
      'ahead-of-target': 0,
      'unknown-version': 1, // f-unknown
      'on-target': 2, // c-ok, f-stale (stale is freshness, beside the status)
    });
    // Every class an agent has, primary or secondary: the findings count these.
    expect(result.fleet.classes).toEqual({
      revoked: 1,
      'hash-mismatch': 1,
      vulnerable: 2,
      'below-minimum': 1,
      'unreleased-version': 1,
      'unapproved-tool': 1,
      'unlisted-instance': 0,
      behind: 3,
      'unknown-version': 1,
      'platform-not-allowed': 1,
      'ahead-of-target': 1,
      stale: 1,
      'on-target': 4,
    });
    for (const code of [
      'DRIFT_REVOKED',
      'DRIFT_HASH_MISMATCH',
      'DRIFT_VULNERABLE',
      'DRIFT_BELOW_MINIMUM',
      'DRIFT_UNAPPROVED_TOOL',
      'DRIFT_BEHIND',
      'DRIFT_UNKNOWN_VERSION',
      'DRIFT_PLATFORM_NOT_ALLOWED',
      'DRIFT_AHEAD_OF_TARGET',
      'DRIFT_UNRELEASED_VERSION',
      'DRIFT_STALE',
    ]) {
      expect(findings).toFailWith(code);
    }
    expect(findings.find((f) => f.code === 'DRIFT_DUPLICATE')?.subject).toBe('contoso/c-behind');
    const vulnerable = findings.filter((f) => f.code === 'DRIFT_VULNERABLE');
    expect(vulnerable.every((f) => f.severity === 'critical')).toBe(true); // the advisory's severity
    const tampered = findings.find((f) => f.code === 'DRIFT_HASH_MISMATCH');
    expect(tampered?.subject).toBe('fabrikam/f-tampered');
    expect(tampered?.location).toEqual({ file: fx.csv, line: 9 });
    const contoso = result.tenants.find((t) => t.tenant === 'contoso');
    expect(contoso).toMatchObject({ agents: 4, onTarget: 1, worst: 'revoked', severity: 'critical' });
    const fabrikam = result.tenants.find((t) => t.tenant === 'fabrikam');
    expect(fabrikam).toMatchObject({ agents: 5, onTarget: 1, worst: 'hash-mismatch', stale: 1 });
    expect(result.tenants.at(-1)?.tenant).toBe('northwind'); // worst first: high before critical ones
    for (const t of result.tenants) expect(Object.values(t.status).reduce((a, b) => a + b, 0)).toBe(t.agents);
    expect(result.rollups[0]).toEqual({
      tenant: 'fabrikam',
      product: 'acme-agent',
      class: 'hash-mismatch',
      count: 1,
      stale: 0,
      severity: 'critical',
    });
    // The rollups of agents add up to the agents too.
    expect(
      result.rollups.filter((r) => r.class !== 'unapproved-tool').reduce((sum, r) => sum + r.count, 0),
    ).toBe(10);
    // An advisory's severity travels with its agents into the tables.
    expect(result.rollups.find((r) => r.class === 'vulnerable')?.severity).toBe('critical');
    expect(result.fleet.severities.vulnerable).toBe('critical');
  });

  it('keeps the row with the latest last_seen for a duplicate key, and reports only it', async () => {
    const { result, findings } = await scan([fx.csv]);
    // c-behind: 7.4.0 seen 2026-11-28 beats 7.4.2 seen 2026-11-20, wherever it is in the file.
    expect(result.versions.find((v) => v.version === '7.4.0')?.count).toBe(1);
    expect(findings.some((f) => f.code === 'DRIFT_BEHIND' && f.subject === 'contoso/c-behind')).toBe(true);
    const later = join(fx.dir, 'dup-later-wins.csv');
    await writeFile(
      later,
      csvOf([
        ['t', 'e1', 'h', 'acme-agent', '7.4.0', '', 'linux-x64', '2026-11-27T00:00:00Z'],
        ['t', 'e1', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2026-11-28T00:00:00Z'],
      ]),
    );
    const second = await scan([later]);
    expect(second.result.fleet).toMatchObject({ agents: 1, onTarget: 1, duplicateRows: 1 });
    expect(second.findings.some((f) => f.code === 'DRIFT_BEHIND')).toBe(false); // the superseded row's sample is gone
  });

  it('gives the same counts when the duplicate table spills to disk', async () => {
    const inMemory = await scan([fx.csv, fx.jsonl]);
    const spilled = await scan([fx.csv, fx.jsonl], { dedupMemoryKeys: 2 });
    expect(spilled.result.fleet).toEqual(inMemory.result.fleet);
    expect(spilled.result.rollups).toEqual(inMemory.result.rollups);
    // The JSON Lines file repeats every CSV row (same keys, same times): all are duplicates.
    expect(inMemory.result.fleet.duplicateRows).toBe(1 + 14 - 1);
  });

  it('reads CSV, gzip CSV and JSON Lines into the same result', async () => {
    const csv = await scan([fx.csv]);
    const gz = await scan([fx.csvGz]);
    const jsonl = await scan([fx.jsonl]);
    expect(gz.result.fleet).toEqual(csv.result.fleet);
    expect(jsonl.result.fleet).toEqual(csv.result.fleet);
    expect(gz.result.inputs[0]).toMatchObject({ format: 'csv', gzip: true, rows: 14 });
    expect(jsonl.result.inputs[0]).toMatchObject({ format: 'jsonl', gzip: false, rows: 14 });
  });

  it('reads osquery results logs and osqueryi --json tables', async () => {
    const log = await scan([fx.osqueryLog]);
    expect(log.result.inputs[0]?.format).toBe('jsonl');
    expect(log.findings).toFailWith('DRIFT_VULNERABLE');
    expect(log.findings.find((f) => f.code === 'DRIFT_UNAPPROVED_TOOL')?.subject).toBe('wingtip/ww-1-uuid');
    // `windows` from the programs table is the family of windows-x64: allowed.
    expect(log.result.fleet.classes['platform-not-allowed']).toBe(0);

    const tables = await scan([fx.osqueryPrograms, fx.osqueryDeb, fx.osqueryRpm, fx.osqueryApps], {
      defaultTenant: 'acme-co',
    });
    expect(tables.result.inputs.map((i) => i.format)).toEqual(['osquery', 'osquery', 'osquery', 'osquery']);
    expect(tables.result.fleet).toMatchObject({ agents: 2, onTarget: 1, tools: 3 });
    expect(tables.result.fleet.classes['unapproved-tool']).toBe(3); // AnyDesk, RustDesk, TeamViewer.app
    expect(tables.findings.find((f) => f.code === 'DRIFT_BEHIND')?.subject).toBe('acme-co/srv-1.deb');
  });

  it('reads stdin and maps columns by name or position', async () => {
    const text = 'Customer,Device,Software,Ver,Seen\nacme,d1,Acme RMM Agent,7.4.0,2026-11-28T00:00:00Z\n';
    const mapped = await scanDrift({
      manifests: uncheckedManifests([acmeManifest()]),
      sources: [streamSource('<stdin>', Readable.from([Buffer.from(text)]))],
      now: NOW,
      columns: parseColumnMapping('tenant=Customer,endpoint=Device,version=Ver,last_seen=Seen'),
    });
    expect(mapped.result.fleet).toMatchObject({ agents: 1, tenants: 1 });
    expect(mapped.findings).toFailWith('DRIFT_BEHIND');

    const headerless = join(fx.dir, 'headerless.csv');
    await writeFile(headerless, 'acme,d1,HOST,Acme RMM Agent,7.4.2,,windows-x64,2026-11-28T00:00:00Z\n');
    expect((await scan([headerless])).result.fleet).toMatchObject({ agents: 1, onTarget: 1 });

    const positional = join(fx.dir, 'positional.csv');
    await writeFile(positional, '7.4.0;x,Acme RMM Agent,acme,d1\n');
    const byPosition = await scan([positional], {
      columns: parseColumnMapping('tenant=3,endpoint=4,product=2,version=1'),
    });
    expect(byPosition.result.fleet.malformedRows).toBe(0);
    expect(byPosition.result.fleet.classes['unknown-version']).toBe(1); // '7.4.0;x' is not semver
  });

  it('counts malformed rows with their file and line, and fails only with --strict', async () => {
    const { result, findings } = await scan([fx.malformed]);
    expect(result.fleet).toMatchObject({ rows: 1, malformedRows: 5, agents: 1 });
    const lines = findings.filter((f) => f.code === 'DRIFT_MALFORMED_ROW').map((f) => f.location?.line);
    expect(lines).toEqual([3, 4, 5, 6, 7]);
    expect(findings.find((f) => f.location?.line === 3)?.message).toContain('sha256');
    await expect(scan([fx.malformed], { strict: true })).rejects.toThrow(
      /malformed\.csv:3: malformed row \(--strict\): sha256/,
    );
  });

  it('checks each spelling of a repeated digest, and look-alikes of a known one', async () => {
    // The CSV reader remembers canonical digests it has already checked, by a few characters:
    // other spellings of a digest and text sharing those characters are still checked in full.
    const pinned = winSha('7.4.2');
    const sampled = new Set([0, 21, 42, 63]);
    const lookalike = Array.from({ length: 64 }, (_, i) => (sampled.has(i) ? pinned[i] : 'g')).join('');
    const otherDigest = `${pinned.slice(0, 1)}${pinned[1] === '0' ? '1' : '0'}${pinned.slice(2)}`;
    const digests = [pinned, pinned, pinned.toUpperCase(), `sha256:${pinned}`, lookalike, otherDigest];
    const path = join(fx.dir, 'digests.csv');
    await writeFile(
      path,
      csvOf(
        digests.map((digest, i) => [
          'acme',
          `d${i}`,
          `HOST${i}`,
          'Acme RMM Agent',
          '7.4.2',
          digest,
          'windows-x64',
          '2026-11-28T00:00:00Z',
        ]),
      ),
    );
    const { result, findings } = await scan([path]);
    // The four spellings of the pinned digest are on target; the other digest is a hash-mismatch.
    expect(result.fleet).toMatchObject({ rows: 5, malformedRows: 1, agents: 5, onTarget: 4 });
    expect(result.fleet.classes['hash-mismatch']).toBe(1);
    expect(result.fleet.status['hash-mismatch']).toBe(1);
    expect(findings.find((f) => f.code === 'DRIFT_MALFORMED_ROW')?.location?.line).toBe(6);
  });

  it('refuses files that are not inventories (exit 2 material)', async () => {
    const empty = join(fx.dir, 'empty.csv');
    await writeFile(empty, '');
    const noVersion = join(fx.dir, 'no-version.csv');
    await writeFile(noVersion, 'tenant,endpoint,product\na,b,c\n');
    const badJson = join(fx.dir, 'bad.jsonl');
    await writeFile(badJson, '{not json\n');
    const notArray = join(fx.dir, 'truncated.json');
    await writeFile(notArray, '[{"name": "AnyDesk", "version": "8"');
    for (const [path, message] of [
      [fx.binary, /NUL bytes/],
      [fx.notInventory, /no recognised header/],
      [empty, /empty/],
      [noVersion, /no column for version/],
      [badJson, /neither JSON Lines nor one JSON document/],
      [notArray, /not an inventory/],
    ] as const) {
      const error: unknown = await scan([path]).catch((e: unknown) => e);
      expect(error, path).toBeInstanceOf(InputError);
      expect((error as InputError).message, path).toMatch(message);
      expect((error as InputError).message, path).toContain(path);
    }
  });

  it('caps findings per code and says how many there were', async () => {
    const { findings, result } = await scan([fx.csv], { maxFindingsPerCode: 1 });
    expect(findings.filter((f) => f.code === 'DRIFT_BEHIND')).toHaveLength(1);
    const note = findings.find((f) => f.code === 'DRIFT_FINDINGS_TRUNCATED' && f.subject === 'DRIFT_BEHIND');
    expect(note?.evidence).toEqual({ code: 'DRIFT_BEHIND', total: 3, listed: 1 });
    expect(result.findingTotals.DRIFT_BEHIND).toBe(3);
  });

  it('treats a tool as approved when the tenant or everyone may run it', async () => {
    const tools = join(fx.dir, 'tools.csv');
    await writeFile(
      tools,
      csvOf([
        ['northwind', 'a', 'A', 'TeamViewer', '15', '', 'windows-x64', '2026-11-28T00:00:00Z'],
        ['contoso', 'b', 'B', 'TeamViewer', '15', '', 'windows-x64', '2026-11-28T00:00:00Z'],
        [
          'contoso',
          'c',
          'C',
          'ScreenConnect Client (1a2b3c)',
          '24.1',
          '',
          'windows-x64',
          '2026-11-28T00:00:00Z',
        ],
        ['contoso', 'd', 'D', 'Level Access Viewer', '1.0', '', 'windows-x64', '2026-11-28T00:00:00Z'],
      ]),
    );
    const { result, findings } = await scan([tools]);
    expect(result.fleet).toMatchObject({ tools: 3, otherRows: 1 });
    expect(findings.filter((f) => f.code === 'DRIFT_UNAPPROVED_TOOL').map((f) => f.subject)).toEqual([
      'contoso/b',
    ]);
  });

  it('passes a fleet that is all on target', async () => {
    const clean = join(fx.dir, 'clean.csv');
    await writeFile(
      clean,
      csvOf([['t', 'e', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2026-11-28T00:00:00Z']]),
    );
    const { findings, result } = await scan([clean]);
    expect(findings).toEqual([]);
    expect(result.fleet.percentOnTarget).toBe(100);
  });

  it('reports progress every N rows when asked', async () => {
    const seen: number[] = [];
    await scan([fx.csv], { onProgress: (rows) => seen.push(rows), progressEvery: 5 });
    expect(seen).toEqual([5, 10]);
  });

  it('decodes UTF-8 names split across chunks, ASCII chunks included', async () => {
    const text = csvOf([
      ['Müller GmbH', 'e1', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2026-11-28T00:00:00Z'],
      ['plain', 'e2', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2026-11-28T00:00:00Z'],
      ['Ωmega', 'e3', 'h', 'acme-agent', '7.4.0', '', 'linux-x64', '2026-11-28T00:00:00Z'],
    ]);
    const bytes = Buffer.from(text);
    const cut = bytes.indexOf(Buffer.from('ü')) + 1; // inside the two-byte ü
    const omega = bytes.indexOf(Buffer.from('Ω'));
    const chunks = [
      bytes.subarray(0, cut),
      bytes.subarray(cut, omega - 5),
      bytes.subarray(omega - 5, omega + 1),
      bytes.subarray(omega + 1),
    ];
    const { result } = await scanDrift({
      manifests: uncheckedManifests([acmeManifest()]),
      sources: [streamSource('<chunks>', Readable.from(chunks))],
      now: NOW,
    });
    expect(result.tenants.map((t) => t.tenant).sort()).toEqual(['Müller GmbH', 'plain', 'Ωmega']);
  });
});

describe('last_seen in the future', () => {
  it('is a finding (a 2999 date never looks stale and wins every duplicate); a day ahead is clock skew', async () => {
    const path = join(fx.dir, 'future.csv');
    await writeFile(
      path,
      csvOf([
        ['t', 'e1', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2999-01-01T00:00:00Z'],
        ['t', 'e2', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2026-11-30T06:00:00Z'], // 18 h ahead
        ['t', 'e3', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2026-11-28T00:00:00Z'],
      ]),
    );
    const { result, findings } = await scan([path]);
    expect(result.fleet.agents).toBe(3);
    const future = findings.filter((f) => f.code === 'DRIFT_FUTURE_LAST_SEEN');
    expect(future.map((f) => f.subject)).toEqual(['t/e1']);
    expect(future[0]?.severity).toBe('medium');
    expect(future[0]?.location).toEqual({ file: path, line: 2 });
    expect(findings).toFailWith('DRIFT_FUTURE_LAST_SEEN');
  });

  it('is withdrawn when its row loses the duplicate check, and never made for a row that loses', async () => {
    const path = join(fx.dir, 'future-duplicates.csv');
    await writeFile(
      path,
      csvOf([
        // e1: a 2999 row, later beaten by a 3000 row of the same endpoint: one finding, the 3000 one.
        ['t', 'e1', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2999-01-01T00:00:00Z'],
        ['t', 'E1', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '3000-01-01T00:00:00Z'],
        // e2: the 3000 row first; the 2999 row after it loses and makes no finding.
        ['t', 'e2', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '3000-01-01T00:00:00Z'],
        ['t', 'e2', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2999-01-01T00:00:00Z'],
        // e3: clean.
        ['t', 'e3', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2026-11-28T00:00:00Z'],
      ]),
    );
    for (const readerThread of ['never', 'always'] as const) {
      const { result, findings } = await scan([path], { readerThread });
      expect(result.fleet.agents).toBe(3);
      const future = findings.filter((f) => f.code === 'DRIFT_FUTURE_LAST_SEEN');
      expect(future.map((f) => [f.subject, f.location?.line])).toEqual([
        ['t/e1', 3],
        ['t/e2', 4],
      ]);
      expect(result.findingTotals.DRIFT_FUTURE_LAST_SEEN).toBe(2);
    }
    // Duplicates found in spilled partitions (at the end of the scan) are withdrawn from the total.
    const spilled = await scan([path], { dedupMemoryKeys: 1 });
    expect(spilled.result.findingTotals.DRIFT_FUTURE_LAST_SEEN).toBe(2);
  });
});

describe('scanDrift takes trusted manifests only', () => {
  it("refuses a raw manifest, accepts the trust check's manifest and the named opt-out", async () => {
    const raw = acmeManifest();
    await expect(
      // A plain JavaScript caller (or a cast) passing a parsed manifest: refused at run time.
      scanDrift({
        manifests: [raw] as unknown as TrustedManifest[],
        sources: [fileSource(fx.csv)],
        now: NOW,
      }),
    ).rejects.toThrow(/manifest for 'acme-agent' has not passed the trust check/);

    const ws = await workspace({ threshold: 1, keyCount: 1 });
    try {
      await ws.writeManifest(raw);
      const trust = await loadTrustRoot(ws.trustPath);
      const check = await checkManifest(await loadManifestFile(ws.manifestPath), trust, { now: NOW });
      expect(check.trusted).toBe(true);
      expect(check.manifest && manifestTrust(check.manifest)).toBe('verified');
      const checked = await scanDrift({
        manifests: check.manifest ? [check.manifest] : [],
        sources: [fileSource(fx.csv)],
        now: NOW,
      });
      const opted = await scanDrift({
        manifests: uncheckedManifests([raw]),
        sources: [fileSource(fx.csv)],
        now: NOW,
      });
      expect(checked.result.fleet).toEqual(opted.result.fleet);

      await ws.writeManifest(raw, []); // unsigned: the check fails and hands out no manifest
      const failed = await checkManifest(await loadManifestFile(ws.manifestPath), trust, { now: NOW });
      expect(failed.trusted).toBe(false);
      expect(failed.manifest).toBeUndefined();
    } finally {
      await rm(ws.dir, { recursive: true, force: true });
    }
  });
});
