import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { DateOrderError, parseIsoUtcAt, parseTimestamp } from '../../src/fleet/timestamp.ts';

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

// [text, order, expected ISO, undefined (malformed) or 'error' (an input error), invariant]
const CONSOLE: readonly [string, 'mdy' | 'dmy' | undefined, string | undefined, string][] = [
  ['11/29/2026 6:15:02 PM', undefined, '2026-11-29T18:15:02.000Z', 'US date shows its order (29 > 12)'],
  ['11/29/2026 12:05 AM', 'mdy', '2026-11-29T00:05:00.000Z', '12 AM is midnight'],
  ['11/29/2026 12:05 PM', 'mdy', '2026-11-29T12:05:00.000Z', '12 PM is noon'],
  ['11/05/2026 9:01:44 AM', undefined, 'error', 'ambiguous without an order'],
  ['11/05/2026 9:01:44 AM', 'mdy', '2026-11-05T09:01:44.000Z', 'US order given'],
  ['11/05/2026 9:01:44 AM', 'dmy', '2026-05-11T09:01:44.000Z', 'day/month order given'],
  ['28/11/2026 09:05', 'mdy', 'error', 'does not fit the order given'],
  ['05/05/2026', undefined, '2026-05-05T00:00:00.000Z', 'same day and month is not ambiguous'],
  ['29.11.2026 07:45:10', undefined, '2026-11-29T07:45:10.000Z', 'dotted dates are day.month.year'],
  ['2026/11/29 07:45', undefined, '2026-11-29T07:45:00.000Z', 'year first'],
  ['11/29/2026 18:15 +01:00', undefined, '2026-11-29T17:15:00.000Z', 'an offset'],
  ['Sun, 29 Nov 2026 08:00:00 GMT', undefined, '2026-11-29T08:00:00.000Z', 'RFC 1123'],
  ['Sun Nov 29 08:00:00 2026 UTC', undefined, '2026-11-29T08:00:00.000Z', 'osquery calendarTime'],
  ['/Date(1795939200000)/', undefined, '2026-11-29T08:00:00.000Z', '.NET JSON date'],
  ['1795939200.123', undefined, '2026-11-29T08:00:00.123Z', 'Unix seconds with a fraction'],
  ['13/13/2026', undefined, undefined, 'no month 13 either way'],
  ['02/30/2026', 'mdy', undefined, 'no 30 February'],
  ['11/29/26', 'mdy', undefined, 'two-digit years are not guessed'],
  ['13:00 PM 11/29/2026', undefined, undefined, 'time first'],
  ['11/29/2026 13:00 PM', undefined, undefined, 'hour 13 with PM'],
  ['Sun, 29 Foo 2026 08:00:00 GMT', undefined, undefined, 'unknown month'],
];

describe('parseTimestamp, console forms', () => {
  it.each(CONSOLE)('%j (%s)', (text, order, expected) => {
    if (expected === 'error') {
      expect(() => parseTimestamp(text, order)).toThrow(DateOrderError);
      return;
    }
    const value = parseTimestamp(text, order);
    if (expected === undefined) expect(value).toBeUndefined();
    else expect(new Date(value as number).toISOString()).toBe(expected);
  });

  it('ends in a time, undefined or a DateOrderError for any text, with or without an order', () => {
    fc.assert(
      fc.property(
        fc.string({ maxLength: 40 }),
        fc.constantFrom(undefined, 'mdy' as const, 'dmy' as const),
        (text, order) => {
          try {
            const value = parseTimestamp(text, order);
            expect(value === undefined || typeof value === 'number').toBe(true);
          } catch (error: unknown) {
            expect(error).toBeInstanceOf(DateOrderError);
          }
        },
      ),
    );
  });
});
