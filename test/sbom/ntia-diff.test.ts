import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import {
  checkMinimumElements,
  diffSboms,
  parseSbom,
  readSbomFile,
  renderDiff,
  validateSbom,
  type Sbom,
} from '../../src/sbom/index.ts';
import { FIXTURE_DIR, generateSbomFixtures } from '../fixtures/sbom/generate.ts';

beforeAll(generateSbomFixtures);

async function sbomOf(value: unknown, file = 'x.json'): Promise<Sbom> {
  return (await validateSbom(parseSbom(Buffer.from(JSON.stringify(value)), file))).sbom as Sbom;
}

const cdx = (components: Record<string, unknown>[], metadata: Record<string, unknown> = {}) => ({
  bomFormat: 'CycloneDX',
  specVersion: '1.6',
  metadata: {
    component: {
      type: 'application',
      name: 'app',
      version: '1',
      'bom-ref': 'app',
      supplier: { name: 'Acme' },
      purl: 'pkg:generic/app@1',
    },
    ...metadata,
  },
  components,
});

describe('NTIA minimum elements', () => {
  it('a complete SBOM scores 100%', async () => {
    const sbom = (await validateSbom(await readSbomFile(join(FIXTURE_DIR, 'spdx-2.3.json')))).sbom as Sbom;
    const result = checkMinimumElements(sbom);
    expect(result.summary.percent).toBe(100);
    expect(result.findings.map((f) => f.code)).toEqual(['SBOM_NTIA_SUMMARY']);
  });

  it('reports each missing element per component and per document, with a percentage', async () => {
    const sbom = await sbomOf(
      cdx([
        {
          type: 'library',
          name: 'full',
          version: '1',
          purl: 'pkg:npm/full@1',
          supplier: { name: 'S' },
          'bom-ref': 'full',
        },
        { type: 'library', name: 'bare' },
        {
          type: 'library',
          name: 'cpe',
          version: '2',
          cpe: 'cpe:2.3:a:x:cpe:2:*:*:*:*:*:*:*',
          publisher: 'P',
        },
      ]),
    );
    const result = checkMinimumElements(sbom);
    const missing = result.findings.filter((f) => f.code === 'SBOM_NTIA_ELEMENT_MISSING');
    expect(missing.map((f) => f.evidence['element'] ?? f.evidence['elements'])).toEqual([
      'author',
      'timestamp',
      'dependencies',
      ['supplier', 'version', 'identifier'],
      ['supplier'], // a publisher is not the supplier (sbomqs: supplier, else manufacturer)
    ]);
    expect(missing.at(-2)?.location?.pointer).toBe('/components/1');
    // (subject + 3 components) × 4 + 3 document elements = 19 expected; 7 missing → 63.2%
    expect(result.summary.percent).toBe(63.2);
    expect(result.summary.completeComponents).toBe(2);
    expect(result.summary.components).toBe(4);
  });

  it('accepts authors, tools and dependency edges of the subject', async () => {
    const sbom = await sbomOf({
      ...cdx(
        [
          {
            type: 'library',
            name: 'a',
            version: '1',
            purl: 'pkg:npm/a@1',
            supplier: { name: 'S' },
            'bom-ref': 'a',
          },
        ],
        {
          timestamp: '2026-01-01T00:00:00Z',
          tools: { components: [{ type: 'application', name: 'syft', version: '1.0' }] },
        },
      ),
      dependencies: [{ ref: 'app', dependsOn: ['a'] }],
    });
    expect(checkMinimumElements(sbom).summary.percent).toBe(100);
  });

  it('a subject-only SBOM without version, supplier or identifier does not score 100%', async () => {
    const sbom = await sbomOf({
      bomFormat: 'CycloneDX',
      specVersion: '1.6',
      metadata: {
        timestamp: '2026-01-01T00:00:00Z',
        authors: [{ name: 'A' }],
        component: { type: 'application', name: 'app', 'bom-ref': 'app' },
      },
    });
    const result = checkMinimumElements(sbom);
    const missing = result.findings.filter((f) => f.code === 'SBOM_NTIA_ELEMENT_MISSING');
    expect(missing.map((f) => f.evidence['element'] ?? f.evidence['elements'])).toEqual([
      'dependencies',
      ['supplier', 'version', 'identifier'],
    ]);
    expect(missing.at(-1)?.location?.pointer).toBe('/metadata/component');
    // 1 component × 4 + 3 document elements = 7 expected; 4 missing.
    expect(result.summary.percent).toBe(42.9);
  });

  it('counts supplier as sbomqs does: supplier or manufacturer (name, URL or contact), not publisher or author', async () => {
    const lib = (name: string, extra: Record<string, unknown>) => ({
      type: 'library',
      name,
      version: '1',
      purl: `pkg:npm/${name}@1`,
      ...extra,
    });
    const sbom = await sbomOf(
      cdx([
        lib('supplier-url', { supplier: { url: ['https://s.example'] } }),
        lib('supplier-contact', { supplier: { contact: [{ email: 's@s.example' }] } }),
        lib('manufacturer', { manufacturer: { name: 'M' } }),
        lib('publisher', { publisher: 'P' }),
        lib('author', { author: 'A' }),
        lib('authors', { authors: [{ name: 'A' }] }),
      ]),
    );
    const lacking = checkMinimumElements(sbom)
      .findings.filter((f) => Array.isArray(f.evidence['elements']))
      .map((f) => f.evidence['component']);
    expect(lacking).toEqual(['publisher', 'author', 'authors']);
    const spdx = await sbomOf({
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: 'x',
      documentNamespace: 'https://example.test/x',
      creationInfo: { created: '2026-11-01T00:00:00Z', creators: ['Tool: t'] },
      documentDescribes: ['SPDXRef-a'],
      packages: [
        {
          SPDXID: 'SPDXRef-a',
          name: 'a',
          versionInfo: '1',
          originator: 'Organization: O',
          downloadLocation: 'NOASSERTION',
          externalRefs: [
            { referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/a@1' },
          ],
        },
      ],
      relationships: [
        { spdxElementId: 'SPDXRef-a', relationshipType: 'DEPENDS_ON', relatedSpdxElement: 'NONE' },
      ],
    });
    expect(checkMinimumElements(spdx).summary.missing.supplier).toBe(1);
  });

  it('accepts a declared-complete dependency list of the subject (CycloneDX compositions)', async () => {
    const complete = (aggregate: string) =>
      sbomOf({
        ...cdx([], { timestamp: '2026-01-01T00:00:00Z', authors: [{ name: 'A' }] }),
        compositions: [{ aggregate, dependencies: ['app'] }],
      });
    expect(checkMinimumElements(await complete('complete')).summary.percent).toBe(100);
    expect(checkMinimumElements(await complete('unknown')).summary.missing.dependencies).toBe(1);
  });

  it('info severity reports without failing', async () => {
    const sbom = await sbomOf(cdx([{ type: 'library', name: 'bare' }]));
    expect(
      checkMinimumElements(sbom, { severity: 'info' }).findings.every((f) => f.severity === 'info'),
    ).toBe(true);
  });
});

describe('sbom diff', () => {
  const lib = (name: string, version: string, license: string, supplier = 'S', purl = true) => ({
    type: 'library',
    name,
    version,
    ...(purl ? { purl: `pkg:npm/${name}@${version}` } : {}),
    licenses: [{ license: { id: license } }],
    supplier: { name: supplier },
  });

  it('lists added, removed, changed, licence changes and new suppliers', async () => {
    const before = await sbomOf(
      cdx([
        lib('a', '1.0.0', 'MIT'),
        lib('b', '1.0.0', 'MIT'),
        lib('c', '1.0.0', 'MIT'),
        lib('n', '1', 'MIT', 'S', false),
      ]),
      'old.json',
    );
    const after = await sbomOf(
      cdx([
        lib('a', '1.1.0', 'MIT'),
        lib('c', '1.0.0', 'GPL-3.0-only'),
        lib('d', '2.0.0', 'ISC', 'NewCo'),
        lib('n', '2', 'MIT', 'S', false),
      ]),
      'new.json',
    );
    const diff = diffSboms(before, after);
    expect(diff.added.map((c) => c.key)).toEqual(['pkg:npm/d']);
    expect(diff.removed.map((c) => c.key)).toEqual(['pkg:npm/b']);
    expect(diff.changed).toEqual([
      { key: 'name:n', name: 'n', from: '1', to: '2' },
      { key: 'pkg:npm/a', name: 'a', from: '1.0.0', to: '1.1.0' },
    ]);
    expect(diff.licenseChanges).toEqual([
      { key: 'pkg:npm/c', name: 'c', version: '1.0.0', from: 'MIT', to: 'GPL-3.0-only' },
    ]);
    expect(diff.newSuppliers).toEqual(['NewCo']);

    const text = renderDiff(diff, 'text');
    expect(text).toContain('1 added, 1 removed, 2 changed, 1 licence changes, 1 new suppliers');
    expect(text).toContain('~ a 1.0.0 → 1.1.0');
    const markdown = renderDiff(diff, 'markdown');
    expect(markdown).toContain('### Licence changes (1)');
    expect(markdown).toContain('| c | 1.0.0 | MIT | GPL-3.0-only |');
    const json = JSON.parse(renderDiff(diff, 'json')) as { diffVersion: number; added: unknown[] };
    expect(json.diffVersion).toBe(1);
    expect(json.added).toHaveLength(1);
  });

  it('pairs several versions of one package in version order', async () => {
    const before = await sbomOf(cdx([lib('x', '1.0.0', 'MIT'), lib('x', '2.0.0', 'MIT')]));
    const after = await sbomOf(
      cdx([lib('x', '1.0.0', 'MIT'), lib('x', '2.1.0', 'MIT'), lib('x', '3.0.0', 'MIT')]),
    );
    const diff = diffSboms(before, after);
    expect(diff.changed).toEqual([{ key: 'pkg:npm/x', name: 'x', from: '2.0.0', to: '2.1.0' }]);
    expect(diff.added.map((c) => c.version)).toEqual(['3.0.0']);
  });

  it('diffs across formats and over hundreds of components', async () => {
    const cyclone = (await validateSbom(await readSbomFile(join(FIXTURE_DIR, 'cdx-1.6.json')))).sbom as Sbom;
    const spdx = (await validateSbom(await readSbomFile(join(FIXTURE_DIR, 'spdx-2.3.json')))).sbom as Sbom;
    const same = diffSboms(cyclone, spdx);
    expect([same.added.length, same.removed.length, same.changed.length, same.licenseChanges.length]).toEqual(
      [0, 0, 0, 0],
    );
    const next = (await validateSbom(await readSbomFile(join(FIXTURE_DIR, 'cdx-1.6-next.json'))))
      .sbom as Sbom;
    const diff = diffSboms(cyclone, next);
    expect(diff.added).toHaveLength(20);
    expect(diff.changed.length).toBeGreaterThan(0);
  });

  it('compares the subjects too: a CycloneDX metadata.component that moved, escaped in text', async () => {
    const subject = (name: string, version: string) => ({
      component: {
        type: 'application',
        name,
        version,
        'bom-ref': 'app',
        supplier: { name: 'Acme' },
        purl: `pkg:generic/app@${version}`,
      },
    });
    const before = await sbomOf(cdx([lib('a', '1.0.0', 'MIT')], subject('app', '7.4.1')));
    const after = await sbomOf(
      cdx([lib('a', '1.0.0', 'MIT')], subject('app\nPASS: all checks passed\u202e', '7.4.2')),
    );
    const diff = diffSboms(before, after);
    expect(diff.changed).toEqual([
      { key: 'pkg:generic/app', name: 'app\nPASS: all checks passed\u202e', from: '7.4.1', to: '7.4.2' },
    ]);
    expect([diff.old.subjects, diff.old.components]).toEqual([1, 1]);
    const text = renderDiff(diff, 'text');
    expect(text).toContain('(1 subject, 1 components)');
    expect(text).toContain('~ app\\x0aPASS: all checks passed\\u202e 7.4.1 → 7.4.2');
    expect(text.split('\n').filter((line) => line.startsWith('PASS'))).toEqual([]);
    expect(renderDiff(diff, 'markdown')).not.toMatch(/[\n]PASS/);
  });

  it('an SPDX document that marks every package as described still diffs them all', async () => {
    const spdx = (log4j: string) => ({
      spdxVersion: 'SPDX-2.3',
      dataLicense: 'CC0-1.0',
      SPDXID: 'SPDXRef-DOCUMENT',
      name: 'all-described',
      documentNamespace: `https://example.test/all-described-${log4j}`,
      creationInfo: { created: '2026-11-01T00:00:00Z', creators: ['Tool: generator-1'] },
      documentDescribes: ['SPDXRef-app', 'SPDXRef-log4j'],
      packages: [
        { SPDXID: 'SPDXRef-app', name: 'app', versionInfo: '1.0.0', downloadLocation: 'NOASSERTION' },
        {
          SPDXID: 'SPDXRef-log4j',
          name: 'log4j-core',
          versionInfo: log4j,
          downloadLocation: 'NOASSERTION',
          externalRefs: [
            {
              referenceCategory: 'PACKAGE-MANAGER',
              referenceType: 'purl',
              referenceLocator: `pkg:maven/org.apache.logging.log4j/log4j-core@${log4j}`,
            },
          ],
        },
      ],
    });
    const before = await sbomOf(spdx('2.17.1'));
    const after = await sbomOf(spdx('2.14.1'));
    expect(after.components).toHaveLength(0);
    const diff = diffSboms(before, after);
    expect(diff.changed).toEqual([
      {
        key: 'pkg:maven/org.apache.logging.log4j/log4j-core',
        name: 'log4j-core',
        from: '2.17.1',
        to: '2.14.1',
      },
    ]);
    expect(renderDiff(diff, 'text')).toContain('(2 subjects, 0 components)');
  });

  it('escapes Markdown in untrusted names', async () => {
    const before = await sbomOf(cdx([]));
    const after = await sbomOf(cdx([lib('a|b', '1', 'MIT', 'S', false)]));
    expect(renderDiff(diffSboms(before, after), 'markdown')).toContain('| a\\|b | 1 |');
  });
});
