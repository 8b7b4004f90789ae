import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { BENCH_NOW, benchConfig, benchManifests, generateInventory } from '../../bench/drift-data.ts';
import { defaults } from '../../src/defaults.ts';
import { InputError } from '../../src/errors.ts';
import { ProductCatalog } from '../../src/fleet/catalog.ts';
import { parseColumnMapping } from '../../src/fleet/columns.ts';
import { Allowlist, EMPTY_CONFIG, type DriftConfig } from '../../src/fleet/config.ts';
import { scanDrift, type DriftScanInput, type DriftScanOutput } from '../../src/fleet/drift.ts';
import { fileSource, readInventory, type InventoryReadOptions } from '../../src/fleet/inventory.ts';
import { readCsvOnThread } from '../../src/fleet/reader-thread.ts';
import { DICTIONARY_CHARS_LIMIT, DICTIONARY_LIMIT } from '../../src/fleet/row-batch.ts';
import { RmmToolMatcher, bundledRmmTools } from '../../src/fleet/rmm-tools.ts';
import { DriftScanner } from '../../src/fleet/scan.ts';
import type { Manifest } from '../../src/manifest/types.ts';
import { acmeManifest, NOW, sha, winSha } from '../fixtures/fleet/make-fixtures.ts';
import { uncheckedManifests } from '../../src/manifest/trusted.ts';

/**
 * The reader thread's promise: a CSV file read on the worker (readerThread 'always') gives
 * exactly the result, findings and errors of reading it on the main thread ('never'). Small
 * read chunks put chunk (and so batch) boundaries everywhere, including inside quoted records
 * and multi-byte characters.
 */

const SMALL_CHUNK = 1000;
const GENERATED_ROWS = 20_000;

let dir: string;
let generated: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmm-verify-reader-thread-'));
  generated = join(dir, 'generated.csv');
  generateInventory(generated, GENERATED_ROWS);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

type ScanInput = Omit<DriftScanInput, 'readerThread'>;

/** Scans on both paths and checks that results and findings are identical. */
async function bothWays(input: ScanInput): Promise<DriftScanOutput> {
  const never = await scanDrift({ ...input, readerThread: 'never' });
  const always = await scanDrift({ ...input, readerThread: 'always' });
  const resultNever = JSON.stringify(never.result);
  const resultAlways = JSON.stringify(always.result);
  const findingsNever = JSON.stringify(never.findings);
  const findingsAlways = JSON.stringify(always.findings);
  // Structural comparison first (a readable diff), then exact text (key order included).
  expect(JSON.parse(resultAlways)).toEqual(JSON.parse(resultNever));
  expect(JSON.parse(findingsAlways)).toEqual(JSON.parse(findingsNever));
  expect(resultAlways).toBe(resultNever);
  expect(findingsAlways).toBe(findingsNever);
  return never;
}

interface ErrorShape {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly detail: string;
  readonly location: unknown;
  /** Rows counted before the error (progress reported for every row). */
  readonly progress: readonly number[];
}

/** Scans on both paths, expecting the same InputError, after the same rows, from each. */
async function sameError(input: ScanInput): Promise<ErrorShape> {
  const shape = async (readerThread: 'never' | 'always'): Promise<ErrorShape> => {
    const progress: number[] = [];
    const error: unknown = await scanDrift({
      ...input,
      readerThread,
      progressEvery: 1,
      onProgress: (rows) => progress.push(rows),
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error, `readerThread '${readerThread}' should fail`).toBeInstanceOf(InputError);
    const e = error as InputError;
    expect(Object.getPrototypeOf(e)).toBe(InputError.prototype);
    return {
      name: e.name,
      code: e.code,
      message: e.message,
      detail: e.detail,
      location: e.location,
      progress,
    };
  };
  const never = await shape('never');
  const always = await shape('always');
  expect(always).toEqual(never);
  return never;
}

function fleetConfig(): DriftConfig {
  // AnyDesk is approved for Müller GmbH only; ScreenConnect everywhere.
  return { allow: ['screenconnect'], tenants: { 'Müller GmbH': { allow: ['AnyDesk'] } } };
}

const linuxSha = (version: string) => sha(`acme-linux-${version}`);
const SEEN = '2026-11-28T10:00:00Z';
const STRADDLE = '"STRADDLE ""東\r\n京"", end"';

/**
 * A CSV inventory with everything the readers must agree on. `padding` lengthens one filler
 * hostname so that the multi-line record `STRADDLE` can be moved across a chunk boundary.
 * Returns the text and the number of malformed rows it holds.
 */
function handWritten(padding = 0, eol = '\r\n'): { text: string; malformed: number } {
  const rows: string[] = [
    'Customer,Device ID,Computer Name,Application,Version,SHA256,OS,Last Seen',
    // on-target: upper-case sha256, non-ASCII tenant and hostname
    `Müller GmbH,m-1,東京-01,Acme RMM Agent,7.4.2,${winSha('7.4.2').toUpperCase()},windows-x64,${SEEN}`,
    // sha256: prefix, Unix seconds, quoted comma
    `Müller GmbH,m-2,"Host, with comma",acme-agent,7.4.2,sha256:${linuxSha('7.4.2')},linux-x64,1795860000`,
    // behind; a quoted line break (CRLF inside quotes), date-only timestamp
    `Müller GmbH,m-3,"two\r\nlines",AcmeAgent,7.4.0,,windows-x64,2026-11-28`,
    // revoked; "" escapes; offset timestamp with fraction
    `contoso,c-1,"say ""hi""",Acme RMM Agent,7.3.0,,windows-x64,2026-11-28 10:00:00.123+01:00`,
    // below-minimum + vulnerable; empty endpoint (hostname fallback); Unix milliseconds
    `contoso,,HOST-FALLBACK,Acme RMM Agent,7.1.0,,windows-x64,1795860000000`,
    // hash mismatch; short fraction
    `contoso,c-2,C-2,ACME RMM AGENT,7.4.2,${'a'.repeat(64)},windows-x64,2026-11-28T10:00:00.5Z`,
    // a digest pinned for another version: mismatch too; padded with spaces
    `contoso,c-2b,C-2B,Acme RMM Agent,7.4.2, ${winSha('7.4.0')} ,windows-x64,${SEEN}`,
    // ahead-of-target, unknown-version, vulnerable + behind
    `contoso,c-3,C-3,Acme RMM Agent,7.5.0,,linux-x64,${SEEN}`,
    `contoso,c-4,C-4,Acme RMM Agent,latest,,linux-x64,${SEEN}`,
    `"Fabrikam, Inc.",f-1,F-1,Acme RMM Agent,7.2.0,,windows-x64,${SEEN}`,
    // platforms: not allowed, a family of an allowed one, mixed case, none
    `contoso,c-5,C-5,Acme RMM Agent,7.4.2,,darwin-arm64,${SEEN}`,
    `contoso,c-6,C-6,Acme RMM Agent,7.4.2,,windows,${SEEN}`,
    `contoso,c-6b,C-6B,Acme RMM Agent,7.4.2,,Linux-X64,${SEEN}`,
    `contoso,c-7,C-7,Acme RMM Agent,7.4.2,,,${SEEN}`,
    // stale; an empty last_seen (never stale)
    `contoso,c-8,C-8,Acme RMM Agent,7.4.2,,windows-x64,2026-10-01T00:00:00Z`,
    `contoso,c-9,C-9,Acme RMM Agent,7.4.2,,windows-x64,`,
    // AnyDesk: approved for Müller GmbH, not for contoso; ScreenConnect for everyone; stale tool
    `Müller GmbH,m-ad,東京-02,AnyDesk,8.0.9,,windows-x64,${SEEN}`,
    `contoso,c-ad,C-AD,AnyDesk,8.0.9,,windows-x64,${SEEN}`,
    `contoso,c-sc,C-SC,ScreenConnect Client,24.1,,windows-x64,2026-09-01T00:00:00Z`,
    // other products: counted, not judged
    `contoso,c-edge,C-EDGE,Microsoft Edge,131.0,,windows-x64,${SEEN}`,
    `Müller GmbH,m-edge,東京-01,Microsoft Edge,131.0,,windows-x64,${SEEN}`,
    // duplicates: a later last_seen wins wherever it is; ties
    `contoso,c-dup,C-DUP,Acme RMM Agent,7.4.0,,windows-x64,2026-11-20T10:00:00Z`,
    `contoso,c-dup,C-DUP,Acme RMM Agent,7.4.2,,windows-x64,${SEEN}`,
    `contoso,c-tie,C-TIE,Acme RMM Agent,7.4.0,,windows-x64,${SEEN}`,
    `contoso,c-tie,C-TIE-2,AcmeAgent,7.2.0,,windows-x64,${SEEN}`,
    `contoso,c-old,C-OLD,Acme RMM Agent,7.4.2,,windows-x64,${SEEN}`,
    `contoso,c-old,C-OLD,Acme RMM Agent,7.1.0,,windows-x64,2026-11-01T10:00:00Z`,
    // malformed: too few fields, bad sha256, bad timestamp, bare quote, text after a closing
    // quote, missing tenant, missing endpoint and hostname, missing product
    'acme,short,row',
    `acme,e-sha,h,Acme RMM Agent,7.4.2,xyz,windows-x64,${SEEN}`,
    `acme,e-time,h,Acme RMM Agent,7.4.2,,windows-x64,yesterday`,
    `acme,e"bare,h,Acme RMM Agent,7.4.2,,windows-x64,${SEEN}`,
    `acme,"e-after"x,h,Acme RMM Agent,7.4.2,,windows-x64,${SEEN}`,
    `,e-tenant,h,Acme RMM Agent,7.4.2,,windows-x64,${SEEN}`,
    `acme,,,Acme RMM Agent,7.4.2,,windows-x64,${SEEN}`,
    `acme,e-product,h,,7.4.2,,windows-x64,${SEEN}`,
    '',
    // extra fields are ignored
    `contoso,c-extra,C-EXTRA,Acme RMM Agent,7.4.2,,windows-x64,${SEEN},extra,"more, fields"`,
    // filler on the fast path (known digest, usual timestamp), one of them padded
    ...Array.from(
      { length: 30 },
      (_, i) =>
        `contoso,fill-${i},${i === 0 ? `F${'x'.repeat(padding)}` : `F-${i}`},Acme RMM Agent,7.4.2,${winSha('7.4.2')},windows-x64,${SEEN}`,
    ),
    // a record with a quoted line break (and multi-byte characters around it)
    `Müller GmbH,m-straddle,${STRADDLE},Acme RMM Agent,7.4.0,,windows-x64,${SEEN}`,
    `Müller GmbH,m-after,"multi\nline ""quoted""\nhostname",Acme RMM Agent,7.3.0,,windows-x64,${SEEN}`,
    `contoso,c-last,C-LAST,AnyDesk,8.0.9,,linux-x64,${SEEN}`,
  ];
  return { text: `\ufeff${rows.join(eol)}${eol}`, malformed: 8 };
}

/** Byte offset of the line break inside the quoted STRADDLE field. */
function straddleBreak(text: string): number {
  const at = text.indexOf(STRADDLE);
  return Buffer.byteLength(text.slice(0, at + STRADDLE.indexOf('\n')));
}

describe('reading CSV on the reader thread', () => {
  it('matches the main thread on a realistic generated inventory, at several chunk sizes', async () => {
    for (const chunk of [997, 4096, 1 << 20]) {
      const { result, findings } = await bothWays({
        manifests: uncheckedManifests(benchManifests()),
        config: benchConfig(),
        now: BENCH_NOW,
        sources: [fileSource(generated, chunk)],
        maxFindingsPerCode: 1000,
      });
      expect(result.fleet.rows).toBe(GENERATED_ROWS);
      expect(result.fleet.duplicateRows).toBeGreaterThan(100);
      expect(findings.length).toBeGreaterThan(2000);
      expect(findings.some((f) => f.code === 'DRIFT_HASH_MISMATCH')).toBe(true);
      expect(findings.some((f) => f.code === 'DRIFT_UNAPPROVED_TOOL')).toBe(true);
    }
  });

  it('matches with the default chunk size and the default finding cap, and when duplicates spill', async () => {
    const input = {
      manifests: uncheckedManifests(benchManifests()),
      config: benchConfig(),
      now: BENCH_NOW,
      sources: [fileSource(generated)],
    };
    const capped = await bothWays(input);
    expect(capped.findings.some((f) => f.code === 'DRIFT_FINDINGS_TRUNCATED')).toBe(true);
    const spilled = await bothWays({
      ...input,
      sources: [fileSource(generated, 4096)],
      dedupMemoryKeys: 256,
      maxFindingsPerCode: 1000,
    });
    expect(spilled.result.fleet).toEqual(capped.result.fleet);
  });

  it('matches on a hand-written CSV with every quoting, encoding and classification case', async () => {
    const { text, malformed } = handWritten();
    const path = join(dir, 'hand.csv');
    await writeFile(path, text);
    for (const chunk of [1, 7, 64, SMALL_CHUNK, 4096, 1 << 20]) {
      // A cap of 1 also exercises samples dropped and wanted again after a duplicate wins.
      for (const maxFindingsPerCode of chunk === 1 ? [1000] : [1000, 1]) {
        const { result, findings } = await bothWays({
          manifests: uncheckedManifests([acmeManifest()]),
          config: fleetConfig(),
          now: NOW,
          sources: [fileSource(path, chunk)],
          maxFindingsPerCode,
        });
        expect(result.fleet.malformedRows).toBe(malformed);
        if (maxFindingsPerCode === 1) continue;
        // The rows do what they are there for (so the comparison is not between two empty scans).
        expect(result.fleet).toMatchObject({ duplicateRows: 3, otherRows: 2, tools: 4 });
        expect(result.fleet.classes).toMatchObject({
          'unapproved-tool': 2,
          'platform-not-allowed': 1,
          'hash-mismatch': 2,
          revoked: 2,
          'ahead-of-target': 1,
          'unknown-version': 1,
        });
        const subjects = (code: string) => findings.filter((f) => f.code === code).map((f) => f.subject);
        expect(subjects('DRIFT_UNAPPROVED_TOOL')).toEqual(['contoso/c-ad', 'contoso/c-last']);
        // Endpoint ids compare case-insensitively and are kept in lower case.
        expect(subjects('DRIFT_BELOW_MINIMUM')).toEqual(['contoso/host-fallback']);
        expect(subjects('DRIFT_BEHIND')).toContain('Müller GmbH/m-straddle');
        expect(subjects('DRIFT_BEHIND')).not.toContain('contoso/c-dup');
        const straddle = findings.find((f) => f.subject === 'Müller GmbH/m-straddle');
        expect(straddle?.evidence['hostname']).toBe('STRADDLE "東\r\n京", end');
        const onTokyo = findings.find((f) => f.subject === 'Müller GmbH/m-ad');
        expect(onTokyo).toBeUndefined(); // AnyDesk is approved there
        expect(findings.filter((f) => f.code === 'DRIFT_MALFORMED_ROW')).toHaveLength(malformed);
      }
    }
  });

  it('matches when a chunk boundary falls anywhere in a quoted line break between multi-byte characters', async () => {
    const base = straddleBreak(handWritten().text);
    const target = SMALL_CHUNK * Math.ceil((base + 8) / SMALL_CHUNK);
    // Boundaries from inside `東` (3 bytes) through `\r\n` to inside `京`.
    for (let delta = -4; delta <= 4; delta++) {
      const padding = target + delta - base;
      const { text, malformed } = handWritten(padding);
      const lineBreak = straddleBreak(text);
      expect(lineBreak).toBe(target + delta);
      // The record starts before the chunk boundary at `target` and ends after it.
      const recordStart = Buffer.byteLength(text.slice(0, text.indexOf(STRADDLE)));
      expect(recordStart).toBeLessThan(target);
      expect(recordStart + Buffer.byteLength(STRADDLE)).toBeGreaterThan(target);
      const path = join(dir, `straddle${delta}.csv`);
      await writeFile(path, text);
      const { result, findings } = await bothWays({
        manifests: uncheckedManifests([acmeManifest()]),
        config: fleetConfig(),
        now: NOW,
        sources: [fileSource(path, SMALL_CHUNK)],
        maxFindingsPerCode: 1000,
      });
      expect(result.fleet.malformedRows).toBe(malformed);
      expect(findings.find((f) => f.subject === 'Müller GmbH/m-straddle')?.location?.line).toBe(
        text.slice(0, text.indexOf(STRADDLE)).split('\n').length,
      );
    }
  });

  it('matches with LF line endings and without a BOM or a final line break', async () => {
    const path = join(dir, 'lf.csv');
    await writeFile(path, handWritten(0, '\n').text.slice(1, -1));
    const { result } = await bothWays({
      manifests: uncheckedManifests([acmeManifest()]),
      config: fleetConfig(),
      now: NOW,
      sources: [fileSource(path, 64)],
      maxFindingsPerCode: 1000,
    });
    expect(result.tenants.map((t) => t.tenant).sort()).toEqual(['Fabrikam, Inc.', 'Müller GmbH', 'contoso']);
  });

  it('matches when quoted fields are longer than the record limit', async () => {
    const path = join(dir, 'long.csv');
    const long = `"${'y'.repeat(300)}"`;
    await writeFile(
      path,
      [
        'tenant,endpoint,hostname,product,version',
        `acme,e1,${long},Acme RMM Agent,7.4.0`,
        'acme,e2,h,Acme RMM Agent,7.4.0',
        `acme,e3,"${'z'.repeat(150)}\n${'z'.repeat(150)}",Acme RMM Agent,7.4.0`,
        'acme,e4,h,Acme RMM Agent,7.4.0',
        '',
      ].join('\n'),
    );
    for (const chunk of [50, SMALL_CHUNK]) {
      const { result } = await bothWays({
        manifests: uncheckedManifests([acmeManifest()]),
        now: NOW,
        sources: [fileSource(path, chunk)],
        limits: { maxRecordChars: 200 },
        maxFindingsPerCode: 1000,
      });
      expect(result.fleet.malformedRows).toBeGreaterThanOrEqual(2);
    }
  });

  it('matches with a default tenant for a CSV without a tenant column, and for empty tenants', async () => {
    const noTenant = join(dir, 'no-tenant.csv');
    await writeFile(
      noTenant,
      [
        'endpoint,hostname,product,version,sha256,platform,last_seen',
        `e1,東京-01,Acme RMM Agent,7.4.0,,windows-x64,${SEEN}`,
        `e2,"h, 2",Acme RMM Agent,7.4.2,${winSha('7.4.2')},windows-x64,${SEEN}`,
        `e3,h3,AnyDesk,8.0.9,,windows-x64,${SEEN}`,
        `,h4,Acme RMM Agent,7.1.0,,darwin-arm64,1795860000`,
        'e5,h5,Acme RMM Agent',
        `e1,東京-01,Acme RMM Agent,7.4.2,,windows-x64,2026-11-29T10:00:00Z`,
        '',
      ].join('\n'),
    );
    const withTenant = join(dir, 'empty-tenant.csv');
    await writeFile(
      withTenant,
      [
        'tenant,endpoint,product,version,last_seen',
        `,e1,Acme RMM Agent,7.4.0,${SEEN}`,
        `other,e1,Acme RMM Agent,7.4.0,${SEEN}`,
        `,e2,AnyDesk,8.0.9,${SEEN}`,
        '',
      ].join('\n'),
    );
    for (const chunk of [16, SMALL_CHUNK]) {
      const { result } = await bothWays({
        manifests: uncheckedManifests([acmeManifest()]),
        config: fleetConfig(),
        now: NOW,
        sources: [fileSource(noTenant, chunk), fileSource(withTenant, chunk)],
        defaultTenant: 'Müller GmbH',
        maxFindingsPerCode: 1000,
      });
      expect(result.tenants.map((t) => t.tenant).sort()).toEqual(['Müller GmbH', 'other']);
      // e1 twice in the first file, and again (default tenant) in the second.
      expect(result.fleet).toMatchObject({ malformedRows: 1, duplicateRows: 2 });
    }
  });

  it('matches with --columns by header name and by position', async () => {
    const named = join(dir, 'named.csv');
    await writeFile(
      named,
      [
        'Kunde,Gerät,Rechner,Software,Ver,Prüfsumme,System,Gesehen',
        `Müller GmbH,g1,東京-01,Acme RMM Agent,7.4.0,,windows-x64,${SEEN}`,
        `Müller GmbH,g2,"R, 2",Acme RMM Agent,7.4.2,${winSha('7.4.2')},windows-x64,${SEEN}`,
        `contoso,g3,R3,AnyDesk,8.0.9,,windows-x64,${SEEN}`,
        `contoso,g4,R4,Acme RMM Agent,7.4.2,,darwin-arm64,yesterday`,
        '',
      ].join('\r\n'),
    );
    const namedResult = await bothWays({
      manifests: uncheckedManifests([acmeManifest()]),
      config: fleetConfig(),
      now: NOW,
      sources: [fileSource(named, 32)],
      columns: parseColumnMapping(
        'tenant=Kunde,endpoint=Gerät,hostname=Rechner,version=Ver,sha256=Prüfsumme,platform=System,last_seen=Gesehen',
      ),
      maxFindingsPerCode: 1000,
    });
    expect(namedResult.result.fleet).toMatchObject({ agents: 2, tools: 1, malformedRows: 1 });

    const positional = join(dir, 'positional.csv');
    await writeFile(
      positional,
      [
        `7.4.0,Acme RMM Agent,acme,d1,${SEEN}`,
        `7.4.2,AcmeAgent,acme,d2,1795860000`,
        `"7.3.0","Acme RMM Agent","Müller GmbH","d, 3",${SEEN}`,
        '7.4.2,Acme RMM Agent,acme',
        `8.0.9,AnyDesk,acme,d4,${SEEN}`,
        `latest,Acme RMM Agent,acme,d1,2026-11-29T00:00:00Z`,
        '',
      ].join('\n'),
    );
    const positionalResult = await bothWays({
      manifests: uncheckedManifests([acmeManifest()]),
      now: NOW,
      sources: [fileSource(positional, 16)],
      columns: parseColumnMapping('tenant=3,endpoint=4,product=2,version=1,last_seen=5'),
      maxFindingsPerCode: 1000,
    });
    expect(positionalResult.result.fleet).toMatchObject({
      rows: 5,
      malformedRows: 1,
      duplicateRows: 1,
      agents: 3,
      tools: 1,
    });
  });

  it('matches on gzip-compressed CSV', async () => {
    const hand = join(dir, 'hand.csv.gz');
    await writeFile(hand, gzipSync(Buffer.from(handWritten().text)));
    for (const chunk of [100, 1 << 20]) {
      const { result } = await bothWays({
        manifests: uncheckedManifests([acmeManifest()]),
        config: fleetConfig(),
        now: NOW,
        sources: [fileSource(hand, chunk)],
        maxFindingsPerCode: 1000,
      });
      expect(result.inputs[0]).toMatchObject({ format: 'csv', gzip: true });
      expect(result.fleet.malformedRows).toBe(handWritten().malformed);
    }
    const big = join(dir, 'generated.csv.gz');
    await writeFile(big, gzipSync(await readFile(generated)));
    const { result } = await bothWays({
      manifests: uncheckedManifests(benchManifests()),
      config: benchConfig(),
      now: BENCH_NOW,
      sources: [fileSource(big, 4096)],
      maxFindingsPerCode: 1000,
    });
    expect(result.inputs[0]).toMatchObject({ format: 'csv', gzip: true, rows: GENERATED_ROWS });
  });

  it('hands JSON Lines and osquery JSON back to the main thread, with the same results', async () => {
    const jsonl = join(dir, 'inventory.jsonl');
    const objects = [
      {
        customer: 'Müller GmbH',
        device_id: 'j1',
        hostname: '東京-01',
        software: 'Acme RMM Agent',
        version: '7.4.0',
      },
      { tenant: 'contoso', endpoint: 'j2', product: 'AnyDesk', version: '8.0.9', last_seen: 1795860000 },
      {
        tenant: 'contoso',
        endpoint: 'j3',
        product: 'Acme RMM Agent',
        version: '7.4.2',
        sha256: 'a'.repeat(64),
      },
    ];
    await writeFile(jsonl, `${objects.map((o) => JSON.stringify(o)).join('\n')}\nnot json\n`);
    const osquery = join(dir, 'programs.json');
    await writeFile(
      osquery,
      JSON.stringify([{ name: 'AnyDesk', version: '8.0.9', publisher: 'AnyDesk Software GmbH' }]),
    );
    const jsonlGz = join(dir, 'inventory.jsonl.gz');
    await writeFile(jsonlGz, gzipSync(`${JSON.stringify(objects[0])}\n`));
    const csv = join(dir, 'hand-mixed.csv');
    await writeFile(csv, handWritten().text);
    const { result } = await bothWays({
      manifests: uncheckedManifests([acmeManifest()]),
      config: fleetConfig(),
      now: NOW,
      sources: [fileSource(jsonl, 16), fileSource(csv, 64), fileSource(osquery), fileSource(jsonlGz, 8)],
      defaultTenant: 'acme-co',
      maxFindingsPerCode: 1000,
    });
    expect(result.inputs.map((i) => i.format)).toEqual(['jsonl', 'csv', 'osquery', 'jsonl']);
    expect(result.inputs[0]).toMatchObject({ rows: 3, malformed: 1 });
  });

  it('fails with the same input errors on both paths', async () => {
    const write = async (name: string, content: string | Buffer) => {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    };
    const base = { manifests: uncheckedManifests([acmeManifest()]), now: NOW };

    // --strict: the first malformed row, deep in the file (many batches before it).
    const rows = Array.from(
      { length: 400 },
      (_, i) => `acme,e${i},h,Acme RMM Agent,7.4.2,,windows-x64,${SEEN}`,
    );
    rows.splice(300, 0, `acme,bad,h,Acme RMM Agent,7.4.2,not-a-digest,windows-x64,${SEEN}`);
    rows.splice(350, 0, 'acme,short');
    const strictPath = await write(
      'strict.csv',
      `tenant,endpoint,hostname,product,version,sha256,platform,last_seen\n${rows.join('\n')}\n`,
    );
    const strict = await sameError({ ...base, sources: [fileSource(strictPath, 512)], strict: true });
    expect(strict.code).toBe('INPUT_INVALID');
    expect(strict.message).toMatch(/strict\.csv:302: malformed row \(--strict\): sha256/);
    expect(strict.progress).toHaveLength(300); // the rows before it, and none after

    const noHeader = await write('no-header.csv', 'foo,bar\n1,2\n');
    expect((await sameError({ ...base, sources: [fileSource(noHeader)] })).message).toMatch(
      /no-header\.csv:1: not an inventory: the first line has no recognised header/,
    );

    const missingColumn = await write('missing-column.csv', 'tenant,endpoint,product\na,b,c\n');
    expect((await sameError({ ...base, sources: [fileSource(missingColumn)] })).message).toMatch(
      /the header has no column for version/,
    );

    const mapped = await sameError({
      ...base,
      sources: [fileSource(await write('mapped.csv', 'tenant,endpoint,product,version\na,b,c,d\n'))],
      columns: parseColumnMapping('last_seen=Seen'),
    });
    expect(mapped.message).toMatch(/--columns maps last_seen to 'Seen'/);

    const large = await write('large.csv', handWritten().text);
    const tooLarge = await sameError({
      ...base,
      sources: [fileSource(large, 256)],
      limits: { maxInputBytes: 2000 },
    });
    expect(tooLarge.code).toBe('INPUT_TOO_LARGE');

    const largeGz = await write('large.csv.gz', gzipSync(Buffer.from(handWritten().text)));
    expect(
      (await sameError({ ...base, sources: [fileSource(largeGz, 256)], limits: { maxInputBytes: 2000 } }))
        .code,
    ).toBe('INPUT_TOO_LARGE');

    const nul = await write('nul.csv', Buffer.from('tenant,endpoint,product,version\n\u0000\u0000a,b,c,d\n'));
    expect((await sameError({ ...base, sources: [fileSource(nul)] })).message).toMatch(/NUL bytes/);

    for (const [name, content] of [
      ['empty.csv', ''],
      ['blank.csv', ' \r\n\n\t\n'],
      ['bom.csv', '\ufeff'],
    ] as const) {
      const empty = await sameError({ ...base, sources: [fileSource(await write(name, content), 2)] });
      expect(empty.message).toContain(`${name}: not an inventory: the input is empty`);
    }

    const missing = await sameError({ ...base, sources: [fileSource(join(dir, 'does-not-exist.csv'))] });
    expect(missing.code).toBe('INPUT_UNREADABLE');

    // A truncated gzip stream: zlib may hand over one more piece of output before it reports the
    // error, so how far either path got (offset, rows) varies from run to run; the error does not.
    const truncated = gzipSync(Buffer.from(handWritten().text));
    const truncatedPath = await write('truncated.csv.gz', truncated.subarray(0, truncated.length - 12));
    const failures = await Promise.all(
      (['never', 'always'] as const).map((readerThread) =>
        scanDrift({ ...base, sources: [fileSource(truncatedPath, 128)], readerThread }).then(
          () => undefined,
          (e: unknown) => e,
        ),
      ),
    );
    for (const failure of failures) {
      expect(failure).toBeInstanceOf(InputError);
      const e = failure as InputError;
      expect([e.code, e.detail, e.location.file]).toEqual([
        'INPUT_UNREADABLE',
        'cannot read inventory: unexpected end of file',
        truncatedPath,
      ]);
      expect(e.location.offset).toBeGreaterThan(0);
    }
  });

  it('reports the same progress on both paths', async () => {
    const progress = async (readerThread: 'never' | 'always') => {
      const seen: number[] = [];
      await scanDrift({
        manifests: uncheckedManifests(benchManifests()),
        config: benchConfig(),
        now: BENCH_NOW,
        sources: [fileSource(generated, 4096)],
        readerThread,
        progressEvery: 1000,
        onProgress: (rows) => seen.push(rows),
      });
      return seen;
    };
    const never = await progress('never');
    const always = await progress('always');
    expect(never).toEqual(Array.from({ length: GENERATED_ROWS / 1000 }, (_, i) => (i + 1) * 1000));
    expect(always).toEqual(never);
  });
});

describe('history staging through readCsvOnThread', () => {
  const options: InventoryReadOptions = {
    maxInputBytes: defaults.maxInventoryBytes,
    maxRecordChars: defaults.maxInventoryRecordChars,
    maxJsonDocumentBytes: defaults.maxInventoryJsonArrayBytes,
  };
  type Staged = [string, string, string, string, string, number];

  function makeScanner(manifests: readonly Manifest[], config: DriftConfig, now: Date) {
    const staged: Staged[] = [];
    const catalog = new ProductCatalog(
      manifests,
      new RmmToolMatcher(bundledRmmTools()),
      defaults.maxDistinctProductNames,
    );
    const scanner = new DriftScanner(catalog, new Allowlist(config), {
      now,
      staleDays: defaults.staleDays,
      maxFindingsPerCode: 1000,
      dedupMemoryKeys: defaults.dedupMemoryKeys,
      dedupSpillPartitions: defaults.dedupSpillPartitions,
      history: {
        stage: (tenant, endpoint, product, version, hostname, lastSeen) => {
          staged.push([tenant, endpoint, product, version, hostname, lastSeen]);
        },
      },
    });
    return { staged, catalog, scanner };
  }

  async function stageBothWays(
    path: string,
    chunk: number,
    manifests: readonly Manifest[],
    config: DriftConfig,
    now: Date,
  ) {
    const source = fileSource(path, chunk);
    const main = makeScanner(manifests, config, now);
    const thread = makeScanner(manifests, config, now);
    try {
      main.scanner.addInput(await readInventory(source, main.scanner, options));
      const summary = await readCsvOnThread({
        source: { ...source, path },
        scanner: thread.scanner,
        options,
        pinnedSha256: thread.catalog.pinnedSha256(),
        needsPlatform: thread.catalog.hasPlatformPolicies(),
        onMalformed: (file, line, reason) => {
          thread.scanner.malformed(file, line, reason);
        },
      });
      expect(summary).toBeDefined();
      thread.scanner.addInput(summary!);
      const mainOut = main.scanner.finish();
      const threadOut = thread.scanner.finish();
      expect(thread.staged).toEqual(main.staged);
      expect(JSON.stringify(thread.staged)).toBe(JSON.stringify(main.staged));
      expect(JSON.stringify(threadOut)).toBe(JSON.stringify(mainOut));
      return main.staged;
    } finally {
      main.scanner.close();
      thread.scanner.close();
    }
  }

  it('stages the same rows, in the same order, for a generated inventory', async () => {
    const staged = await stageBothWays(generated, 4096, benchManifests(), benchConfig(), BENCH_NOW);
    expect(staged.length).toBeGreaterThan(GENERATED_ROWS / 2);
  });

  it('stages the same rows for the hand-written CSV (rows parsed again from their raw records)', async () => {
    const path = join(dir, 'hand-history.csv');
    await writeFile(path, handWritten().text);
    const staged = await stageBothWays(path, 64, [acmeManifest()], fleetConfig(), NOW);
    expect(staged).toContainEqual([
      'Müller GmbH',
      'm-straddle',
      'acme-agent',
      '7.4.0',
      'STRADDLE "東\r\n京", end',
      Date.parse(SEEN),
    ]);
    expect(staged).toContainEqual([
      'contoso',
      'host-fallback',
      'acme-agent',
      '7.1.0',
      'HOST-FALLBACK',
      1795860000000,
    ]);
  });

  it('resolves to undefined for JSON Lines, leaving the scanner untouched', async () => {
    const path = join(dir, 'history.jsonl');
    await writeFile(path, '{"tenant":"t","endpoint":"e","product":"acme-agent","version":"7.4.2"}\n');
    const thread = makeScanner([acmeManifest()], EMPTY_CONFIG, NOW);
    try {
      const summary = await readCsvOnThread({
        source: { ...fileSource(path), path },
        scanner: thread.scanner,
        options,
        pinnedSha256: thread.catalog.pinnedSha256(),
        needsPlatform: thread.catalog.hasPlatformPolicies(),
        onMalformed: () => {
          throw new Error('no malformed rows expected');
        },
      });
      expect(summary).toBeUndefined();
      expect(thread.staged).toEqual([]);
      expect(thread.scanner.finish().result.fleet.rows).toBe(0);
    } finally {
      thread.scanner.close();
    }
  });
});

describe('reader-thread dictionaries', () => {
  it('falls back to the string path for tenants past the dictionary limit, with the same results', async () => {
    // 2^18 distinct tenants on rows of products nobody judges (cheap for the scanner), then rows
    // for new tenants (no dictionary id: string path) mixed with rows of early tenants.
    const path = join(dir, 'overflow.csv');
    const lines = ['tenant,endpoint,hostname,product,version,sha256,platform,last_seen'];
    for (let i = 0; i < DICTIONARY_LIMIT; i++) lines.push(`t${i.toString(36)},e,h,Other,1,,,${SEEN}`);
    const versions = ['7.4.2', '7.4.0', '7.1.0', '7.5.0', '7.3.0', 'latest'];
    const newTenants = new Set<string>();
    for (let i = 0; i < 3000; i++) {
      const tenant = i % 3 === 0 ? `t${((i % 300) * 77).toString(36)}` : `new-${i % 1200}`;
      if (tenant.startsWith('new-')) newTenants.add(tenant);
      const hostname = i % 2 === 0 ? `"東京, ${i}"` : `host-${i}`;
      const day = String(1 + (i % 28)).padStart(2, '0');
      const digest = i % 7 === 0 ? 'b'.repeat(64) : i % 5 === 0 ? winSha('7.4.2') : '';
      const platform = i % 11 === 0 ? 'darwin-arm64' : 'windows-x64';
      const product = i % 13 === 0 ? 'AnyDesk' : 'Acme RMM Agent';
      lines.push(
        `${tenant},e${i % 60},${hostname},${product},${versions[i % versions.length]!},${digest},${platform},2026-11-${day}T10:00:00Z`,
      );
    }
    await writeFile(path, `${lines.join('\n')}\n`);
    const { result, findings } = await bothWays({
      manifests: uncheckedManifests([acmeManifest()]),
      config: fleetConfig(),
      now: NOW,
      sources: [fileSource(path)],
      maxFindingsPerCode: 1000,
    });
    expect(result.fleet.otherRows).toBe(DICTIONARY_LIMIT);
    expect(result.fleet.duplicateRows).toBeGreaterThan(0);
    expect(newTenants.size).toBeGreaterThan(500);
    expect(result.tenants.filter((t) => t.tenant.startsWith('new-'))).toHaveLength(newTenants.size);
    expect(
      findings.some((f) => f.subject.startsWith('new-') && f.code === 'DRIFT_PLATFORM_NOT_ALLOWED'),
    ).toBe(true);
    expect(findings.some((f) => f.subject.startsWith('new-') && f.code === 'DRIFT_HASH_MISMATCH')).toBe(true);
    expect(findings.some((f) => f.code === 'DRIFT_DUPLICATE')).toBe(true);
  });

  it('falls back to the string path for tenants past the dictionary character limit', async () => {
    // Long tenant names fill the dictionary's characters long before its count.
    const path = join(dir, 'overflow-chars.csv');
    const long = (i: number) => `${String(i).padStart(6, '0')}-${'m'.repeat(8185)}`;
    const filled = Math.ceil(DICTIONARY_CHARS_LIMIT / long(0).length);
    const lines = ['tenant,endpoint,product,version,last_seen'];
    for (let i = 0; i < filled; i++) lines.push(`${long(i)},e,Other,1,${SEEN}`);
    const versions = ['7.4.2', '7.4.0', '7.1.0'];
    const judged = new Set<string>();
    for (let i = 0; i < 300; i++) {
      const tenant = i % 2 === 0 ? long(i % 40) : long(filled + (i % 50));
      judged.add(tenant);
      lines.push(
        `${tenant},e${i % 20},Acme RMM Agent,${versions[i % 3]!},2026-11-${String(1 + (i % 28)).padStart(2, '0')}T10:00:00Z`,
      );
    }
    await writeFile(path, `${lines.join('\n')}\n`);
    const { result } = await bothWays({
      manifests: uncheckedManifests([acmeManifest()]),
      now: NOW,
      sources: [fileSource(path)],
      maxFindingsPerCode: 1000,
    });
    expect(result.fleet.otherRows).toBe(filled);
    expect(result.fleet.duplicateRows).toBeGreaterThan(0);
    expect(result.tenants.map((t) => t.tenant).sort()).toEqual([...judged].sort());
  });
});
