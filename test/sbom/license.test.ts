import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { LicenseEvaluator } from '../../src/sbom/license.ts';
import { parseVersionRange, rangeIncludes } from '../../src/sbom/version-range.ts';
import { VERSION_ORDERINGS } from '../../src/sbom/versions/index.ts';
import { fuzzParameters, mutatedText } from '../helpers/fuzz.ts';

describe('licence expressions and policy version ranges under fuzzing', () => {
  const evaluator = new LicenseEvaluator({ deny: ['GPL-3.0-only', 'AGPL-3.0-or-later'] });

  it('fuzz: a mutated or random SPDX licence expression gets a verdict, never an exception', () => {
    const expression =
      '(MIT OR Apache-2.0) AND (BSD-3-Clause WITH LLVM-exception OR GPL-3.0-only+) AND LicenseRef-acme';
    expect(evaluator.evaluate([{ kind: 'expression', value: expression }]).kind).toBe('ok');
    const token = fc.constantFrom(
      'MIT',
      'GPL-3.0-only',
      'AND',
      'OR',
      'WITH',
      '(',
      ')',
      '+',
      ' ',
      'LicenseRef-x',
      'and',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          mutatedText(fc, expression),
          fc.array(token, { maxLength: 40 }).map((parts) => parts.join(' ')),
          fc.string({ maxLength: 200 }),
        ),
        (value) => {
          const verdict = evaluator.evaluate([{ kind: 'expression', value }]);
          expect(['ok', 'missing', 'invalid', 'denied']).toContain(verdict.kind);
          if (verdict.kind === 'invalid' || verdict.kind === 'denied')
            expect(verdict.expression.length).toBeLessThanOrEqual(value.length);
        },
      ),
      fuzzParameters(500),
    );
  });

  it('fuzz: a policy version range parses or is undefined, and a parsed one answers for any version in every ordering', () => {
    fc.assert(
      fc.property(
        fc.oneof(mutatedText(fc, '>=3.3.6 <4 || =1.2.3 || ^2'), fc.string({ maxLength: 60 })),
        fc.oneof(
          fc.constantFrom('3.3.6', '4.0.0', '1.2.3-rc.1', '2', 'v1', ''),
          fc.string({ maxLength: 20 }),
        ),
        fc.constantFrom(...Object.values(VERSION_ORDERINGS)),
        (text, version, ordering) => {
          const range = parseVersionRange(text);
          if (range === undefined) return;
          // true, false, or undefined when the version does not parse in the ordering.
          expect([true, false, undefined]).toContain(rangeIncludes(range, version, ordering));
        },
      ),
      fuzzParameters(500),
    );
  });
});
