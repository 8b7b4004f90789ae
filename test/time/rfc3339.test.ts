import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { instantOf, parseRfc3339 } from '../../src/time/rfc3339.ts';
import { fuzzParameters, mutatedText } from '../helpers/fuzz.ts';

/** [text, instant as ISO or undefined]: invariant, only texts with a finite instant are accepted. */
const CASES: ReadonlyArray<readonly [string, string | undefined]> = [
  ['2026-01-31T00:00:00Z', '2026-01-31T00:00:00.000Z'],
  ['2026-01-31t10:20:30z', '2026-01-31T10:20:30.000Z'],
  ['2026-01-31 10:20:30Z', '2026-01-31T10:20:30.000Z'],
  ['2026-01-31T10:20:30.123456789Z', '2026-01-31T10:20:30.123Z'],
  ['2026-01-31T10:20:30+02:30', '2026-01-31T07:50:30.000Z'],
  ['2026-01-31T00:00:00-01:00', '2026-01-31T01:00:00.000Z'],
  ['2024-02-29T00:00:00Z', '2024-02-29T00:00:00.000Z'],
  ['0001-01-01T00:00:00Z', '0001-01-01T00:00:00.000Z'],
  ['2026-12-31T23:59:60Z', undefined], // leap second
  ['2025-02-29T00:00:00Z', undefined],
  ['1900-02-29T00:00:00Z', undefined],
  ['2026-04-31T00:00:00Z', undefined],
  ['2026-13-01T00:00:00Z', undefined],
  ['2026-00-01T00:00:00Z', undefined],
  ['2026-01-00T00:00:00Z', undefined],
  ['2026-01-01T24:00:00Z', undefined],
  ['2026-01-01T00:60:00Z', undefined],
  ['2026-01-01T00:00:00', undefined], // no offset
  ['2026-01-01T00:00:00+24:00', undefined],
  ['2026-01-01T00:00:00+01:60', undefined],
  ['2026-01-01', undefined],
  ['2026-01-01T00:00:00.Z', undefined],
  [' 2026-01-01T00:00:00Z', undefined],
  ['+102026-01-01T00:00:00Z', undefined],
  ['', undefined],
];

describe('parseRfc3339', () => {
  it.each(CASES)('%s', (text, expected) => {
    const instant = parseRfc3339(text);
    expect(instant === undefined ? undefined : new Date(instant).toISOString()).toBe(expected);
  });

  it('instantOf throws on what the parser refuses', () => {
    expect(() => instantOf('2026-12-31T23:59:60Z')).toThrow(/RFC 3339/);
  });
});

describe('parseRfc3339 under fuzzing', () => {
  it('fuzz: a mutated or random date-time is a finite instant that prints back to the same instant, or undefined', () => {
    fc.assert(
      fc.property(
        fc.oneof(mutatedText(fc, '2026-12-31T23:59:59.999+14:00'), fc.string({ maxLength: 40 })),
        (text) => {
          const instant = parseRfc3339(text);
          if (instant === undefined) {
            expect(() => instantOf(text)).toThrow(/not an RFC 3339 date-time/);
            return;
          }
          expect(Number.isFinite(instant)).toBe(true);
          expect(parseRfc3339(new Date(instant).toISOString())).toBe(instant);
        },
      ),
      fuzzParameters(1000),
    );
  });
});
