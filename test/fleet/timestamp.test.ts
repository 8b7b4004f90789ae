import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseIsoUtcAt, parseTimestamp } from '../../src/fleet/timestamp.ts';

// [text, expected ISO (or NaN / undefined), invariant]
const CASES: readonly [string, string | undefined, string][] = [
  ['2026-11-29T10:00:00Z', '2026-11-29T10:00:00.000Z', 'RFC 3339 UTC'],
  ['2026-11-29T10:00:00.123Z', '2026-11-29T10:00:00.123Z', 'milliseconds'],
  ['2026-11-29T10:00:00.123456Z', '2026-11-29T10:00:00.123Z', 'extra fraction digits are truncated'],
  ['2026-11-29 10:00:00', '2026-11-29T10:00:00.000Z', 'space separator, no offset means UTC'],
  ['2026-11-29T12:00:00+02:00', '2026-11-29T10:00:00.000Z', 'positive offset'],
  ['2026-11-29T08:30:00-01:30', '2026-11-29T10:00:00.000Z', 'negative offset'],
  ['2026-11-29T10:00Z', '2026-11-29T10:00:00.000Z', 'no seconds'],
  ['2026-11-29', '2026-11-29T00:00:00.000Z', 'date only'],
  ['1795860000', '2026-11-28T10:00:00.000Z', 'Unix seconds'],
  ['1795860000000', '2026-11-28T10:00:00.000Z', 'Unix milliseconds'],
  ['', 'NaN', 'empty means unknown'],
  ['yesterday', undefined, 'words are malformed'],
  ['2026-13-01', undefined, 'month 13'],
  ['2026-11-29T25:00:00Z', undefined, 'hour 25'],
  ['2026-11-29T10:00:00Zjunk', undefined, 'trailing text'],
  ['2026-11-29T10:00:00.Z', undefined, 'empty fraction'],
  ['12345678901234', undefined, 'too many digits'],
];

describe('parseTimestamp', () => {
  it.each(CASES)('%j', (text, expected) => {
    const value = parseTimestamp(text);
    if (expected === undefined) expect(value).toBeUndefined();
    else if (expected === 'NaN') expect(value).toBeNaN();
    else expect(new Date(value as number).toISOString()).toBe(expected);
  });

  it('agrees with Date.parse on the fast path, across dates', () => {
    for (let i = 0; i < 2000; i++) {
      const iso = new Date(Date.UTC(2026, 0, 1) + i * 3_600_123).toISOString();
      expect(parseTimestamp(iso)).toBe(Date.parse(iso));
      expect(parseTimestamp(iso.replace(/\.\d{3}Z$/, 'Z'))).toBe(Date.parse(iso.replace(/\.\d{3}Z$/, 'Z')));
    }
  });

  it('agrees with Date.parse for any instant from 1970 to 2199', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(2199, 11, 31) }), (ms) => {
        const iso = new Date(ms).toISOString();
        expect(parseTimestamp(iso)).toBe(ms);
        expect(parseTimestamp(iso.slice(0, 10))).toBe(Date.parse(iso.slice(0, 10)));
      }),
      { numRuns: 2000 },
    );
  });

  it('parses the common UTC form in place, inside a larger string, like Date.parse', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Date.UTC(2199, 11, 31) }), fc.boolean(), (ms, withMillis) => {
        const iso = withMillis
          ? new Date(ms).toISOString()
          : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
        const text = `x,${iso},y`;
        expect(parseIsoUtcAt(text, 2, 2 + iso.length)).toBe(Date.parse(iso));
      }),
      { numRuns: 2000 },
    );
    for (const other of [
      '2026-11-29T10:00:00+01:00',
      '2026-11-29 10:00:00Z',
      '2026-11-29T24:00:00Z',
      '2026-11-29T10:00:00.12Z',
    ]) {
      expect(parseIsoUtcAt(other, 0, other.length)).toBe(-1);
    }
  });
});
