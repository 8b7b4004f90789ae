import { createHash } from 'node:crypto';
import { copyFile, mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import type { ArtifactContext } from '../../src/artifact/check.ts';
import { ARTIFACT_CHECKS } from '../../src/artifact/checks.ts';
import type { Manifest, SbomPin } from '../../src/manifest/types.ts';
import {
  checkBinding,
  checkSbomPin,
  parseSbom,
  readSbomFile,
  sbomCheck,
  validateSbom,
  type Sbom,
} from '../../src/sbom/index.ts';
import { buildCycloneDx, buildSpdx } from '../fixtures/sbom/build-sbom.ts';
import { ARTIFACT_SHA256, FIXTURE_DIR, generateSbomFixtures } from '../fixtures/sbom/generate.ts';

beforeAll(generateSbomFixtures);

const expected = {
  product: 'acme-agent',
  aliases: ['Acme RMM Agent'],
  version: '7.4.2',
  digests: { sha256: ARTIFACT_SHA256 },
};

async function sbomOf(value: unknown, file = 'x.json'): Promise<Sbom> {
  return (await validateSbom(parseSbom(Buffer.from(JSON.stringify(value)), file))).sbom as Sbom;
}

describe('binding the SBOM to the artifact', () => {
  it('passes when subject name, version and hash match (CycloneDX and SPDX)', async () => {
    for (const name of ['cdx-1.4.json', 'cdx-1.6.json', 'spdx-2.3.json']) {
      const result = await validateSbom(await readSbomFile(join(FIXTURE_DIR, name)));
      expect(checkBinding(result.sbom as Sbom, expected)).toEqual([]);
    }
  });

  it('accepts an alias, case-insensitively, and a v-prefixed version', async () => {
    const sbom = await sbomOf(
      buildCycloneDx('1.6', { components: 1, product: 'ACME RMM AGENT', version: 'v7.4.2' }),
    );
    expect(checkBinding(sbom, expected)).toEqual([]);
  });

  it('SBOM_SUBJECT_NAME_MISMATCH for another product', async () => {
    const sbom = await sbomOf(buildCycloneDx('1.6', { components: 1, product: 'evil-agent' }));
    expect(checkBinding(sbom, expected)).toFailWith('SBOM_SUBJECT_NAME_MISMATCH');
  });

  it('SBOM_SUBJECT_VERSION_MISMATCH for another version', async () => {
    const sbom = await sbomOf(buildSpdx({ components: 1, version: '7.4.1' }));
    const findings = checkBinding(sbom, expected);
    expect(findings).toFailWith('SBOM_SUBJECT_VERSION_MISMATCH');
    expect(findings[0]?.message).toContain('7.4.1');
  });

  it('SBOM_SUBJECT_HASH_MISMATCH when the recorded hash is of other bytes', async () => {
    for (const doc of [
      buildCycloneDx('1.5', { components: 1, subjectSha256: 'a'.repeat(64) }),
      buildSpdx({ components: 1, subjectSha256: 'b'.repeat(64) }),
    ]) {
      expect(checkBinding(await sbomOf(doc), expected)).toFailWith('SBOM_SUBJECT_HASH_MISMATCH');
    }
  });

  it("checks the subject's package URL: it must name the product and the release version", async () => {
    const withPurl = async (purl: string) => {
      const doc = buildCycloneDx('1.6', { components: 1 });
      ((doc['metadata'] as Record<string, unknown>)['component'] as Record<string, unknown>)['purl'] = purl;
      return checkBinding(await sbomOf(doc), expected);
    };
    expect(await withPurl('pkg:generic/acme-agent@7.4.2')).toEqual([]);
    expect(await withPurl('pkg:generic/acme-agent')).toEqual([]);
    expect(await withPurl('pkg:nuget/Acme%20RMM%20Agent@v7.4.2')).toEqual([]); // alias, case-insensitive
    expect(await withPurl('pkg:npm/evil-agent@7.4.2')).toFailWith('SBOM_SUBJECT_NAME_MISMATCH');
    expect(await withPurl('pkg:generic/acme-agent@6.0.0')).toFailWith('SBOM_SUBJECT_VERSION_MISMATCH');
    expect(await withPurl('not a purl')).toFailWith('SBOM_SUBJECT_NAME_MISMATCH');
  });

  it('ignores hash algorithms we have no digest for', async () => {
    const doc = buildCycloneDx('1.6', { components: 1 });
    ((doc['metadata'] as Record<string, unknown>)['component'] as Record<string, unknown>)['hashes'] = [
      { alg: 'SHA3-256', content: 'c'.repeat(64) },
    ];
    expect(checkBinding(await sbomOf(doc), expected)).toEqual([]);
  });

  it('SBOM_SUBJECT_MISSING without metadata.component or documentDescribes', async () => {
    expect(checkBinding(await sbomOf({ bomFormat: 'CycloneDX', specVersion: '1.6' }), expected)).toFailWith(
      'SBOM_SUBJECT_MISSING',
    );
    const spdx = buildSpdx({ components: 1 });
    delete spdx['documentDescribes'];
    spdx['relationships'] = [];
    expect(checkBinding(await sbomOf(spdx), expected)).toFailWith('SBOM_SUBJECT_MISSING');
  });

  it('checks the pinned sha256 and format', async () => {
    const document = await readSbomFile(join(FIXTURE_DIR, 'cdx-1.6.json'));
    expect(checkSbomPin(document, { format: 'cyclonedx', sha256: document.sha256 })).toEqual([]);
    expect(checkSbomPin(document, { format: 'cyclonedx', sha256: document.sha256.toUpperCase() })).toEqual(
      [],
    );
    expect(checkSbomPin(document, { format: 'cyclonedx', sha256: '0'.repeat(64) })).toFailWith(
      'SBOM_DIGEST_MISMATCH',
    );
    expect(checkSbomPin(document, { format: 'spdx', sha256: document.sha256 })).toFailWith(
      'SBOM_FORMAT_MISMATCH',
    );
  });
});

describe('the verify step (sbomCheck)', () => {
  let dir: string;
  let sbomSha256: string;
  const manifest = {
    schema: 1,
    product: 'acme-agent',
    vendor: 'Acme RMM',
    serial: 1,
    issued: '2026-11-01T00:00:00Z',
    expires: '2027-11-01T00:00:00Z',
    signers: {},
    policy: { target: '7.4.2' },
    releases: [],
  } as const satisfies Manifest;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'sbom-check-'));
    await mkdir(join(dir, 'dist'));
    await mkdir(join(dir, 'evidence'));
    await mkdir(join(dir, 'sboms'));
    await copyFile(
      join(FIXTURE_DIR, 'artifact', 'acme-agent-7.4.2-x64.msi'),
      join(dir, 'dist', 'acme-agent-7.4.2-x64.msi'),
    );
    const bytes = await readFile(join(FIXTURE_DIR, 'cdx-1.6.json'));
    sbomSha256 = parseSbom(bytes, 'x').sha256;
    await writeFile(join(dir, 'sboms', 'agent.cdx.json'), bytes);
    await writeFile(join(dir, 'evidence', 'acme-agent-7.4.2-x64.msi.cdx.json'), bytes);
  });

  const context = (sbom: SbomPin | undefined, evidenceDirs: string[] = []): ArtifactContext => {
    const artifact = {
      name: 'acme-agent-7.4.2-x64.msi',
      platform: 'windows-x64',
      size: 42,
      digests: { sha256: ARTIFACT_SHA256 },
      ...(sbom ? { sbom } : {}),
    };
    return {
      path: join(dir, 'dist', 'acme-agent-7.4.2-x64.msi'),
      subject: 'dist/acme-agent-7.4.2-x64.msi',
      manifest,
      manifestDir: dir,
      release: { version: '7.4.2', artifacts: [artifact] },
      artifact,
      digests: { sha256: ARTIFACT_SHA256 },
      now: new Date('2026-11-15T00:00:00Z'),
      options: { offline: true, evidenceDirs, systemRoots: false },
    };
  };

  it('is registered with verify: the registered check (loaded lazily) gives the same results', async () => {
    const registered = ARTIFACT_CHECKS.find((check) => check.name === sbomCheck.name);
    expect(registered).toBeDefined();
    const pinned = context({ format: 'cyclonedx', sha256: sbomSha256, path: 'sboms/agent.cdx.json' });
    expect(await registered?.run(pinned)).toEqual(await sbomCheck.run(pinned));
    expect((await registered?.run(pinned))?.facts['sbomComponents']).toBe(300);
    expect(await registered?.run(context(undefined))).toBeUndefined();
  });

  it('does not apply when no SBOM is pinned', async () => {
    expect(await sbomCheck.run(context(undefined))).toBeUndefined();
  });

  it('passes with the pinned path relative to the manifest directory', async () => {
    const result = await sbomCheck.run(
      context({ format: 'cyclonedx', sha256: sbomSha256, path: 'sboms/agent.cdx.json' }),
    );
    expect(result?.findings).toEqual([]);
    expect(result?.facts['sbomComponents']).toBe(300);
    expect(result?.facts['sbomNtiaPercent']).toBe(100);
  });

  it('finds <artifact>.cdx.json in an evidence directory', async () => {
    const result = await sbomCheck.run(
      context({ format: 'cyclonedx', sha256: sbomSha256 }, [join(dir, 'evidence')]),
    );
    expect(result?.findings).toEqual([]);
    expect(result?.facts['sbom']).toBe(join(dir, 'evidence', 'acme-agent-7.4.2-x64.msi.cdx.json'));
  });

  it('SBOM_MISSING when the pinned SBOM is nowhere', async () => {
    const result = await sbomCheck.run(context({ format: 'spdx', sha256: sbomSha256 }));
    expect(result?.findings).toFailWith('SBOM_MISSING');
  });

  it('SBOM_DIGEST_MISMATCH when the file was replaced', async () => {
    const result = await sbomCheck.run(
      context({ format: 'cyclonedx', sha256: 'f'.repeat(64), path: 'sboms/agent.cdx.json' }),
    );
    expect(result?.findings).toFailWith('SBOM_DIGEST_MISMATCH');
  });

  it('does not parse or validate an SBOM whose sha256 differs from the pin', async () => {
    // Each of these would produce other findings if it were parsed: not JSON, schema errors,
    // duplicate bom-refs (once quadratic to validate), a subject of another version.
    const wrong = buildCycloneDx('1.6', { components: 50, version: '9.9.9' });
    for (const component of wrong['components'] as Record<string, unknown>[]) component['bom-ref'] = 'same';
    const dropped: Record<string, string> = {
      'not-json.cdx.json': '{"bomFormat": "CycloneDX",',
      'wrong.cdx.json': JSON.stringify(wrong),
      'schema.cdx.json': JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components: 'x' }),
    };
    for (const [name, content] of Object.entries(dropped)) {
      await writeFile(join(dir, 'evidence', name), content);
      const result = await sbomCheck.run(
        context({ format: 'cyclonedx', sha256: sbomSha256, path: `evidence/${name}` }),
      );
      expect(result?.findings.map((f) => f.code)).toEqual(['SBOM_DIGEST_MISMATCH']);
      expect(result?.findings[0]?.message).toContain('not parsed');
      expect(result?.facts).toEqual({ sbom: join(dir, 'evidence', name) });
    }
  });

  it('SBOM_UNREADABLE (fail closed) for a malformed SBOM that is the pinned one', async () => {
    const broken = Buffer.from('{"bomFormat": "CycloneDX",');
    await writeFile(join(dir, 'sboms', 'broken.cdx.json'), broken);
    const result = await sbomCheck.run(
      context({
        format: 'cyclonedx',
        sha256: createHash('sha256').update(broken).digest('hex'),
        path: 'sboms/broken.cdx.json',
      }),
    );
    expect(result?.findings).toFailWith('SBOM_UNREADABLE');
  });

  it('binding and schema findings from a pinned but wrong SBOM', async () => {
    const other = Buffer.from(
      JSON.stringify(
        buildCycloneDx('1.6', { components: 2, version: '7.4.1', subjectSha256: 'e'.repeat(64) }),
      ),
    );
    await writeFile(join(dir, 'sboms', 'other.cdx.json'), other);
    const result = await sbomCheck.run(
      context({ format: 'cyclonedx', sha256: parseSbom(other, 'x').sha256, path: 'sboms/other.cdx.json' }),
    );
    expect(result?.findings).toFailWith('SBOM_SUBJECT_VERSION_MISMATCH');
    expect(result?.findings).toFailWith('SBOM_SUBJECT_HASH_MISMATCH');
  });
});
