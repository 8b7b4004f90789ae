import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { readInventory, streamSource, type InventorySink } from '../../src/fleet/inventory.ts';
import { fuzzParameters, mutatedBytes, mutatedText, parsesOrFailsLocatedAsync } from '../helpers/fuzz.ts';

/** Real shapes of the three inventory formats (a CSV export, JSON Lines, an osquery JSON array). */
const CSV = [
  'tenant,endpoint_id,hostname,product,version,sha256,platform,last_seen',
  'contoso,e1,"desk, 1",acme-agent,7.4.2,,windows-x64,2026-11-28T00:00:00Z',
  'contoso,e2,"say ""hi""",acme-agent,7.4.1,' + 'ab'.repeat(32) + ',linux-x64,2026-11-28 10:00',
  'fabrikam,e3,h3,Acme Agent,7.4.2.1234,,windows-x64,28/11/2026',
  '',
].join('\r\n');
const JSONL = [
  '{"tenant":"contoso","endpoint_id":"e1","product":"acme-agent","version":"7.4.2","last_seen":"2026-11-28T00:00:00Z"}',
  '{"tenant":"contoso","endpoint_id":"e2","product":"acme-agent","version":"7.4.1","sha256":"' +
    'cd'.repeat(32) +
    '"}',
  '{"name":"pack_programs","hostIdentifier":"e3","calendarTime":"Sat Nov 28 10:00:00 2026 UTC","unixTime":1795860000,"columns":{"name":"Acme Agent","version":"7.4.2"},"action":"added"}',
  '',
].join('\n');
const OSQUERY = JSON.stringify([
  { name: 'Acme Agent', version: '7.4.2', install_location: 'C:\\Program Files\\Acme' },
  { name: 'AnyDesk', version: '8.0.1' },
]);

const OPTIONS = {
  maxInputBytes: 1 << 20,
  maxRecordChars: 4096,
  maxLineChars: 1 << 16,
  maxJsonDocumentBytes: 1 << 16,
  defaultTenant: 'default',
} as const;

/** Reads the bytes as one inventory; counts rows and malformed records (bounded by the input). */
async function read(bytes: Uint8Array, name: string): Promise<void> {
  let rows = 0;
  let malformed = 0;
  const sink: InventorySink = {
    row: () => {
      rows++;
    },
    malformed: () => {
      malformed++;
    },
  };
  // Split into a few chunks, as a file read would, so records cross chunk boundaries.
  const chunks: Uint8Array[] = [];
  for (let at = 0; at < bytes.length; at += 97) chunks.push(bytes.subarray(at, at + 97));
  await parsesOrFailsLocatedAsync(async () => {
    const summary = await readInventory(streamSource(name, Readable.from(chunks)), sink, OPTIONS);
    expect(summary.rows).toBe(rows);
    // One row or one malformed report per record at most: work is bounded by the input's lines
    // (osquery arrays by their elements, at most one per 2 bytes).
    expect(rows + malformed).toBeLessThanOrEqual(bytes.length);
  }, name);
}

describe('inventory readers (CSV, JSON Lines, osquery JSON, gzip)', () => {
  it('reads the unmutated samples (so the properties below start from inputs that parse)', async () => {
    for (const [name, text] of [
      ['inventory.csv', CSV],
      ['inventory.jsonl', JSONL],
      ['osquery.json', OSQUERY],
    ] as const) {
      let rows = 0;
      const summary = await readInventory(
        streamSource(name, Readable.from([Buffer.from(text)])),
        {
          row: () => {
            rows++;
          },
          malformed: () => undefined,
        },
        OPTIONS,
      );
      expect(rows, name).toBeGreaterThan(0);
      expect(summary.rows, name).toBe(rows);
    }
  });

  it('fuzz: random bytes end in rows, malformed-row reports or a located input error', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 2048 }), (bytes) => read(bytes, 'random.csv')),
      fuzzParameters(300),
    );
  });

  it('fuzz: mutated CSV, JSON Lines and osquery exports (text and bytes) never escape as another error', async () => {
    for (const [name, text] of [
      ['inventory.csv', CSV],
      ['inventory.jsonl', JSONL],
      ['osquery.json', OSQUERY],
    ] as const) {
      await fc.assert(
        fc.asyncProperty(mutatedText(fc, text), (mutated) => read(Buffer.from(mutated), name)),
        fuzzParameters(200),
      );
      await fc.assert(
        fc.asyncProperty(mutatedBytes(fc, Buffer.from(text)), (mutated) => read(mutated, name)),
        fuzzParameters(100),
      );
    }
  });

  it('fuzz: mutated gzip and UTF-16 inventories', async () => {
    const gzip = gzipSync(CSV);
    await fc.assert(
      fc.asyncProperty(mutatedBytes(fc, gzip), (mutated) => read(mutated, 'inventory.csv.gz')),
      fuzzParameters(200),
    );
    const utf16 = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(CSV, 'utf16le')]);
    await fc.assert(
      fc.asyncProperty(mutatedBytes(fc, utf16), (mutated) => read(mutated, 'inventory-utf16.csv')),
      fuzzParameters(100),
    );
  });
});
