import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { InputError } from '../../src/errors.ts';
import { parseSbom, readSbomFile, validateSbom } from '../../src/sbom/index.ts';
import { firstDuplicate } from '../../src/sbom/validate.ts';
import { buildCycloneDx, buildSpdx } from '../fixtures/sbom/build-sbom.ts';
import { FIXTURE_DIR, generateSbomFixtures } from '../fixtures/sbom/generate.ts';

beforeAll(generateSbomFixtures);

const encode = (value: unknown): Uint8Array => Buffer.from(JSON.stringify(value, null, 2));
const validate = async (value: unknown, file = 'test.json') => validateSbom(parseSbom(encode(value), file));

describe('valid documents of every supported version', () => {
  // Each fixture has 300 components, nested dependencies and complete NTIA elements.
  it.each(['cdx-1.4.json', 'cdx-1.5.json', 'cdx-1.6.json', 'spdx-2.3.json'])('%s validates', async (name) => {
    const document = await readSbomFile(join(FIXTURE_DIR, name));
    const result = await validateSbom(document);
    expect(result.findings).toEqual([]);
    expect(result.valid).toBe(true);
    expect(result.sbom?.components).toHaveLength(300);
    expect(result.sbom?.subjects.map((s) => s.name)).toEqual(['acme-agent']);
  });

  it('identifies format and version and hashes the exact bytes', async () => {
    const bytes = await readFile(join(FIXTURE_DIR, 'cdx-1.5.json'));
    const document = parseSbom(bytes, 'x.json');
    expect(document.kind).toEqual({ format: 'cyclonedx', specVersion: '1.5' });
    const { createHash } = await import('node:crypto');
    expect(document.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  it('accepts a minimal CycloneDX document without components', async () => {
    const result = await validate({ bomFormat: 'CycloneDX', specVersion: '1.6', version: 1 });
    expect(result.valid).toBe(true);
  });
});

describe('schema errors are findings with JSON pointers', () => {
  it('reports a wrong type at its pointer and line', async () => {
    const doc = buildCycloneDx('1.6', { components: 3 });
    (doc['components'] as Record<string, unknown>[])[1]!['version'] = 42;
    const result = await validate(doc);
    expect(result.findings).toFailWith('SBOM_SCHEMA_INVALID');
    const error = result.findings.find((f) => f.code === 'SBOM_SCHEMA_INVALID');
    expect(error?.location?.pointer).toBe('/components/1/version');
    expect(error?.message).toContain('expected string, found number 42');
    expect(error?.location?.line).toBeGreaterThan(1);
  });

  it('reports an unknown top-level field (additionalProperties)', async () => {
    const result = await validate({ bomFormat: 'CycloneDX', specVersion: '1.4', version: 1, extra: true });
    expect(result.findings.map((f) => f.location?.pointer)).toContain('/extra');
  });

  it('reports a field that is valid in 1.6 but not in 1.4', async () => {
    // metadata.manufacturer was added in CycloneDX 1.6
    const base = { bomFormat: 'CycloneDX', version: 1, metadata: { manufacturer: { name: 'Acme' } } };
    expect((await validate({ ...base, specVersion: '1.6' })).valid).toBe(true);
    expect((await validate({ ...base, specVersion: '1.4' })).findings).toFailWith('SBOM_SCHEMA_INVALID');
  });

  it('rejects an invalid enum value and a bad date-time', async () => {
    const doc = buildCycloneDx('1.5', { components: 2 });
    (doc['components'] as Record<string, unknown>[])[0]!['type'] = 'gadget';
    (doc['metadata'] as Record<string, unknown>)['timestamp'] = 'yesterday';
    const pointers = (await validate(doc)).findings.map((f) => f.location?.pointer);
    expect(pointers).toContain('/components/0/type');
    expect(pointers).toContain('/metadata/timestamp');
  });

  it('caps the number of schema errors reported', async () => {
    const doc = buildCycloneDx('1.6', { components: 500 });
    for (const c of doc['components'] as Record<string, unknown>[]) c['version'] = 1;
    const result = await validateSbom(parseSbom(encode(doc), 'many.json'), { maxErrors: 10 });
    const schema = result.findings.filter((f) => f.code === 'SBOM_SCHEMA_INVALID');
    expect(schema).toHaveLength(11);
    expect(schema.at(-1)?.message).toContain('490 more');
  });

  it('rejects SPDX documents missing required fields or with wrong values', async () => {
    const doc = buildSpdx({ components: 2 });
    delete doc['creationInfo'];
    doc['dataLicense'] = 'MIT';
    const relationships = doc['relationships'] as Record<string, unknown>[];
    relationships[1]!['relationshipType'] = 'LIKES';
    const pointers = (await validate(doc)).findings.map((f) => `${f.code} ${f.location?.pointer ?? ''}`);
    expect(pointers).toContain('SBOM_SCHEMA_INVALID ');
    expect(pointers).toContain('SBOM_SCHEMA_INVALID /dataLicense');
    expect(pointers).toContain('SBOM_SCHEMA_INVALID /relationships/1/relationshipType');
  });

  it('rejects an SPDX checksum that is not hex', async () => {
    const doc = buildSpdx({ components: 1 });
    ((doc['packages'] as Record<string, unknown>[])[1]!['checksums'] as Record<string, unknown>[])[0]![
      'checksumValue'
    ] = 'zz';
    expect((await validate(doc)).findings.map((f) => f.location?.pointer)).toContain(
      '/packages/1/checksums/0/checksumValue',
    );
  });
});

describe("uniqueItems (checked in one pass instead of ajv's pairwise comparison)", () => {
  it('reports duplicate items at the array pointer', async () => {
    const result = await validate({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      components: [
        { type: 'library', name: 'same', licenses: [{ license: { id: 'MIT' } }] },
        { licenses: [{ license: { id: 'MIT' } }], name: 'same', type: 'library' }, // same value, other key order
      ],
      dependencies: [{ ref: 'x', dependsOn: ['y', 'y'] }],
    });
    const errors = result.findings.filter((f) => f.code === 'SBOM_SCHEMA_INVALID');
    expect(errors.map((f) => f.location?.pointer)).toEqual(['/components', '/dependencies/0/dependsOn']);
    expect(errors[0]?.message).toContain('item 1 repeats an earlier one');
  });

  it('agrees with deep equality on generated arrays', () => {
    const values = [
      { a: 1, b: [1, 2] },
      { b: [1, 2], a: 1 },
      { a: 1, b: [2, 1] },
      { a: 1.0, b: [1, 2], c: null },
      { 'bom-ref': 'x', n: 1 },
      { 'bom-ref': 'x', n: 2 },
      [1, { x: 'y' }],
      [1, { x: 'z' }],
      'a',
      1,
      true,
      null,
    ];
    for (let i = 0; i < values.length; i++) {
      for (let j = 0; j < values.length; j++) {
        const equal = i === j || (i < 2 && j < 2);
        expect(firstDuplicate([values[i], values[j]]), `${i} ${j}`).toBe(equal ? 1 : -1);
      }
    }
    expect(firstDuplicate([])).toBe(-1);
    expect(firstDuplicate([{ a: 1 }, { a: 2 }, { a: 1 }])).toBe(2);
  });

  it('reads each item a bounded number of times when many share one bom-ref (linear, not pairwise)', () => {
    // Counts property reads instead of timing: comparing each item with every earlier one of its
    // bucket read 2,000 items about 2,000,000 times each way (5.7 s in a real SBOM).
    let reads = 0;
    const counted = (i: number): object =>
      new Proxy(
        { 'bom-ref': 'same', type: 'library', name: `c${i}`, version: '1.0.0' },
        {
          get(target, key, receiver) {
            reads++;
            return Reflect.get(target, key, receiver) as unknown;
          },
        },
      );
    for (const n of [200, 2_000]) {
      reads = 0;
      const items = Array.from({ length: n }, (_, i) => counted(i));
      expect(firstDuplicate(items)).toBe(-1);
      expect(reads).toBeLessThanOrEqual(n * 10);
      items.push(counted(n - 1));
      expect(firstDuplicate(items)).toBe(n);
    }
  });
});

describe('identifiers and references', () => {
  it('reports duplicate bom-refs, also in nested components', async () => {
    const doc = buildCycloneDx('1.6', { components: 3 });
    const components = doc['components'] as Record<string, unknown>[];
    components[2]!['components'] = [{ type: 'library', name: 'inner', 'bom-ref': components[0]!['bom-ref'] }];
    const result = await validate(doc);
    expect(result.findings).toFailWith('SBOM_DUPLICATE_REF');
    expect(result.findings.find((f) => f.code === 'SBOM_DUPLICATE_REF')?.location?.pointer).toBe(
      '/components/2/components/0/bom-ref',
    );
    expect(result.sbom?.components).toHaveLength(4);
  });

  it('reports dependencies on unknown bom-refs', async () => {
    const doc = buildCycloneDx('1.5', { components: 2 });
    (doc['dependencies'] as Record<string, unknown>[]).push({ ref: 'ghost', dependsOn: ['phantom'] });
    const result = await validate(doc);
    expect(
      result.findings.filter((f) => f.code === 'SBOM_UNKNOWN_REF').map((f) => f.location?.pointer),
    ).toEqual(['/dependencies/3/ref', '/dependencies/3/dependsOn/0']);
  });

  it('reports duplicate SPDXIDs and relationships to unknown elements', async () => {
    const doc = buildSpdx({ components: 2 });
    const packages = doc['packages'] as Record<string, unknown>[];
    packages[2]!['SPDXID'] = packages[1]!['SPDXID'];
    (doc['relationships'] as Record<string, unknown>[]).push({
      spdxElementId: 'SPDXRef-Package-0',
      relationshipType: 'DEPENDS_ON',
      relatedSpdxElement: 'SPDXRef-nowhere',
    });
    const result = await validate(doc);
    expect(result.findings).toFailWith('SBOM_DUPLICATE_REF');
    expect(result.findings).toFailWith('SBOM_UNKNOWN_REF');
  });

  it('finds the SPDX subject through a DESCRIBES relationship when documentDescribes is absent', async () => {
    const doc = buildSpdx({ components: 2 });
    delete doc['documentDescribes'];
    const result = await validate(doc);
    expect(result.valid).toBe(true);
    expect(result.sbom?.subjects.map((s) => s.name)).toEqual(['acme-agent']);
  });
});

describe('unsupported documents are findings, not crashes', () => {
  it.each([
    [{ bomFormat: 'CycloneDX', specVersion: '1.3' }, 'specVersion "1.3"'],
    [{ bomFormat: 'SWID', specVersion: '1.6' }, 'bomFormat is "SWID"'],
    [{ spdxVersion: 'SPDX-2.2' }, 'SPDX-2.2'],
    [{ hello: 'world' }, 'neither'],
    [[1, 2, 3], 'not a JSON object'],
  ])('%j', async (value, reason) => {
    const result = await validate(value);
    expect(result.findings).toFailWith('SBOM_UNSUPPORTED_FORMAT');
    expect(result.findings[0]?.message).toContain(reason);
  });

  it('wrong types everywhere do not crash normalisation', async () => {
    const result = await validate({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      metadata: { component: 'x', authors: 7, tools: { components: 'no' } },
      components: [null, 1, 'a', [], { name: 5, licenses: 'MIT', hashes: [null] }],
      dependencies: 'none',
    });
    expect(result.findings).toFailWith('SBOM_SCHEMA_INVALID');
    expect(result.sbom?.components).toHaveLength(1);
  });
});

describe('hostile input is an input error (exit 2), never a crash', () => {
  const expectInputError = (fn: () => unknown, code: string, text: string) => {
    let error: unknown;
    try {
      fn();
    } catch (e: unknown) {
      error = e;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).code).toBe(code);
    expect((error as InputError).message).toContain(text);
  };

  it('duplicate keys', () => {
    expectInputError(
      () =>
        parseSbom(
          Buffer.from('{"bomFormat":"CycloneDX","specVersion":"1.6","specVersion":"1.4"}'),
          'dup.json',
        ),
      'INPUT_MALFORMED_JSON',
      'duplicate key "specVersion"',
    );
  });

  it('deep nesting', () => {
    const deep = `{"bomFormat":"CycloneDX","specVersion":"1.6","components":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    expectInputError(
      () => parseSbom(Buffer.from(deep), 'deep.json'),
      'INPUT_MALFORMED_JSON',
      'nesting deeper',
    );
  });

  it('huge arrays beyond the limit', () => {
    const doc = `{"bomFormat":"CycloneDX","specVersion":"1.6","components":[${Array(1001).fill('{}').join(',')}]}`;
    expectInputError(
      () => parseSbom(Buffer.from(doc), 'wide.json', { maxArrayLength: 1000 }),
      'INPUT_MALFORMED_JSON',
      'array longer than 1000',
    );
  });

  it('files over the size cap', async () => {
    await expect(readSbomFile(join(FIXTURE_DIR, 'cdx-1.6.json'), { maxBytes: 1000 })).rejects.toThrow(
      /larger than the limit of 1000 bytes/,
    );
    expectInputError(
      () => parseSbom(new Uint8Array(2000), 'big.json', { maxBytes: 1000 }),
      'INPUT_TOO_LARGE',
      '1000',
    );
  });

  it('truncated, non-JSON and non-UTF-8 input', async () => {
    const bytes = await readFile(join(FIXTURE_DIR, 'cdx-1.4.json'));
    expectInputError(() => parseSbom(bytes.subarray(0, 500), 't.json'), 'INPUT_MALFORMED_JSON', 't.json');
    expectInputError(() => parseSbom(Buffer.from('<bom/>'), 'x.xml'), 'INPUT_MALFORMED_JSON', 'x.xml');
    expectInputError(
      () => parseSbom(Buffer.from([0x7b, 0xff, 0x7d]), 'bin.json'),
      'INPUT_MALFORMED_JSON',
      'UTF-8',
    );
  });

  it('unreadable paths', async () => {
    await expect(readSbomFile(join(FIXTURE_DIR, 'no-such.json'))).rejects.toThrow(InputError);
    await expect(readSbomFile(FIXTURE_DIR)).rejects.toThrow(/not a regular file/);
  });

  it('a __proto__ key stays data', async () => {
    const result = await validate({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      ['__proto__']: { polluted: 1 },
    });
    expect(result.findings.map((f) => f.location?.pointer)).toContain('/__proto__');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });
});
