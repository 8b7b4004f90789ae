import type fc from 'fast-check';
import { expect } from 'vitest';

import { RmmVerifyError } from '../../src/errors.ts';

/**
 * Parameters of the fuzz properties (one per parser: random or mutated input ends in a result
 * or a located, coded input error, within the parser's bounds).
 *
 * Under `npm test` every property runs its own modest number of cases from one fixed seed, so a
 * run is reproducible and a failure is the same on every machine. `npm run fuzz`
 * (scripts/fuzz.ts) runs the same properties long: it sets FUZZ_SEED to a random seed, which it
 * prints, and FUZZ_SCALE to multiply every property's number of cases. A failure prints
 * fast-check's seed and path; `FUZZ_SEED=<seed> npm run fuzz` replays it.
 */
export const FUZZ_FIXED_SEED = 20261202;

function positiveInteger(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isSafeInteger(value)) throw new Error(`${name}=${raw}: expected an integer`);
  return value;
}

export const fuzzSeed = positiveInteger('FUZZ_SEED', FUZZ_FIXED_SEED);
export const fuzzScale = Math.max(1, positiveInteger('FUZZ_SCALE', 1));

/** fast-check parameters: `numRuns` cases under `npm test`, `numRuns × FUZZ_SCALE` under `npm run fuzz`. */
export function fuzzParameters<T>(numRuns: number): fc.Parameters<T> {
  return { numRuns: numRuns * fuzzScale, seed: fuzzSeed };
}

/**
 * Asserts that `error` is the project's input error (exit status 2): an RmmVerifyError with a
 * code and a location naming at least the file, or a byte offset, line or JSON pointer in it.
 * Anything else (a TypeError, a RangeError from a Buffer read, a stack overflow) fails the property.
 */
export function expectLocatedInputError(error: unknown, file?: string): void {
  if (!(error instanceof RmmVerifyError)) {
    // Show what escaped, with its stack: this is the bug the property found.
    throw new Error(`expected an RmmVerifyError, got ${String(error)}`, { cause: error });
  }
  expect(typeof error.code).toBe('string');
  expect(error.code).not.toBe('');
  const { location } = error;
  const located =
    location.file !== undefined ||
    location.offset !== undefined ||
    location.line !== undefined ||
    location.pointer !== undefined;
  expect(located, `no location in: ${error.message}`).toBe(true);
  // The file named first (JSON Lines readers add the line: `b.intoto.jsonl line 3`).
  if (file !== undefined) expect(location.file?.startsWith(file), error.message).toBe(true);
}

/** Runs `parse`; returns normally on a result, checks the error when it throws. */
export function parsesOrFailsLocated(parse: () => unknown, file?: string): void {
  try {
    parse();
  } catch (error: unknown) {
    expectLocatedInputError(error, file);
  }
}

/** The async form of parsesOrFailsLocated. */
export async function parsesOrFailsLocatedAsync(parse: () => Promise<unknown>, file?: string): Promise<void> {
  try {
    await parse();
  } catch (error: unknown) {
    expectLocatedInputError(error, file);
  }
}

/**
 * Mutations of a real input: byte overwrites, a cut, an insertion of bytes at an offset. Keeps
 * most of the structure, so the parser gets past its first checks (random bytes alone rarely do).
 */
export function mutatedBytes(fcModule: typeof fc, original: Uint8Array): fc.Arbitrary<Buffer> {
  const length = original.length;
  const overwrite = fcModule.array(
    fcModule.tuple(fcModule.nat({ max: Math.max(0, length - 1) }), fcModule.integer({ min: 0, max: 255 })),
    { minLength: 1, maxLength: 8 },
  );
  return fcModule
    .record({
      overwrite,
      cut: fcModule.option(fcModule.nat({ max: length }), { nil: undefined }),
      insert: fcModule.option(
        fcModule.tuple(fcModule.nat({ max: length }), fcModule.uint8Array({ minLength: 1, maxLength: 16 })),
        { nil: undefined },
      ),
    })
    .map(({ overwrite: edits, cut, insert }) => {
      let bytes = Buffer.from(original);
      for (const [offset, value] of edits) if (offset < bytes.length) bytes[offset] = value;
      if (insert !== undefined) {
        const [at, extra] = insert;
        bytes = Buffer.concat([bytes.subarray(0, at), extra, bytes.subarray(at)]);
      }
      if (cut !== undefined) bytes = bytes.subarray(0, cut);
      return bytes;
    });
}

/**
 * Mutations of a real text input at the character level: overwrites with characters that matter
 * to text parsers (quotes, separators, line breaks, braces, backslashes, NUL, non-ASCII).
 */
export function mutatedText(fcModule: typeof fc, original: string): fc.Arbitrary<string> {
  const special = fcModule.constantFrom(
    '"',
    ',',
    '\n',
    '\r',
    '\t',
    ' ',
    '{',
    '}',
    '[',
    ']',
    ':',
    '\\',
    '*',
    '(',
    ')',
    '=',
    '\u0000',
    '\u00e9',
    '\u202e',
    '\ud83d\ude00',
    '0',
    'a',
    '',
  );
  const edit = fcModule.tuple(fcModule.nat({ max: original.length }), special, fcModule.nat({ max: 3 }));
  return fcModule.array(edit, { minLength: 1, maxLength: 8 }).map((edits) => {
    let text = original;
    for (const [at, insert, remove] of edits) {
      const where = Math.min(at, text.length);
      text = text.slice(0, where) + insert + text.slice(where + remove);
    }
    return text;
  });
}
