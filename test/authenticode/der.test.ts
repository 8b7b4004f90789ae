import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { DerError, children, parseDer, readOid, readTime } from '../../src/authenticode/der.ts';
import { parseSignedData } from '../../src/authenticode/signed-data.ts';
import { fuzzParameters } from '../helpers/fuzz.ts';

const hex = (text: string): Buffer => Buffer.from(text.replace(/\s+/g, ''), 'hex');

describe('DER reader', () => {
  it('reads nested values with absolute offsets', () => {
    const node = parseDer(hex('30 06 02 01 05 04 01 ff'), 100);
    const [integer, octets] = children(node);
    expect(integer?.start).toBe(2);
    expect(octets?.base).toBe(100);
  });

  it('decodes object identifiers', () => {
    expect(readOid(parseDer(hex('06 09 2a 86 48 86 f7 0d 01 07 02')))).toBe('1.2.840.113549.1.7.2');
    expect(readOid(parseDer(hex('06 0a 2b 06 01 04 01 82 37 02 01 04')))).toBe('1.3.6.1.4.1.311.2.1.4');
  });

  it('decodes UTCTime and GeneralizedTime', () => {
    expect(
      readTime(parseDer(Buffer.concat([hex('17 0d'), Buffer.from('260101000000Z')]))).toISOString(),
    ).toBe('2026-01-01T00:00:00.000Z');
    expect(
      readTime(parseDer(Buffer.concat([hex('18 12'), Buffer.from('20460601123456.25Z')]))).toISOString(),
    ).toBe('2046-06-01T12:34:56.250Z');
  });

  // Each hostile encoding is rejected with the offset of the problem.
  const HOSTILE: ReadonlyArray<readonly [name: string, bytes: string, offset: number]> = [
    ['truncated header', '30', 0],
    ['indefinite length (BER)', '30 80 00 00', 1],
    ['length past the end', '30 05 02 01 00', 0],
    ['non-minimal long length', '04 81 01 00', 1],
    ['5-byte length', '04 85 00 00 00 00 01', 1],
    ['multi-byte tag', '1f 81 01 00', 0],
    ['trailing bytes', '05 00 00', 2],
    ['child past its parent', '30 03 04 05 00', 2],
  ];
  it.each(HOSTILE)('rejects %s', (_name, bytes, offset) => {
    const parse = () => {
      const node = parseDer(hex(bytes));
      children(node);
    };
    expect(parse).toThrow(DerError);
    try {
      parse();
    } catch (error: unknown) {
      expect((error as DerError).offset).toBe(offset);
    }
  });

  it('fuzz: never throws anything but DerError on arbitrary bytes (SignedData parser included)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
        try {
          parseSignedData(parseDer(bytes));
        } catch (error: unknown) {
          if (!(error instanceof DerError)) throw error;
        }
      }),
      fuzzParameters(2000),
    );
  });
});
