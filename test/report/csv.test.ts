import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { finding } from '../../src/findings.ts';
import { CSV_COLUMNS, csvField, renderCsv } from '../../src/report/csv.ts';
import { buildReport } from '../../src/report/report.ts';
import { HOSTILE, NOW, sampleReport } from './sample-report.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmm-verify-csv-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Reads CSV text back with a real RFC 4180 reader (DuckDB's read_csv), every column as text. */
async function readBack(csv: string): Promise<Record<string, string>[]> {
  const file = join(dir, `${Math.random().toString(36).slice(2)}.csv`);
  await writeFile(file, csv);
  const instance = await DuckDBInstance.create(':memory:');
  const connection = await instance.connect();
  try {
    const reader = await connection.runAndReadAll(
      `SELECT * FROM read_csv('${file}', header = true, all_varchar = true, delim = ',', quote = '"', escape = '"', auto_detect = false, columns = {${CSV_COLUMNS.map((c) => `'${c}': 'VARCHAR'`).join(', ')}}, null_padding = false, strict_mode = true)`,
    );
    return reader
      .getRowObjectsJS()
      .map((row) =>
        Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'string' ? v : ''])),
      );
  } finally {
    connection.closeSync();
    instance.closeSync();
  }
}

describe('renderCsv', () => {
  it('writes a header and one CRLF-terminated record per finding, worst first', async () => {
    const csv = renderCsv(sampleReport());
    expect(csv.startsWith(`${CSV_COLUMNS.join(',')}\r\n`)).toBe(true);
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = await readBack(csv);
    expect(rows.map((r) => r['severity'])).toEqual(['critical', 'high', 'medium', 'low', 'info']);
    const manifest = rows.find((r) => r['code'] === 'MANIFEST_LINT_NO_SHA256');
    expect(manifest).toMatchObject({ file: 'manifests/acme.json', line: '12', fails: 'yes' });
    const digest = rows.find((r) => r['code'] === 'DIGEST_MISMATCH');
    expect(JSON.parse(digest?.['evidence'] ?? '')).toEqual({ expected: 'aa', actual: 'bb' });
    expect(digest?.['kind']).toBe('artifact');
    expect(rows.find((r) => r['code'] === 'ARTIFACT_VERIFIED')?.['fails']).toBe('no');
  });

  it('round-trips commas, quotes and line breaks through a real CSV reader', async () => {
    const message = 'a,b "quoted"\r\nsecond line';
    const report = buildReport({
      command: 'verify',
      now: NOW,
      subjects: [],
      findings: [finding('DIGEST_MISMATCH', { subject: 'x,y.msi', message })],
    });
    const [row] = await readBack(renderCsv(report));
    expect(row?.['subject']).toBe('x,y.msi');
    expect(row?.['message']).toBe(message);
  });

  it('neutralises spreadsheet formulas: = + - @ tab and CR get a leading apostrophe', async () => {
    for (const start of ['=', '+', '-', '@', '\t', '\r']) {
      expect(csvField(`${start}HYPERLINK("x")`).replace(/^"/, '').startsWith(`'${start}`)).toBe(true);
    }
    expect(csvField('safe')).toBe('safe');
    expect(csvField('a"b')).toBe('"a""b"');
    const report = buildReport({
      command: 'verify',
      now: NOW,
      subjects: [],
      findings: [finding('DIGEST_MISMATCH', { subject: '=cmd|/c calc!A1', message: HOSTILE })],
    });
    const [row] = await readBack(renderCsv(report));
    expect(row?.['subject']).toBe("'=cmd|/c calc!A1");
    expect(row?.['message']).toBe(HOSTILE.replace('\ud800', '\ufffd'));
  });
});
