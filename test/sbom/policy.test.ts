import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { defaults } from '../../src/defaults.ts';
import { InputError } from '../../src/errors.ts';
import type { Finding } from '../../src/findings.ts';
import type { JsonValue } from '../../src/json/index.ts';
import {
  LicenseEvaluator,
  OsvDatabase,
  affectsVersion,
  checkPolicy,
  loadOsvDirectory,
  parseOsvRecord,
  parsePolicy,
  parseSbom,
  readSbomFile,
  validateSbom,
  type Sbom,
  type SbomPolicy,
} from '../../src/sbom/index.ts';
import { buildCycloneDx } from '../fixtures/sbom/build-sbom.ts';
import { FIXTURE_DIR, generateSbomFixtures } from '../fixtures/sbom/generate.ts';

beforeAll(generateSbomFixtures);

async function sbomOf(value: unknown): Promise<Sbom> {
  const result = await validateSbom(parseSbom(Buffer.from(JSON.stringify(value)), 'test.cdx.json'));
  if (!result.sbom) throw new Error('not an SBOM');
  return result.sbom;
}

function component(
  name: string,
  version: string,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return { type: 'library', name, version, 'bom-ref': `${name}@${version}`, ...extra };
}

function bom(components: Record<string, unknown>[]): Record<string, unknown> {
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.6',
    metadata: {
      timestamp: '2026-11-01T00:00:00Z',
      // A subject that passes every check, so each test is about its components.
      component: {
        type: 'application',
        name: 'acme-agent',
        version: '1',
        purl: 'pkg:generic/acme-agent@1',
        licenses: [{ license: { id: 'MIT' } }],
      },
    },
    components,
  };
}

const codes = (findings: readonly Finding[]) =>
  findings.filter((f) => f.severity !== 'info').map((f) => f.code);
const policy = (value: Omit<SbomPolicy, 'policyVersion'>): SbomPolicy => ({ policyVersion: 1, ...value });

describe('licences are evaluated as SPDX expressions', () => {
  const evaluator = new LicenseEvaluator({ deny: ['GPL-3.0-only', 'AGPL-3.0-or-later'] });
  const verdict = (expression: string) =>
    evaluator.evaluate([{ kind: 'expression', value: expression }]).kind;

  // [expression, verdict]: OR needs one permitted side, AND needs both.
  it.each([
    ['MIT', 'ok'],
    ['GPL-3.0-only', 'denied'],
    ['GPL-3.0', 'denied'], // deprecated id, same licence as GPL-3.0-only
    ['MIT OR GPL-3.0-only', 'ok'],
    ['GPL-3.0-only OR MIT', 'ok'],
    ['MIT AND GPL-3.0-only', 'denied'],
    ['(MIT OR GPL-3.0-only) AND Apache-2.0', 'ok'],
    ['(MIT AND GPL-3.0-only) OR (Apache-2.0 AND GPL-3.0-only)', 'denied'],
    ['GPL-3.0-only WITH Classpath-exception-2.0', 'denied'],
    ['GPL-3.0-or-later', 'ok'], // may be used under a later, permitted GPL
    ['AGPL-3.0+', 'denied'], // `+` is `-or-later`
    ['AGPL-3.0-only', 'ok'],
    ['LicenseRef-acme-eula', 'ok'],
    ['MIT OR', 'invalid'],
    ['Not A Licence', 'invalid'],
  ])('%s → %s', (expression, expected) => {
    expect(verdict(expression)).toBe(expected);
  });

  it('long expressions are refused before parsing, with a short reason, never a stack overflow', () => {
    // A valid 10,000-term AND overflowed the parser's stack; an 800 KB one took minutes.
    const terms = (n: number) =>
      Array.from({ length: n }, (_, i) => (i % 2 ? 'MIT' : 'Apache-2.0')).join(' AND ');
    const atCap = terms(Math.floor((defaults.maxLicenseExpressionTerms + 1) / 2));
    expect(verdict(atCap)).toBe('ok'); // up to the cap it is parsed
    for (const expression of [terms(10_000), 'MIT AND '.repeat(100_000) + 'MIT']) {
      const result = evaluator.evaluate([{ kind: 'expression', value: expression }]);
      expect(result.kind).toBe('invalid');
      expect(result.kind === 'invalid' ? result.reason : '').toMatch(/not parsed/);
    }
  });

  it('messages quote at most 200 characters of a hostile expression', async () => {
    const long = `${'MIT AND '.repeat(100_000)}MIT`;
    const sbom = await sbomOf(bom([component('x', '1.0.0', { licenses: [{ expression: long }] })]));
    const findings = checkPolicy(sbom, policy({ deny: { licenses: ['GPL-3.0-only'] } }));
    const invalid = findings.find((f) => f.code === 'SBOM_LICENSE_INVALID');
    expect(invalid).toBeDefined();
    expect(invalid?.message.length).toBeLessThan(600);
    expect(JSON.stringify(invalid?.evidence).length).toBeLessThan(600);
  });

  it('policy ids compare case-insensitively', () => {
    const upper = new LicenseEvaluator({ deny: ['gpl-3.0-ONLY'] });
    expect(upper.evaluate([{ kind: 'expression', value: 'GPL-3.0-only' }]).kind).toBe('denied');
  });

  it('an allow-list permits only listed licences', () => {
    const allow = new LicenseEvaluator({ deny: [], allow: ['MIT', 'Apache-2.0'] });
    expect(allow.evaluate([{ kind: 'expression', value: 'MIT OR BSD-3-Clause' }]).kind).toBe('ok');
    expect(allow.evaluate([{ kind: 'expression', value: 'BSD-3-Clause' }]).kind).toBe('denied');
    expect(allow.evaluate([{ kind: 'name', value: 'Acme Proprietary' }]).kind).toBe('denied');
  });

  it('several licence entries must all be satisfied', () => {
    expect(
      evaluator.evaluate([
        { kind: 'expression', value: 'MIT' },
        { kind: 'expression', value: 'GPL-3.0-only' },
      ]).kind,
    ).toBe('denied');
    expect(evaluator.evaluate([]).kind).toBe('missing');
  });

  it('produces SBOM_DENIED_LICENSE, SBOM_LICENSE_INVALID and SBOM_LICENSE_MISSING findings', async () => {
    const sbom = await sbomOf(
      bom([
        component('ok', '1.0.0', { licenses: [{ expression: 'MIT OR GPL-3.0-only' }] }),
        component('bad', '1.0.0', { licenses: [{ license: { id: 'GPL-3.0-only' } }] }),
        component('weird', '1.0.0', { licenses: [{ expression: 'MIT ANDOR BSD' }] }),
        component('none', '1.0.0'),
      ]),
    );
    const findings = checkPolicy(
      sbom,
      policy({ deny: { licenses: ['GPL-3.0-only'] }, requireLicense: true }),
    );
    expect(codes(findings).sort()).toEqual([
      'SBOM_DENIED_LICENSE',
      'SBOM_LICENSE_INVALID',
      'SBOM_LICENSE_MISSING',
    ]);
    expect(findings.find((f) => f.code === 'SBOM_DENIED_LICENSE')?.location?.pointer).toBe('/components/1');
  });
});

describe('denied components', () => {
  const components = [
    component('event-stream', '3.3.6', { purl: 'pkg:npm/event-stream@3.3.6' }),
    component('log4j-core', '2.14.1', {
      group: 'org.apache.logging.log4j',
      purl: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
    }),
    component('log4j-api', '2.17.1', {
      group: 'org.apache.logging.log4j',
      purl: 'pkg:maven/org.apache.logging.log4j/log4j-api@2.17.1',
    }),
    component('leftpad', '1.0.0'),
  ];

  it('denies by purl and by version range in the ecosystem ordering', async () => {
    const sbom = await sbomOf(bom(components));
    const findings = checkPolicy(
      sbom,
      policy({
        deny: {
          components: [
            { purl: 'pkg:npm/event-stream', reason: 'compromised in 2018' },
            { purl: 'pkg:maven/org.apache.logging.log4j/log4j-core', versions: '>=2.0-beta9 <2.17.1' },
            { purl: 'pkg:maven/org.apache.logging.log4j/log4j-api', versions: '<2.17.1' },
            { name: 'LEFTPAD' },
          ],
        },
      }),
    );
    const denied = findings
      .filter((f) => f.code === 'SBOM_DENIED_COMPONENT')
      .map((f) => f.evidence['component']);
    expect(denied).toEqual([
      'event-stream@3.3.6',
      'org.apache.logging.log4j/log4j-core@2.14.1',
      'leftpad@1.0.0',
    ]);
    expect(findings.find((f) => f.code === 'SBOM_DENIED_COMPONENT')?.message).toContain(
      'compromised in 2018',
    );
  });

  it('a version pinned in the denied purl matches only that version', async () => {
    const sbom = await sbomOf(bom(components));
    expect(
      codes(checkPolicy(sbom, policy({ deny: { components: [{ purl: 'pkg:npm/event-stream@3.3.5' }] } }))),
    ).toEqual([]);
    expect(
      codes(checkPolicy(sbom, policy({ deny: { components: [{ purl: 'pkg:npm/event-stream@3.3.6' }] } }))),
    ).toEqual(['SBOM_DENIED_COMPONENT']);
  });

  it('a version that cannot be compared is denied (fail closed)', async () => {
    const sbom = await sbomOf(bom([component('x', 'not-a-version', { purl: 'pkg:npm/x@not-a-version' })]));
    const findings = checkPolicy(
      sbom,
      policy({ deny: { components: [{ purl: 'pkg:npm/x', versions: '<2.0.0' }] } }),
    );
    expect(findings).toFailWith('SBOM_DENIED_COMPONENT');
    expect(findings.find((f) => f.code === 'SBOM_DENIED_COMPONENT')?.message).toContain('fail closed');
  });
});

describe('offline OSV matching', () => {
  let database: OsvDatabase;
  let app: Sbom;
  beforeAll(async () => {
    const loaded = await loadOsvDirectory(join(FIXTURE_DIR, 'osv'));
    expect(loaded.findings).toEqual([]);
    database = loaded.database;
    const validation = await validateSbom(await readSbomFile(join(FIXTURE_DIR, 'app.cdx.json')));
    expect(validation.valid).toBe(true);
    app = validation.sbom as Sbom;
  });

  it('finds a vulnerable transitive dependency and shows the path to it', () => {
    const findings = checkPolicy(app, policy({}), { osv: database });
    const vulnerable = findings.filter((f) => f.code === 'SBOM_VULNERABLE_COMPONENT');
    const qs = vulnerable.find((f) => f.evidence['id'] === 'GHSA-hrpp-h998-j3pp');
    expect(qs?.severity).toBe('high');
    expect(qs?.evidence['transitive']).toBe(true);
    expect(qs?.evidence['dependencyPath']).toEqual([
      'acme-agent@7.4.2',
      'express@4.17.1',
      'body-parser@1.19.0',
      'qs@6.7.0',
    ]);
    expect(qs?.message).toContain('CVE-2022-24999');
    // lodash 4.17.21 is the fixed version: not affected.
    expect(vulnerable.some((f) => f.evidence['id'] === 'GHSA-lodash-fixed')).toBe(false);
  });

  it('matches PyPI ECOSYSTEM ranges with last_affected, names normalised', () => {
    const findings = checkPolicy(app, policy({}), { osv: database });
    expect(
      findings.some(
        (f) => f.code === 'SBOM_VULNERABLE_COMPONENT' && f.evidence['id'] === 'PYSEC-2021-django',
      ),
    ).toBe(true);
  });

  it('reports components of ecosystems without an ordering instead of passing them', () => {
    const findings = checkPolicy(app, policy({}), { osv: database });
    const unchecked = findings.filter((f) => f.code === 'SBOM_VULN_UNCHECKABLE');
    expect(unchecked.map((f) => f.evidence['purlType'])).toContain('cargo');
    expect(unchecked.every((f) => f.severity === 'medium')).toBe(true);
    const relaxed = checkPolicy(app, policy({ vulnerabilities: { uncheckableSeverity: 'info' } }), {
      osv: database,
    });
    expect(
      relaxed.filter((f) => f.code === 'SBOM_VULN_UNCHECKABLE').every((f) => f.severity === 'info'),
    ).toBe(true);
  });

  it('ignores listed advisories by id or alias', () => {
    const findings = checkPolicy(
      app,
      policy({ vulnerabilities: { ignore: ['CVE-2022-24999', 'PYSEC-2021-django'] } }),
      {
        osv: database,
      },
    );
    expect(findings.filter((f) => f.code === 'SBOM_VULNERABLE_COMPONENT')).toEqual([]);
  });

  it('reports components without a purl in one finding', async () => {
    const sbom = await sbomOf(bom([component('a', '1'), component('b', '2')]));
    const findings = checkPolicy(sbom, policy({}), { osv: database });
    expect(
      findings.filter((f) => f.code === 'SBOM_VULN_UNCHECKABLE').map((f) => f.evidence['components']),
    ).toEqual([2]);
  });

  it('a malformed OSV record is a finding; the rest still load', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'osv-'));
    await mkdir(join(dir, 'sub'));
    await writeFile(
      join(dir, 'sub', 'bad.json'),
      '{"id": "X", "affected": [{"package": {"ecosystem": "npm"}}]}',
    );
    await writeFile(join(dir, 'dup.json'), '{"id": "X", "id": "Y"}');
    await writeFile(join(dir, 'ok.json'), JSON.stringify({ id: 'OK-1', affected: [] }));
    const loaded = await loadOsvDirectory(dir);
    expect(loaded.database.size).toBe(1);
    expect(loaded.findings.map((f) => f.location?.pointer).sort()).toEqual([
      '/affected/0/package/name',
      '/id',
    ]);
    await expect(loadOsvDirectory(join(dir, 'missing'))).rejects.toThrow(InputError);
  });
});

describe('OSV range evaluation', () => {
  const record = (ranges: unknown, versions: string[] = [], ecosystem = 'npm') =>
    parseOsvRecord(
      { id: 'T-1', affected: [{ package: { ecosystem, name: 'p' }, ranges, versions }] } as never,
      't.json',
    ).affected[0]!;
  const affects = (affected: ReturnType<typeof record>, version: string) =>
    affectsVersion(affected, version).kind;

  // [events, version, expected]: introduced is inclusive, fixed exclusive, last_affected inclusive.
  it.each([
    [[{ introduced: '0' }, { fixed: '1.2.3' }], '1.2.2', 'affected'],
    [[{ introduced: '0' }, { fixed: '1.2.3' }], '1.2.3', 'unaffected'],
    [[{ introduced: '1.0.0' }, { fixed: '1.2.3' }], '0.9.0', 'unaffected'],
    [[{ introduced: '1.0.0' }, { fixed: '1.2.3' }], '1.0.0', 'affected'],
    [[{ introduced: '1.0.0' }, { last_affected: '1.2.3' }], '1.2.3', 'affected'],
    [[{ introduced: '1.0.0' }, { last_affected: '1.2.3' }], '1.2.4', 'unaffected'],
    [[{ introduced: '1.0.0' }], '99.0.0', 'affected'],
    // Two intervals, events out of order: [1.0.0, 1.1.0) and [2.0.0, 2.0.5)
    [
      [{ fixed: '2.0.5' }, { introduced: '2.0.0' }, { introduced: '1.0.0' }, { fixed: '1.1.0' }],
      '1.5.0',
      'unaffected',
    ],
    [
      [{ fixed: '2.0.5' }, { introduced: '2.0.0' }, { introduced: '1.0.0' }, { fixed: '1.1.0' }],
      '2.0.4',
      'affected',
    ],
    [[{ introduced: '1.0.0' }, { fixed: '1.2.3' }], '1.1.0-beta.1', 'affected'],
    [[{ introduced: '0' }, { fixed: '1.2.3' }], 'garbage', 'undecidable'],
  ])('SEMVER %j at %s → %s', (events, version, expected) => {
    expect(affects(record([{ type: 'SEMVER', events }]), version)).toBe(expected);
  });

  it('ECOSYSTEM ranges use the ecosystem ordering (Maven, PyPI, NuGet, Go)', () => {
    const maven = record(
      [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0-beta9' }, { fixed: '2.15.0' }] }],
      [],
      'Maven',
    );
    expect(affects(maven, '2.14.1')).toBe('affected');
    expect(affects(maven, '2.0-alpha1')).toBe('unaffected');
    expect(affects(maven, '2.15.0')).toBe('unaffected');
    const pypi = record(
      [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }],
      [],
      'PyPI',
    );
    expect(affects(pypi, '2.0.0rc1')).toBe('affected');
    expect(affects(pypi, '2.0.0.post1')).toBe('unaffected');
    const nuget = record(
      [{ type: 'ECOSYSTEM', events: [{ introduced: '1.0' }, { fixed: '1.0.0.5' }] }],
      [],
      'NuGet',
    );
    expect(affects(nuget, '1.0.0.4')).toBe('affected');
    const go = record([{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '0.1.0' }] }], [], 'Go');
    expect(affects(go, 'v0.0.0-20191109021931-daa7c04131f5')).toBe('affected');
  });

  it('explicit versions match in any ecosystem; ranges of unknown ecosystems are undecidable', () => {
    const crate = record(
      [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.0.1' }] }],
      ['0.9.0'],
      'crates.io',
    );
    expect(affects(crate, '0.9.0')).toBe('affected');
    expect(affects(crate, '1.0.0')).toBe('undecidable');
  });

  // [ecosystem, listed, version, expected]: a `versions` list compares by the ecosystem's rules.
  it.each([
    ['PyPI', '4.2', '4.2.0', 'affected'], // PEP 440: trailing zeros of the release are insignificant
    ['PyPI', '4.2.0', '4.2', 'affected'],
    ['PyPI', '1.0-1', '1.0.post1', 'affected'], // PEP 440 normalisation
    ['PyPI', '2.0RC1', '2.0rc1', 'affected'],
    ['PyPI', '4.2', '4.2.1', 'unaffected'],
    ['PyPI', '4.2', '4.2.0.post1', 'unaffected'],
    ['npm', '1.2.3', '1.2.3+build.7', 'affected'], // SemVer: build metadata has no precedence
    ['npm', '1.2.3', '1.2.3-rc.1', 'unaffected'],
    ['Maven', '2.0', '2.0.0', 'affected'], // ComparableVersion
    ['NuGet', '1.0', '1.0.0.0', 'affected'],
    ['Go', 'v1.2.0', 'v1.2.0', 'affected'],
    ['crates.io', '0.9', '0.9.0', 'unaffected'], // no ordering here: exact strings only
    ['crates.io', '0.9.0', '0.9.0', 'affected'],
  ])('%s versions list [%s] at %s → %s', (ecosystem, listed, version, expected) => {
    expect(affects(record([], [listed], ecosystem), version)).toBe(expected);
  });

  it('skips withdrawn records and commit-only entries', () => {
    const database = new OsvDatabase();
    const record = (extra: Record<string, string>) =>
      parseOsvRecord(
        JSON.parse(
          JSON.stringify({
            id: 'W-1',
            affected: [
              { ranges: [{ type: 'GIT', events: [{ introduced: 'abc' }] }] },
              { package: { ecosystem: 'npm', name: 'w' }, versions: ['1.0.0'] },
            ],
            ...extra,
          }),
        ) as JsonValue,
        'w.json',
      );
    expect(record({}).affected).toHaveLength(1);
    database.add(record({ withdrawn: '2026-01-01T00:00:00Z' }));
    expect(database.lookup('npm', 'w')).toEqual([]);
    database.add(record({}));
    expect(database.lookup('npm', 'w')).toHaveLength(1);
  });

  it('rejects malformed records with a pointer', () => {
    const twoKeys = JSON.parse(
      '{"id":"X","affected":[{"package":{"ecosystem":"npm","name":"p"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0","fixed":"1"}]}]}]}',
    ) as JsonValue;
    expect(() => parseOsvRecord(twoKeys, 'r.json')).toThrow(/events\/0/);
    expect(() => parseOsvRecord([], 'r.json')).toThrow(InputError);
  });
});

describe('policy file', () => {
  const parse = (text: string) => parsePolicy(Buffer.from(text), 'policy.json');

  it('accepts the documented format', () => {
    const parsed = parse(
      JSON.stringify({
        policyVersion: 1,
        deny: {
          components: [{ purl: 'pkg:npm/event-stream', versions: '>=3.3.6 <4', reason: 'x' }],
          licenses: ['GPL-3.0-only'],
        },
        allow: { licenses: ['MIT'] },
        requireLicense: true,
        minimumElements: { minimumPercent: 90 },
        vulnerabilities: { ignore: ['CVE-1'], defaultSeverity: 'critical', uncheckableSeverity: 'low' },
      }),
    );
    expect(parsed.deny?.licenses).toEqual(['GPL-3.0-only']);
  });

  it.each([
    ['{}', 'missing required field "policyVersion"'],
    ['{"policyVersion": 2}', 'expected 1'],
    ['{"policyVersion": 1, "deny": {"licences": []}}', 'unknown field "licences"'],
    ['{"policyVersion": 1, "deny": {"components": [{"purl": "npm/x"}]}}', 'matching ^pkg:, found "npm/x"'],
    [
      '{"policyVersion": 1, "deny": {"components": [{"purl": "pkg:npm/x", "versions": ">> 1"}]}}',
      'version range',
    ],
    ['{"policyVersion": 1, "policyVersion": 1}', 'duplicate key'],
  ])('rejects %s', (text, message) => {
    expect(() => parse(text)).toThrow(message);
  });

  it('enforces a minimum NTIA coverage', async () => {
    const sbom = await sbomOf(
      bom([component('a', '1'), component('b', '2', { purl: 'pkg:npm/b@2', supplier: { name: 'B' } })]),
    );
    expect(codes(checkPolicy(sbom, policy({ minimumElements: { minimumPercent: 50 } })))).toEqual([]);
    expect(codes(checkPolicy(sbom, policy({ minimumElements: { minimumPercent: 95 } })))).toContain(
      'SBOM_NTIA_ELEMENT_MISSING',
    );
  });
});

describe('generated SBOMs with hundreds of components', () => {
  it('checks 600 components against a policy and OSV data', async () => {
    const sbom = await sbomOf(buildCycloneDx('1.6', { components: 600 }));
    const database = new OsvDatabase();
    // generated npm components are pkg0, pkg5, pkg10...; versions (i%7+1).(i%13).(i%5)
    database.add(
      parseOsvRecord(
        {
          id: 'GEN-1',
          affected: [
            {
              package: { ecosystem: 'npm', name: 'pkg10' },
              ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }] }],
            },
          ],
        },
        'gen.json',
      ),
    );
    const findings = checkPolicy(sbom, policy({ deny: { licenses: ['BSD-2-Clause'] } }), { osv: database });
    expect(findings.filter((f) => f.code === 'SBOM_DENIED_LICENSE')).toHaveLength(100);
    expect(
      findings.filter((f) => f.code === 'SBOM_VULNERABLE_COMPONENT').map((f) => f.evidence['purl']),
    ).toEqual(['pkg:npm/pkg10@4.10.0']);
  });
});

describe("the SBOM's subject is a component for every check", () => {
  // Typed as unknown first: as a JsonValue literal, `fixed` reads as the deprecated String method.
  const json = (value: unknown): JsonValue => value as JsonValue;
  const database = new OsvDatabase();
  database.add(
    parseOsvRecord(
      json({
        id: 'GHSA-jf85-cpcp-j695',
        aliases: ['CVE-2019-10744'],
        affected: [
          {
            package: { ecosystem: 'npm', name: 'lodash' },
            ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '4.17.12' }] }],
          },
        ],
      }),
      'lodash.json',
    ),
  );
  database.add(
    parseOsvRecord(
      json({
        id: 'GHSA-jfh8-c2jp-5v3q',
        aliases: ['CVE-2021-44228'],
        affected: [
          {
            package: { ecosystem: 'Maven', name: 'org.apache.logging.log4j:log4j-core' },
            ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '2.0-beta9' }, { fixed: '2.15.0' }] }],
          },
        ],
      }),
      'log4j.json',
    ),
  );
  const strict = policy({
    deny: { licenses: ['AGPL-3.0-or-later'], components: [{ purl: 'pkg:npm/lodash', versions: '<4.17.21' }] },
  });

  it('a CycloneDX metadata.component is checked against OSV, denied components and licences', async () => {
    const sbom = await sbomOf({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      metadata: {
        component: {
          type: 'library',
          'bom-ref': 'lodash',
          name: 'lodash',
          version: '4.17.11',
          purl: 'pkg:npm/lodash@4.17.11',
          licenses: [{ license: { id: 'AGPL-3.0-or-later' } }],
        },
      },
      components: [],
    });
    const findings = checkPolicy(sbom, strict, { osv: database });
    expect(codes(findings).sort()).toEqual([
      'SBOM_DENIED_COMPONENT',
      'SBOM_DENIED_LICENSE',
      'SBOM_VULNERABLE_COMPONENT',
    ]);
    expect(findings.find((f) => f.code === 'SBOM_VULNERABLE_COMPONENT')?.location?.pointer).toBe(
      '/metadata/component',
    );
  });

  it('an SPDX document that marks every package as described still has them all checked', async () => {
    const spdx = {
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: 'all-described',
      documentNamespace: 'https://example.test/all-described',
      creationInfo: { created: '2026-11-01T00:00:00Z', creators: ['Tool: generator-1'] },
      documentDescribes: ['SPDXRef-app', 'SPDXRef-log4j'],
      packages: [
        {
          SPDXID: 'SPDXRef-app',
          name: 'app',
          versionInfo: '1.0.0',
          supplier: 'Organization: Acme',
          downloadLocation: 'NOASSERTION',
          externalRefs: [
            {
              referenceCategory: 'PACKAGE-MANAGER',
              referenceType: 'purl',
              referenceLocator: 'pkg:npm/app@1.0.0',
            },
          ],
        },
        {
          SPDXID: 'SPDXRef-log4j',
          name: 'log4j-core',
          versionInfo: '2.14.1',
          supplier: 'Organization: Apache',
          downloadLocation: 'NOASSERTION',
          externalRefs: [
            {
              referenceCategory: 'PACKAGE-MANAGER',
              referenceType: 'purl',
              referenceLocator: 'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
            },
          ],
        },
      ],
      relationships: [
        { spdxElementId: 'SPDXRef-app', relationshipType: 'DEPENDS_ON', relatedSpdxElement: 'NONE' },
      ],
    };
    const validation = await validateSbom(parseSbom(Buffer.from(JSON.stringify(spdx)), 'all.spdx.json'));
    expect(validation.valid).toBe(true);
    const sbom = validation.sbom as Sbom;
    expect(sbom.components).toHaveLength(0);
    const findings = checkPolicy(sbom, policy({}), { osv: database });
    const vulnerable = findings.filter((f) => f.code === 'SBOM_VULNERABLE_COMPONENT');
    expect(vulnerable.map((f) => f.evidence['id'])).toEqual(['GHSA-jfh8-c2jp-5v3q']);
    expect(vulnerable[0]?.location?.pointer).toBe('/packages/1');
    const summary = findings.find((f) => f.code === 'SBOM_NTIA_SUMMARY');
    expect(summary?.evidence['components']).toBe(2);
  });
});
