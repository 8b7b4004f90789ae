import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { ManifestError } from '../../src/manifest/errors.ts';
import { parseManifest } from '../../src/manifest/load.ts';
import { manifestSchemaDocument, trustRootSchemaDocument } from '../../src/manifest/schema-document.ts';
import { baseManifest } from '../helpers/signed-manifest.ts';
import { fuzzParameters } from '../helpers/fuzz.ts';

const artifact = {
  name: 'acme-agent-7.4.2-x64.msi',
  platform: 'windows-x64',
  size: 10,
  digests: { sha256: 'a'.repeat(64) },
};
const valid = { ...baseManifest(), releases: [{ version: '7.4.2', artifacts: [artifact] }] };
const text = (value: unknown) => Buffer.from(JSON.stringify(value, null, 2));
const parse = (bytes: Buffer) => () => parseManifest(bytes, 'acme.json');

/** Mutations of a valid manifest; each must fail, naming the pointer and what was expected. */
const MALFORMED: readonly [
  label: string,
  mutate: (m: Record<string, unknown>) => unknown,
  pointer: string,
  expected: RegExp,
][] = [
  ['unknown top-level field', (m) => ({ ...m, extra: 1 }), '/extra', /unknown field "extra"/],
  ['missing product', ({ product: _p, ...m }) => m, '', /missing required field "product"/],
  ['schema version 2', (m) => ({ ...m, schema: 2 }), '/schema', /expected 1/],
  ['negative serial', (m) => ({ ...m, serial: -1 }), '/serial', /found number -1/],
  ['fractional serial', (m) => ({ ...m, serial: 1.5 }), '/serial', /expected integer/],
  ['invalid issued date', (m) => ({ ...m, issued: '2026-13-01' }), '/issued', /RFC 3339/],
  ['date without time zone', (m) => ({ ...m, expires: '2026-12-31T00:00:00' }), '/expires', /RFC 3339/],
  ['expires before issued', (m) => ({ ...m, expires: '2026-01-01T00:00:00Z' }), '/expires', /after issued/],
  // A leap second has no instant in JavaScript time: it parsed to NaN, so the manifest never expired.
  ['leap-second expires', (m) => ({ ...m, expires: '2026-12-31T23:59:60Z' }), '/expires', /RFC 3339/],
  ['leap-second issued', (m) => ({ ...m, issued: '2026-06-30T23:59:60Z' }), '/issued', /RFC 3339/],
  ['February 30', (m) => ({ ...m, expires: '2027-02-30T00:00:00Z' }), '/expires', /RFC 3339/],
  ['offset hour 24', (m) => ({ ...m, expires: '2026-12-31T00:00:00+24:00' }), '/expires', /RFC 3339/],
  [
    'invalid target version',
    (m) => ({ ...m, policy: { target: '7.four' } }),
    '/policy/target',
    /expected a semver version such as 7\.4\.2, found '7\.four'/,
  ],
  [
    'four-part target in a semver manifest',
    (m) => ({ ...m, policy: { target: '7.4.2.1234' } }),
    '/policy/target',
    /expected a semver version such as 7\.4\.2, found '7\.4\.2\.1234'/,
  ],
  [
    'pre-release target in a windows manifest',
    (m) => ({ ...m, versionScheme: 'windows', policy: { target: '7.4.2-rc.1' } }),
    '/policy/target',
    /expected a windows version such as 7\.4\.2\.1234/,
  ],
  [
    'semver range in a windows manifest',
    (m) => ({ ...m, versionScheme: 'windows', policy: { target: '7.4.2.1', revoked: ['^7.3.0'] } }),
    '/policy/revoked/0',
    /expected a windows version or range/,
  ],
  [
    'release version that is not Debian',
    (m) => ({
      ...m,
      versionScheme: 'debian',
      policy: { target: '7.4.2-1' },
      releases: [{ version: '7.4.2_1', artifacts: [artifact] }],
    }),
    '/releases/0/version',
    /expected a debian version/,
  ],
  ['unknown version scheme', (m) => ({ ...m, versionScheme: 'calver' }), '/versionScheme', /one of/],
  [
    'one release in two spellings',
    (m) => ({
      ...m,
      releases: [
        { version: '7.4.2', artifacts: [artifact] },
        { version: 'v7.4.2', artifacts: [artifact] },
      ],
    }),
    '/releases/1/version',
    /listed twice/,
  ],
  [
    'invalid minimum range',
    (m) => ({ ...m, policy: { target: '7.4.2', minimum: '>=banana' } }),
    '/policy/minimum',
    /version or range/,
  ],
  [
    'invalid revoked range',
    (m) => ({ ...m, policy: { target: '7.4.2', revoked: ['7.3.0', 'seven'] } }),
    '/policy/revoked/1',
    /version or range/,
  ],
  [
    'short sha256',
    (m) => withArtifact(m, { digests: { sha256: 'a'.repeat(63) } }),
    '/releases/0/artifacts/0/digests/sha256',
    /expected 64 lower-case hex characters, found .*\(63 characters\)/,
  ],
  [
    'upper-case sha256',
    (m) => withArtifact(m, { digests: { sha256: 'A'.repeat(64) } }),
    '/releases/0/artifacts/0/digests/sha256',
    /64 lower-case hex/,
  ],
  [
    'unknown digest algorithm',
    (m) => withArtifact(m, { digests: { md5: 'a'.repeat(32) } }),
    '/releases/0/artifacts/0/digests/md5',
    /unknown field "md5"/,
  ],
  ['no digests', (m) => withArtifact(m, { digests: {} }), '/releases/0/artifacts/0/digests', /fewer than 1/],
  [
    'size as string',
    (m) => withArtifact(m, { size: '10' }),
    '/releases/0/artifacts/0/size',
    /expected integer, found "10"/,
  ],
  [
    'name with a slash',
    (m) => withArtifact(m, { name: '../evil.msi' }),
    '/releases/0/artifacts/0/name',
    /matching/,
  ],
  [
    'null minimum',
    (m) => ({ ...m, policy: { target: '7.4.2', minimum: null } }),
    '/policy/minimum',
    /found null/,
  ],
  [
    'duplicate release version',
    (m) => ({ ...m, releases: [...(m['releases'] as unknown[]), ...(m['releases'] as unknown[])] }),
    '/releases/1/version',
    /listed twice/,
  ],
  [
    'release without artifacts',
    (m) => ({ ...m, releases: [{ version: '7.4.2', artifacts: [] }] }),
    '/releases/0/artifacts',
    /at least one artifact/,
  ],
  ['product with spaces', (m) => ({ ...m, product: 'Acme Agent' }), '/product', /matching/],
];

function withArtifact(m: Record<string, unknown>, change: Record<string, unknown>): unknown {
  return { ...m, releases: [{ version: '7.4.2', artifacts: [{ ...artifact, ...change }] }] };
}

describe('parseManifest', () => {
  it('accepts a valid manifest and returns its typed value', () => {
    const manifest = parseManifest(text(valid), 'acme.json');
    expect(manifest.product).toBe('acme-agent');
    expect(manifest.releases[0]?.artifacts[0]?.digests.sha256).toBe('a'.repeat(64));
  });

  it('accepts the shipped example manifest', () => {
    const path = fileURLToPath(new URL('../../manifests/acme-agent.example.json', import.meta.url));
    expect(parseManifest(readFileSync(path), path).serial).toBe(42);
  });

  it.each(MALFORMED)('rejects %s at its JSON pointer', (_label, mutate, pointer, expected) => {
    const run = parse(text(mutate(valid)));
    expect(run).toThrow(ManifestError);
    try {
      run();
    } catch (error: unknown) {
      const e = error as ManifestError;
      expect(e.location.pointer).toBe(pointer);
      expect(e.location.file).toBe('acme.json');
      expect(e.message).toMatch(expected);
    }
  });

  it('gives line and column of the offending value', () => {
    const bytes = text(withArtifact(valid, { size: -5 }));
    try {
      parseManifest(bytes, 'acme.json');
      expect.unreachable();
    } catch (error: unknown) {
      const e = error as ManifestError;
      const lines = bytes.toString().split('\n');
      expect(lines[(e.location.line ?? 0) - 1]).toContain('"size": -5');
      expect(e.message).toMatch(/^acme\.json:\d+:\d+ at \/releases\/0\/artifacts\/0\/size: /);
    }
  });

  it('rejects duplicate keys, which other parsers would resolve differently', () => {
    const bytes = Buffer.from(text(valid).toString().replace('"serial": 5', '"serial": 5, "serial": 99'));
    expect(parse(bytes)).toThrow(/duplicate key "serial"/);
  });

  it.each([
    ['truncated JSON', Buffer.from('{"schema": 1, "product": "acme'), /unterminated string/],
    ['not JSON', Buffer.from('product: acme'), /expected a JSON value/],
    ['trailing data', Buffer.from(`${text(valid).toString()} {}`), /unexpected data after/],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), /not valid UTF-8/],
    ['an array instead of an object', Buffer.from('[]'), /expected object/],
    ['deep nesting', Buffer.from(`${'['.repeat(100)}${']'.repeat(100)}`), /nesting deeper than 64/],
    ['over the size cap', Buffer.alloc((4 << 20) + 1, 0x20), /larger than the limit/],
  ])('rejects %s as an input error', (_label, bytes, expected) => {
    expect(parse(bytes)).toThrow(expected);
  });

  it('fuzz: never throws anything but a located ManifestError/InputError on arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          parseManifest(bytes, 'fuzz.json');
        } catch (error: unknown) {
          expect((error as { code?: string }).code).toMatch(/^(MANIFEST_INVALID|INPUT_MALFORMED_JSON)$/);
          expect((error as Error).message).toContain('fuzz.json');
        }
      }),
      fuzzParameters(300),
    );
  });
});

describe('manifest JSON Schema file', () => {
  it('manifests/schema/manifest.schema.json is generated from the typed schema (npm run schema)', () => {
    const path = fileURLToPath(new URL('../../manifests/schema/manifest.schema.json', import.meta.url));
    expect(readFileSync(path, 'utf8')).toBe(manifestSchemaDocument());
  });

  it('manifests/schema/trust-root.schema.json is generated from the typed trust-root schema (npm run schema)', () => {
    const path = fileURLToPath(new URL('../../manifests/schema/trust-root.schema.json', import.meta.url));
    expect(readFileSync(path, 'utf8')).toBe(trustRootSchemaDocument());
  });
});
