import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';

import { AuthenticodeFormatError } from '../../src/authenticode/errors.ts';
import { imageHashRanges, parsePe } from '../../src/authenticode/pe.ts';
import { bufferSource } from '../../src/authenticode/source.ts';
import { verifyAuthenticode } from '../../src/authenticode/verifier.ts';
import { parseCertificateTable } from '../../src/authenticode/win-certificate.ts';
import { buildPe } from '../fixtures/authenticode/pe-builder.ts';
import { NOW, acmeSigner, ensureAuthenticodeFixtures } from './helpers.ts';
import { fuzzParameters } from '../helpers/fuzz.ts';

let dir = '';
let signed = Buffer.alloc(0);
beforeAll(async () => {
  dir = await ensureAuthenticodeFixtures();
  signed = readFileSync(join(dir, 'signed-ts.exe'));
});

const PE_OFFSET = 0x80; // where pe-builder puts the PE header

describe('parsePe', () => {
  it('reads PE32+ and PE32 layouts', async () => {
    const plus = await parsePe(bufferSource(buildPe({ kind: 'pe32+', sections: [1000, 2000] })));
    expect(plus).toMatchObject({
      kind: 'pe32+',
      checksumOffset: PE_OFFSET + 24 + 64,
      securityDirectoryOffset: PE_OFFSET + 24 + 144,
    });
    expect(plus.sections.map((s) => s.name)).toEqual(['.text', '.data1']);
    const pe32 = await parsePe(bufferSource(buildPe({ kind: 'pe32', sections: [10] })));
    expect(pe32).toMatchObject({
      kind: 'pe32',
      securityDirectoryOffset: PE_OFFSET + 24 + 128,
      certificateTable: undefined,
    });
  });

  it('excludes exactly CheckSum, the Security entry and the certificate table from the image hash', async () => {
    const layout = await parsePe(bufferSource(signed));
    const table = layout.certificateTable;
    expect(table).toBeDefined();
    expect(imageHashRanges(layout)).toEqual([
      [0, layout.checksumOffset],
      [layout.checksumOffset + 4, layout.securityDirectoryOffset],
      [(layout.securityDirectoryOffset ?? 0) + 8, table?.offset],
    ]);
  });

  // Each malformed header is an input error naming the byte offset of the field at fault.
  const MALFORMED: ReadonlyArray<readonly [name: string, mutate: (pe: Buffer) => Buffer, offset: number]> = [
    ['a file shorter than a DOS header', (pe) => pe.subarray(0, 40), 0],
    ['no MZ signature', (pe) => patch(pe, 0, [0x4e, 0x5a]), 0],
    ['e_lfanew outside the file', (pe) => patch32(pe, 0x3c, 0x7fff_fff0), 0x3c],
    ['no PE signature', (pe) => patch(pe, PE_OFFSET, [0x50, 0x46]), PE_OFFSET],
    ['an unknown optional-header magic', (pe) => patch(pe, PE_OFFSET + 24, [0x07, 0x01]), PE_OFFSET + 24],
    ['too many sections', (pe) => patch(pe, PE_OFFSET + 6, [0xff, 0x00]), PE_OFFSET + 6],
    [
      'an optional header larger than the headers',
      (pe) => patch(pe, PE_OFFSET + 20, [0xff, 0xff]),
      PE_OFFSET + 20,
    ],
    [
      'a section past the end of the file',
      (pe) => patch32(pe, PE_OFFSET + 24 + 240 + 16, 0x100000),
      PE_OFFSET + 24 + 240 + 16,
    ],
    [
      'a certificate table past the end of the file',
      (pe) => patch32(pe, PE_OFFSET + 24 + 148, 0x100000),
      PE_OFFSET + 24 + 144,
    ],
    [
      'a certificate table inside the headers',
      (pe) => patch32(pe, PE_OFFSET + 24 + 144, 8),
      PE_OFFSET + 24 + 144,
    ],
    [
      'a certificate table with offset but no size',
      (pe) => patch32(pe, PE_OFFSET + 24 + 148, 0),
      PE_OFFSET + 24 + 144,
    ],
  ];
  it.each(MALFORMED)('rejects %s with its offset', async (_name, mutate, offset) => {
    const error = await parsePe(bufferSource(mutate(Buffer.from(signed)), 'bad.exe')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(AuthenticodeFormatError);
    expect((error as AuthenticodeFormatError).location).toMatchObject({ file: 'bad.exe', offset });
    expect((error as Error).message).toContain(`at byte offset ${offset}`);
  });

  it('refuses a certificate table above the size limit without reading it', async () => {
    const pe = buildPe({ kind: 'pe32+', sections: [100] });
    const size = 64 << 20; // a 64 MiB file whose certificate table claims 48 MiB
    pe.writeUInt32LE(16 << 20, PE_OFFSET + 24 + 144);
    pe.writeUInt32LE(48 << 20, PE_OFFSET + 24 + 148);
    let largestRead = 0;
    const source = {
      name: 'huge.exe',
      size,
      read: (offset: number, length: number) => {
        largestRead = Math.max(largestRead, length);
        return Promise.resolve(
          Buffer.concat([pe, Buffer.alloc(Math.max(0, offset + length - pe.length))]).subarray(
            offset,
            offset + length,
          ),
        );
      },
    };
    const error = await verifyAuthenticode(source, {
      trust: { signers: [], systemRoots: [] },
      now: NOW,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthenticodeFormatError);
    expect((error as Error).message).toContain('exceeds the limit');
    expect(largestRead).toBeLessThanOrEqual(64 << 10);
  });

  it('fuzz: never crashes on random header corruption or truncation: findings or a located input error', async () => {
    const signer = acmeSigner(dir);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: 1023 }), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
        fc.option(fc.nat({ max: signed.length }), { nil: undefined }),
        async (edits, cut) => {
          const bytes = Buffer.from(signed);
          for (const [offset, value] of edits) bytes[offset] = value;
          try {
            const result = await verifyAuthenticode(
              bufferSource(cut === undefined ? bytes : bytes.subarray(0, cut)),
              {
                trust: { signers: [signer], systemRoots: [] },
                now: NOW,
              },
            );
            expect(Array.isArray(result.findings)).toBe(true);
          } catch (error: unknown) {
            expect(error).toBeInstanceOf(AuthenticodeFormatError);
            expect((error as AuthenticodeFormatError).location.offset).toBeTypeOf('number');
          }
        },
      ),
      fuzzParameters(300),
    );
  });

  it('fuzz: never crashes on random corruption of the signature blob', async () => {
    const layout = await parsePe(bufferSource(signed));
    const start = layout.certificateTable?.offset ?? 0;
    const signer = acmeSigner(dir);
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.tuple(fc.nat({ max: signed.length - start - 1 }), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
        async (edits) => {
          const bytes = Buffer.from(signed);
          for (const [offset, value] of edits) bytes[start + offset] = value;
          const result = await verifyAuthenticode(bufferSource(bytes), {
            trust: { signers: [signer], systemRoots: [] },
            now: NOW,
          });
          // A changed byte inside the signature either breaks it or (rarely) lands in ignored padding.
          expect(typeof result.passed).toBe('boolean');
        },
      ),
      fuzzParameters(300),
    );
  });
});

describe('certificate table (CVE-2013-3900 checks)', () => {
  const der = Buffer.from('3003020101', 'hex'); // a 5-byte DER value standing in for PKCS#7
  const entry = (length: number, body: Buffer, revision = 0x200, type = 2): Buffer => {
    const header = Buffer.alloc(8);
    header.writeUInt32LE(length, 0);
    header.writeUInt16LE(revision, 4);
    header.writeUInt16LE(type, 6);
    return Buffer.concat([header, body]);
  };

  it('accepts up to 7 zero bytes of padding', () => {
    const table = entry(16, Buffer.concat([der, Buffer.alloc(3)]));
    expect(parseCertificateTable(table, 1000, 1016).problems).toEqual([]);
  });

  it('rejects non-zero padding and names its offset', () => {
    const table = entry(16, Buffer.concat([der, Buffer.from([0, 0x41, 0])]));
    const { problems } = parseCertificateTable(table, 1000, 1016);
    expect(problems.map((p) => p.code)).toEqual(['AUTHENTICODE_TRAILING_DATA']);
    expect(problems[0]?.message).toContain('first non-zero at byte offset 1014');
  });

  it('rejects 8 or more bytes after the PKCS#7 even when zero', () => {
    const table = entry(24, Buffer.concat([der, Buffer.alloc(11)]));
    expect(parseCertificateTable(table, 1000, 1024).problems.map((p) => p.code)).toEqual([
      'AUTHENTICODE_TRAILING_DATA',
    ]);
  });

  it('rejects entry lengths that do not add up to the directory size', () => {
    const table = Buffer.concat([entry(16, Buffer.concat([der, Buffer.alloc(3)])), Buffer.alloc(8)]);
    expect(parseCertificateTable(table, 1000, 1024).problems.map((p) => p.code)).toContain(
      'AUTHENTICODE_CERT_TABLE_INCONSISTENT',
    );
  });

  it('rejects a dwLength past the table, an unknown certificate type and data after the table', () => {
    expect(
      parseCertificateTable(entry(64, Buffer.concat([der, Buffer.alloc(3)])), 1000, 1016).problems[0]?.code,
    ).toBe('AUTHENTICODE_CERT_TABLE_INCONSISTENT');
    expect(
      parseCertificateTable(entry(16, Buffer.concat([der, Buffer.alloc(3)]), 0x200, 1), 1000, 1016)
        .problems[0]?.code,
    ).toBe('AUTHENTICODE_CERT_TABLE_INCONSISTENT');
    expect(
      parseCertificateTable(entry(16, Buffer.concat([der, Buffer.alloc(3)])), 1000, 1020).problems[0]?.code,
    ).toBe('AUTHENTICODE_DATA_AFTER_CERT_TABLE');
  });
});

function patch(buffer: Buffer, offset: number, bytes: readonly number[]): Buffer {
  bytes.forEach((byte, i) => (buffer[offset + i] = byte));
  return buffer;
}

function patch32(buffer: Buffer, offset: number, value: number): Buffer {
  buffer.writeUInt32LE(value, offset);
  return buffer;
}
