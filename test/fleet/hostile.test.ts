import { spawn, spawnSync } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';

import { beforeAll, describe, expect, it } from 'vitest';

import { InputError } from '../../src/errors.ts';
import { parseDriftConfig } from '../../src/fleet/config.ts';
import { scanDrift, type DriftScanInput } from '../../src/fleet/drift.ts';
import { fileSource, readInventory, streamSource } from '../../src/fleet/inventory.ts';
import { RmmToolMatcher, bundledRmmTools, parseRmmTools } from '../../src/fleet/rmm-tools.ts';
import {
  acmeManifest,
  csvOf,
  makeFleetFixtures,
  NOW,
  type FleetFixtures,
} from '../fixtures/fleet/make-fixtures.ts';
import { uncheckedManifests } from '../../src/manifest/trusted.ts';

let fx: FleetFixtures;
beforeAll(async () => {
  fx = await makeFleetFixtures();
});

const scan = (paths: readonly string[], extra: Partial<DriftScanInput> = {}) =>
  scanDrift({
    manifests: uncheckedManifests([acmeManifest()]),
    sources: paths.map((p) => fileSource(p)),
    now: NOW,
    ...extra,
  });

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

  it('refuses a gzip bomb after a bounded share of it, by its ratio', async () => {
    // 128 gzip members of 1 MiB of one byte each (about 1000:1). The cap is 100 times the
    // compressed bytes read plus 16 MiB, so the read stops long before the end.
    const bomb = join(fx.dir, 'ratio-bomb.csv.gz');
    const member = gzipSync(Buffer.alloc(1 << 20, 0x41));
    const expanded = 128 << 20;
    await writeFile(
      bomb,
      Buffer.concat([
        gzipSync('tenant,endpoint,product,version\n'),
        ...Array.from({ length: 128 }, () => member),
      ]),
    );
    for (const readerThread of ['never', 'always'] as const) {
      const error = await errorOf(scan([bomb], { readerThread }));
      expect(error.code).toBe('INPUT_TOO_LARGE');
      expect(error.message).toMatch(/ratio-bomb\.csv\.gz: gzip inventory expands more than 100 times/);
      const [, read, gave] = /\((\d+) compressed bytes read gave (\d+) bytes\)/.exec(error.message) ?? [];
      expect(Number(gave)).toBeLessThanOrEqual((16 << 20) + 100 * Number(read) + (1 << 20));
      expect(Number(gave)).toBeLessThan(expanded / 4);
    }
  });

  it('reads an ordinary gzip inventory past the allowance under the ratio cap', async () => {
    // About 24 MB of rows with sequential ids (they compress about 15:1).
    const lines = ['tenant,endpoint,hostname,product,version,sha256,platform,last_seen'];
    for (let i = 0; i < 400_000; i++)
      lines.push(`contoso,e${i},h${i},acme-agent,7.4.2,,linux-x64,2026-11-28T00:00:00Z`);
    const path = join(fx.dir, 'ordinary.csv.gz');
    await writeFile(path, gzipSync(`${lines.join('\n')}\n`, { level: 1 }));
    let rows = 0;
    const summary = await readInventory(
      fileSource(path),
      {
        row: () => {
          rows++;
        },
        malformed: () => undefined,
      },
      { maxInputBytes: 1 << 30, maxRecordChars: 1 << 20, maxJsonDocumentBytes: 1 << 20 },
    );
    expect(summary.bytes).toBeGreaterThan(16 << 20);
    expect(rows).toBe(400_000);
  });

  it('stops at the line limit on an unclosed quote, holding at most one record', async () => {
    // 40 MB of rows after an unclosed quote, produced lazily: the scan must stop after about
    // maxLineChars characters, without reading the rest.
    let produced = 0;
    const row = 'contoso,e1,h,acme-agent,7.4.2,,linux-x64,2026-11-28T00:00:00Z\n';
    function* hostile(): Generator<Buffer> {
      const head = Buffer.from(
        `${csvOf([])}contoso,e0,"unclosed,acme-agent,7.4.2,,linux-x64,2026-11-28T00:00:00Z\n`,
      );
      produced += head.length;
      yield head;
      const block = Buffer.from(row.repeat(1000));
      for (let i = 0; i < 600; i++) {
        produced += block.length;
        yield block;
      }
    }
    const error = await errorOf(
      scanDrift({
        manifests: uncheckedManifests([acmeManifest()]),
        sources: [streamSource('unclosed.csv', Readable.from(hostile()))],
        now: NOW,
        limits: { maxRecordChars: 64 << 10, maxLineChars: 1 << 20 },
      }),
    );
    expect(error.message).toMatch(
      /unclosed\.csv:2: a record goes on for more than 1048576 characters .*never closed/,
    );
    expect(produced).toBeLessThanOrEqual((1 << 20) + (64 << 10) + 4 * row.length * 1000);
  });

  it('refuses an unclosed quote that runs to the end of the input, on both paths', async () => {
    const path = join(fx.dir, 'unclosed-small.csv');
    await writeFile(
      path,
      `${csvOf([['contoso', 'e1', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2026-11-28T00:00:00Z']])}contoso,e2,"h,acme-agent,7.4.2,,,\n${'contoso,e3,h,acme-agent,7.4.2,,,\n'.repeat(100)}`,
    );
    for (const readerThread of ['never', 'always'] as const) {
      const error = await errorOf(scan([path], { readerThread }));
      expect(error.message, readerThread).toMatch(
        /unclosed-small\.csv:3: a quoted field opened on this line is not closed/,
      );
    }
  });

  it('reports an over-long JSON line once, however long, and stops at the line limit', async () => {
    const ok = JSON.stringify({ tenant: 't', endpoint: 'e', product: 'acme-agent', version: '7.4.2' });
    const path = join(fx.dir, 'long-line.jsonl');
    await writeFile(path, `${ok}\n{"tenant": "${'x'.repeat(300_000)}"}\n${ok.replace('"e"', '"f"')}\n`);
    const { result } = await scanDrift({
      manifests: uncheckedManifests([acmeManifest()]),
      sources: [fileSource(path, 1000)],
      now: NOW,
      limits: { maxRecordChars: 1000 },
    });
    expect(result.fleet).toMatchObject({ agents: 2, malformedRows: 1 });
    const error = await errorOf(
      scanDrift({
        manifests: uncheckedManifests([acmeManifest()]),
        sources: [fileSource(path, 1000)],
        now: NOW,
        limits: { maxRecordChars: 1000, maxLineChars: 100_000 },
      }),
    );
    expect(error.message).toMatch(/long-line\.jsonl:2: a line goes on for more than 100000 characters/);
  });

  it('reads a FIFO only when asked for', async () => {
    const fifo = join(fx.dir, 'inventory.fifo');
    await rm(fifo, { force: true });
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    // No writer: refused at once instead of waiting forever.
    const error = await errorOf(scan([fifo]));
    expect(error.message).toMatch(
      /inventory\.fifo: not an inventory file: it is a FIFO \(named pipe\).*--allow-fifo/,
    );
    expect((await errorOf(scan([fx.dir]))).message).toMatch(/it is a directory/);
    // Asked for: read like a file, once a writer comes.
    const writer = spawn('sh', ['-c', `cat > '${fifo}'`], { stdio: ['pipe', 'ignore', 'inherit'] });
    writer.stdin.end(
      csvOf([['contoso', 'e1', 'h', 'acme-agent', '7.4.2', '', 'linux-x64', '2026-11-28T00:00:00Z']]),
    );
    const { result } = await scanDrift({
      manifests: uncheckedManifests([acmeManifest()]),
      sources: [fileSource(fifo, undefined, { allowSpecialFiles: true })],
      now: NOW,
    });
    expect(result.fleet.agents).toBe(1);
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
        manifests: uncheckedManifests([acmeManifest()]),
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
        scanDrift({
          manifests: uncheckedManifests([acmeManifest()]),
          sources: [fileSource(binary, chunk)],
          now: NOW,
        }),
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
