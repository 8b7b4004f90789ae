import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { InputError } from '../../src/errors.ts';
import type { JsonValue } from '../../src/json/index.ts';
import {
  checkBinding,
  checkMinimumElements,
  checkPolicy,
  diffSboms,
  parseOsvRecord,
  parsePolicy,
  parsePurl,
  parseSbom,
  validateSbom,
} from '../../src/sbom/index.ts';
import { buildCycloneDx, buildSpdx } from '../fixtures/sbom/build-sbom.ts';
import { fuzzParameters, mutatedText, parsesOrFailsLocated } from '../helpers/fuzz.ts';

/** Replaces the value at a random path of a JSON document with another JSON value. */
function mutate(document: JsonValue, steps: readonly number[], replacement: JsonValue): JsonValue {
  const copy = JSON.parse(JSON.stringify(document)) as JsonValue;
  let parent: unknown = copy;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] ?? 0;
    const last = i === steps.length - 1;
    if (Array.isArray(parent)) {
      const list = parent as unknown[];
      if (list.length === 0) break;
      const index = step % list.length;
      if (last) list[index] = replacement;
      else parent = list[index];
    } else if (parent !== null && typeof parent === 'object') {
      const record = parent as Record<string, unknown>;
      const keys = Object.keys(record);
      if (keys.length === 0) break;
      const key = keys[step % keys.length] ?? '';
      if (last) record[key] = replacement;
      else parent = record[key];
    } else break;
  }
  return copy;
}

const documents: JsonValue[] = [
  buildCycloneDx('1.4', { components: 4 }) as JsonValue,
  buildCycloneDx('1.6', { components: 4 }) as JsonValue,
  buildSpdx({ components: 4 }) as JsonValue,
];

describe('mutated SBOMs give findings, never crashes', () => {
  it('fuzz: validation, binding, NTIA, policy and diff survive any single mutation', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...documents),
        fc.array(fc.nat(50), { minLength: 1, maxLength: 6 }),
        fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<JsonValue>,
        async (document, steps, replacement) => {
          const bytes = Buffer.from(JSON.stringify(mutate(document, steps, replacement)));
          const result = await validateSbom(parseSbom(bytes, 'fuzz.json'));
          if (!result.sbom) return;
          checkBinding(result.sbom, {
            product: 'acme-agent',
            version: '7.4.2',
            digests: { sha256: 'a'.repeat(64) },
          });
          checkMinimumElements(result.sbom);
          checkPolicy(result.sbom, { policyVersion: 1, deny: { licenses: ['MIT'] }, requireLicense: true });
          diffSboms(result.sbom, result.sbom);
        },
      ),
      fuzzParameters(300),
    );
  });

  it('fuzz: random bytes are an InputError or a finding', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 200 }), async (bytes) => {
        try {
          await validateSbom(parseSbom(bytes, 'random.bin'));
        } catch (error: unknown) {
          expect(error).toBeInstanceOf(InputError);
        }
      }),
      fuzzParameters(300),
    );
  });
});

describe('parsers of untrusted strings', () => {
  it('fuzz: parsePurl never throws', () => {
    fc.assert(
      fc.property(fc.string(), (text) => {
        parsePurl(`pkg:${text}`);
        parsePurl(text);
      }),
      fuzzParameters(2000),
    );
  });

  it('parses purls per the spec', () => {
    expect(parsePurl('pkg:npm/%40angular/core@16.0.0?foo=bar#sub/path')).toEqual({
      type: 'npm',
      namespace: '@angular',
      name: 'core',
      version: '16.0.0',
      qualifiers: { foo: 'bar' },
      subpath: 'sub/path',
    });
    expect(parsePurl('pkg:PyPI/Django_Rest.Framework@3.0')?.name).toBe('django-rest-framework');
    expect(parsePurl('pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1')?.namespace).toBe(
      'org.apache.logging.log4j',
    );
    expect(parsePurl('pkg:npm/%E0%A4%A')).toBeUndefined();
    expect(parsePurl('npm/lodash')).toBeUndefined();
    expect(parsePurl('pkg:/')).toBeUndefined();
  });

  it('fuzz: parseOsvRecord accepts a record or throws InputError', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }) as fc.Arbitrary<JsonValue>, (value) => {
        try {
          parseOsvRecord(value, 'r.json');
        } catch (error: unknown) {
          expect(error).toBeInstanceOf(InputError);
        }
      }),
      fuzzParameters(500),
    );
  });

  it('fuzz: a mutated policy file parses or fails with a located input error', () => {
    const policy = JSON.stringify(
      {
        policyVersion: 1,
        deny: {
          components: [{ purl: 'pkg:npm/event-stream', versions: '>=3.3.6 <4', reason: 'x' }],
          licenses: ['GPL-3.0-only'],
        },
        allow: { licenses: ['MIT', 'Apache-2.0'] },
        requireLicense: true,
        minimumElements: { minimumPercent: 90 },
        vulnerabilities: { ignore: ['CVE-1'], defaultSeverity: 'critical', uncheckableSeverity: 'low' },
      },
      null,
      2,
    );
    expect(() => parsePolicy(Buffer.from(policy), 'policy.json')).not.toThrow();
    fc.assert(
      fc.property(mutatedText(fc, policy), (mutated) => {
        parsesOrFailsLocated(() => parsePolicy(Buffer.from(mutated), 'policy.json'), 'policy.json');
      }),
      fuzzParameters(300),
    );
  });
});
