import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { beforeAll, describe, expect, it } from 'vitest';

import { InputError } from '../../src/errors.ts';
import { parseDriftConfig } from '../../src/fleet/config.ts';
import { scanDrift, type DriftScanInput } from '../../src/fleet/drift.ts';
import { fileSource } from '../../src/fleet/inventory.ts';
import { RmmToolMatcher, bundledRmmTools, parseRmmTools } from '../../src/fleet/rmm-tools.ts';
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

const scan = (paths: readonly string[], extra: Partial<DriftScanInput> = {}) =>
  scanDrift({ manifests: [acmeManifest()], sources: paths.map((p) => fileSource(p)), now: NOW, ...extra });

async function errorOf(promise: Promise<unknown>): Promise<InputError> {
  const error: unknown = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(InputError);
  return error as InputError;
}

describe('hostile and oversized inventories', () => {
  it('stops reading a decompression bomb at the byte limit', async () => {
    const bomb = join(fx.dir, 'bomb.csv.gz');
    await writeFile(
      bomb,
      gzipSync(
        Buffer.concat([Buffer.from('tenant,endpoint,product,version\n'), Buffer.alloc(8 << 20, 0x41)]),
      ),
    );
    const error = await errorOf(scan([bomb], { limits: { maxInputBytes: 1 << 20 } }));
    expect(error.code).toBe('INPUT_TOO_LARGE');
    expect(error.message).toContain('bomb.csv.gz');
  });

  it('reports a truncated gzip stream as unreadable, with the byte offset', async () => {
    const truncated = join(fx.dir, 'truncated.csv.gz');
    const whole = gzipSync(Buffer.from(csvOf([['t', 'e', 'h', 'acme-agent', '7.4.2', '', '', '']])));
    await writeFile(truncated, whole.subarray(0, whole.length - 12));
    const error = await errorOf(scan([truncated]));
    expect(error.code).toBe('INPUT_UNREADABLE');
    expect(error.message).toMatch(/truncated\.csv\.gz.*byte offset/);
  });

  it('reports a missing file as unreadable', async () => {
    const error = await errorOf(scan([join(fx.dir, 'does-not-exist.csv')]));
    expect(error.code).toBe('INPUT_UNREADABLE');
  });

  it('skips an over-long JSON line and goes on', async () => {
    const long = join(fx.dir, 'long.jsonl');
    const ok = JSON.stringify({ tenant: 't', endpoint: 'e', product: 'acme-agent', version: '7.4.2' });
    await writeFile(long, `${ok}\n{"tenant": "${'x'.repeat(5000)}"}\n${ok.replace('"e"', '"f"')}\n`);
    const { result, findings } = await scan([long], { limits: { maxRecordChars: 1000 } });
    expect(result.fleet).toMatchObject({ agents: 2, malformedRows: 1 });
    expect(findings.find((f) => f.code === 'DRIFT_MALFORMED_ROW')?.message).toMatch(
      /long\.jsonl:2: line longer than 1000/,
    );
  });

  it('refuses an osquery JSON array above its limit and rows that are not objects', async () => {
    const big = join(fx.dir, 'big.json');
    await writeFile(
      big,
      JSON.stringify(Array.from({ length: 2000 }, () => ({ name: 'AnyDesk', version: '8', publisher: 'x' }))),
    );
    expect((await errorOf(scan([big], { limits: { maxJsonDocumentBytes: 10_000 } }))).code).toBe(
      'INPUT_TOO_LARGE',
    );
    const mixed = join(fx.dir, 'mixed.jsonl');
    await writeFile(
      mixed,
      '{"tenant":"t","endpoint":"e","product":"acme-agent","version":"7.4.2"}\n[1,2]\n"text"\n',
    );
    const { result } = await scan([mixed]);
    expect(result.fleet).toMatchObject({ agents: 1, malformedRows: 2 });
  });

  it('numbers lines and finds NUL bytes the same however the file is read in chunks', async () => {
    // Leading blank lines fill whole chunks when chunks are small; they still count.
    const blank = join(fx.dir, 'blank-lines.csv');
    await writeFile(
      blank,
      `${'\n'.repeat(3000)}tenant,endpoint,product,version\nacme,e1,Acme RMM Agent,7.4.0\n`,
    );
    for (const chunk of [64, 1000, 1 << 20]) {
      const { findings } = await scanDrift({
        manifests: [acmeManifest()],
        sources: [fileSource(blank, chunk)],
        now: NOW,
      });
      expect(findings.find((f) => f.code === 'DRIFT_BEHIND')?.location?.line, `chunk ${chunk}`).toBe(3002);
    }
    // NUL bytes within the first 4096 characters of content are found even past the first chunk.
    const binary = join(fx.dir, 'binary.csv');
    await writeFile(binary, `tenant,endpoint,product,version\n${'a,b,c,d\n'.repeat(200)}\u0000\n`);
    for (const chunk of [100, 1 << 20]) {
      const error = await errorOf(
        scanDrift({ manifests: [acmeManifest()], sources: [fileSource(binary, chunk)], now: NOW }),
      );
      expect(error.message, `chunk ${chunk}`).toContain('NUL bytes');
    }
  });

  it('does not let tenant or product names run as terminal escapes in text output', async () => {
    const { renderDriftText } = await import('../../src/report/drift-text.ts');
    const { buildDriftReport } = await import('../../src/fleet/report.ts');
    const evil = join(fx.dir, 'evil.csv');
    await writeFile(
      evil,
      csvOf([['\u001b[31mred', 'e', 'h', 'acme-agent', '7.4.0', '', 'linux-x64', '2026-11-28T00:00:00Z']]),
    );
    const report = buildDriftReport(await scan([evil]), { now: NOW, failOn: 'low' });
    const text = renderDriftText(report, { color: false });
    expect(text).not.toContain('\u001b');
    expect(text).toContain('\\x1b[31mred');
  });
});

describe('drift config and RMM tool list', () => {
  it('rejects malformed configs with a JSON pointer', () => {
    expect(() => parseDriftConfig('{"schema": 2}', 'c.json')).toThrow(/c\.json at \/schema/);
    expect(() => parseDriftConfig('{"schema": 1, "tenants": {"a": {"allow": "x"}}}', 'c.json')).toThrow(
      /\/tenants\/a\/allow/,
    );
    expect(() => parseDriftConfig('{"schema": 1, "allow": [], "allow": []}', 'c.json')).toThrow(/duplicate/i);
    expect(() => parseDriftConfig('{"schema": 1, "deny": []}', 'c.json')).toThrow(/\/deny/);
  });

  it('ships a well-formed list of widely used tools', () => {
    const tools = bundledRmmTools();
    expect(tools.length).toBeGreaterThanOrEqual(28);
    for (const id of [
      'anydesk',
      'teamviewer',
      'screenconnect',
      'atera',
      'ninjaone',
      'kaseya-vsa',
      'splashtop',
      'rustdesk',
      'meshcentral',
      'tactical-rmm',
      'dwservice',
    ]) {
      expect(
        tools.some((t) => t.id === id),
        id,
      ).toBe(true);
    }
    expect(() =>
      parseRmmTools(
        '{"schema":1,"tools":[{"id":"a","name":"A","vendor":"V"},{"id":"a","name":"B","vendor":"V"}]}',
        't.json',
      ),
    ).toThrow(/listed twice/);
  });

  // [inventory product name, expected tool id or undefined, invariant]
  const MATCHES: readonly [string, string | undefined, string][] = [
    ['AnyDesk', 'anydesk', 'exact name'],
    ['anydesk', 'anydesk', 'case-insensitive'],
    ['TeamViewer 15', 'teamviewer', 'name followed by a version'],
    ['ScreenConnect Client (1a2b3c4d)', 'screenconnect', 'name followed by a parenthesised instance id'],
    ['AteraAgent.exe', 'atera', 'executable name'],
    ['LTService', 'connectwise-automate', 'service name'],
    ['Splashtop Streamer', 'splashtop', 'alias'],
    ['Level', 'level', 'short names match exactly'],
    ['Level Access Viewer', undefined, 'a bare prefix is not a match'],
    ['TeamViewerish', undefined, 'no match inside a word'],
    ['Microsoft Edge', undefined, 'other software'],
  ];
  it.each(MATCHES)('matches %j', (name, id) => {
    expect(new RmmToolMatcher(bundledRmmTools()).match(name)?.id).toBe(id);
  });
});
