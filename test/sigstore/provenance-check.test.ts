import { copyFile, mkdir, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import type { ArtifactContext } from '../../src/artifact/check.ts';
import type { Manifest, ProvenanceSigner } from '../../src/manifest/types.ts';
import { provenanceCheck } from '../../src/sigstore/provenance-check.ts';
import { globMatch, normaliseRepository } from '../../src/sigstore/provenance.ts';
import {
  ARTIFACT_NAME,
  GOOD_PROVENANCE,
  IDENTITY,
  ISSUER,
  REUSABLE_IDENTITY,
  generateSigstoreFixtures,
  type ProvenanceVariant,
  type SigstoreFixtures,
} from '../fixtures/sigstore/generate.ts';

let fixtures: SigstoreFixtures;
let work: string;

beforeAll(async () => {
  fixtures = await generateSigstoreFixtures();
  work = await mkdtemp(join(tmpdir(), 'rmm-provenance-'));
});

const SIGNER: ProvenanceSigner = {
  builder: GOOD_PROVENANCE.builder,
  source: 'github.com/acme/agent',
  ref: 'refs/tags/v*',
  workflow: '.github/workflows/release.yml',
};

function manifest(
  overrides: {
    signer?: Partial<ProvenanceSigner>;
    require?: boolean;
    sigstore?: Manifest['signers']['sigstore'];
  } = {},
): Manifest {
  return {
    schema: 1,
    product: 'acme-agent',
    vendor: 'Acme RMM',
    serial: 1,
    issued: '2026-01-01T00:00:00Z',
    expires: '2027-01-01T00:00:00Z',
    signers: {
      provenance: [{ ...SIGNER, ...overrides.signer }],
      ...(overrides.sigstore ? { sigstore: overrides.sigstore } : {}),
    },
    policy: { target: '7.4.2', requireProvenance: overrides.require ?? true },
    releases: [],
  };
}

/** A directory holding the artifact and (optionally) one provenance variant beside it. */
async function setup(variant: ProvenanceVariant | undefined, name: string): Promise<string> {
  const dir = join(work, name);
  await mkdir(dir, { recursive: true });
  const path = join(dir, ARTIFACT_NAME);
  await copyFile(fixtures.artifact, path);
  if (variant) await copyFile(fixtures.provenance[variant], `${path}.intoto.jsonl`);
  return path;
}

function context(path: string, m: Manifest, evidenceDirs: string[] = []): ArtifactContext {
  return {
    path,
    subject: ARTIFACT_NAME,
    manifest: m,
    manifestDir: work,
    release: { version: '7.4.2', artifacts: [] },
    artifact: {
      name: ARTIFACT_NAME,
      platform: 'windows-x64',
      size: 65536,
      digests: { sha256: fixtures.artifactSha256 },
    },
    digests: { sha256: fixtures.artifactSha256 },
    now: new Date(),
    options: { offline: true, trustedRoot: fixtures.trustedRoot, evidenceDirs, systemRoots: false },
  };
}

describe('provenanceCheck', () => {
  it('passes a signed SLSA v1 statement that matches signers.provenance', async () => {
    const result = await provenanceCheck.run(context(await setup('good', 'good'), manifest()));
    expect(result?.findings.map((f) => f.code)).toEqual(['PROVENANCE_VERIFIED']);
    expect(result?.facts['provenance']).toContain('github.com/acme/agent@refs/tags/v7.4.2');
  });

  // Each tuple: variant, policy tweak, the finding code it must produce.
  const failures: [ProvenanceVariant, Partial<ProvenanceSigner>, string][] = [
    ['wrong-builder', {}, 'PROVENANCE_BUILDER_MISMATCH'],
    ['wrong-source', {}, 'PROVENANCE_SOURCE_MISMATCH'],
    ['wrong-ref', {}, 'PROVENANCE_REF_MISMATCH'],
    ['wrong-workflow', {}, 'PROVENANCE_WORKFLOW_MISMATCH'],
    ['v02', {}, 'PROVENANCE_PREDICATE_NOT_ALLOWED'],
    ['wrong-subject', {}, 'SIGSTORE_SUBJECT_MISMATCH'],
    ['bad-signature', {}, 'SIGSTORE_SIGNATURE_INVALID'],
    ['good', { source: 'github.com/acme/other' }, 'PROVENANCE_SOURCE_MISMATCH'],
    ['good', { ref: 'refs/heads/main' }, 'PROVENANCE_REF_MISMATCH'],
    // The statement disagrees with its certificate's Fulcio extensions.
    ['other-commit', {}, 'PROVENANCE_CERTIFICATE_MISMATCH'],
    ['self-hosted-statement', {}, 'PROVENANCE_CERTIFICATE_MISMATCH'],
    [
      'good',
      { signerWorkflow: 'acme/release-workflows/.github/workflows/sign.yml' },
      'PROVENANCE_WORKFLOW_MISMATCH',
    ],
    [
      'reusable-self-hosted',
      { denySelfHostedRunners: true, builder: REUSABLE_IDENTITY },
      'PROVENANCE_POLICY_MISMATCH',
    ],
  ];
  for (const [variant, tweak, code] of failures) {
    it(`fails ${variant} ${JSON.stringify(tweak)} with ${code}`, async () => {
      const path = await setup(variant, `${variant}-${code}`);
      const result = await provenanceCheck.run(context(path, manifest({ signer: tweak })));
      expect(result?.findings).toFailWith(code);
    });
  }

  it('accepts SLSA v0.2 when the signer allows its predicate type', async () => {
    const path = await setup('v02', 'v02-allowed');
    const m = manifest({ signer: { predicateTypes: ['https://slsa.dev/provenance/v0.2'] } });
    expect((await provenanceCheck.run(context(path, m)))?.findings.map((f) => f.code)).toEqual([
      'PROVENANCE_VERIFIED',
    ]);
  });

  it('matches the certificate against signers.sigstore when the manifest pins identities', async () => {
    const path = await setup('good', 'sigstore-identities');
    const ok = manifest({ sigstore: [{ identity: IDENTITY, issuer: ISSUER }] });
    expect((await provenanceCheck.run(context(path, ok)))?.findings.map((f) => f.code)).toEqual([
      'PROVENANCE_VERIFIED',
    ]);
    const wrong = manifest({ sigstore: [{ identity: `${IDENTITY}x`, issuer: ISSUER }] });
    expect((await provenanceCheck.run(context(path, wrong)))?.findings).toFailWith(
      'SIGSTORE_IDENTITY_MISMATCH',
    );
  });

  it('pins a reusable signing workflow (signerWorkflow) and github-hosted runners (denySelfHostedRunners)', async () => {
    const reusable = await setup('reusable-self-hosted', 'reusable');
    const ok = manifest({
      signer: {
        builder: REUSABLE_IDENTITY,
        signerWorkflow: 'acme/release-workflows/.github/workflows/sign.yml',
      },
    });
    expect((await provenanceCheck.run(context(reusable, ok)))?.findings.map((f) => f.code)).toEqual([
      'PROVENANCE_VERIFIED',
    ]);
    const good = await setup('good', 'hosted');
    const hosted = manifest({
      signer: {
        denySelfHostedRunners: true,
        signerWorkflow: 'github.com/acme/agent/.github/workflows/release.yml',
      },
    });
    expect((await provenanceCheck.run(context(good, hosted)))?.findings.map((f) => f.code)).toEqual([
      'PROVENANCE_VERIFIED',
    ]);
  });

  it('fails closed when provenance is required and missing, and stays out of the way otherwise', async () => {
    const path = await setup(undefined, 'none');
    expect((await provenanceCheck.run(context(path, manifest())))?.findings).toFailWith('PROVENANCE_MISSING');
    expect(await provenanceCheck.run(context(path, manifest({ require: false })))).toBeUndefined();
  });

  it('finds bundles in evidence directories, including gh attestation download names', async () => {
    const path = await setup(undefined, 'evidence-artifact');
    const evidence = join(work, 'evidence');
    await mkdir(evidence, { recursive: true });
    await copyFile(fixtures.provenance.good, join(evidence, `sha256:${fixtures.artifactSha256}.jsonl`));
    const result = await provenanceCheck.run(context(path, manifest(), [evidence]));
    expect(result?.findings.map((f) => f.code)).toEqual(['PROVENANCE_VERIFIED']);
  });

  it('fails a key-based bundle: the manifest pins no keys for provenance', async () => {
    const path = await setup(undefined, 'key-based');
    await copyFile(fixtures.keyProvenance, `${path}.intoto.jsonl`);
    expect((await provenanceCheck.run(context(path, manifest())))?.findings).toFailWith(
      'SIGSTORE_KEY_MISMATCH',
    );
  });
});

describe('provenance matching helpers', () => {
  it('globs only with * and anchors both ends', () => {
    expect(globMatch('refs/tags/v*', 'refs/tags/v7.4.2')).toBe(true);
    expect(globMatch('refs/tags/v*', 'refs/heads/refs/tags/v1')).toBe(false);
    expect(globMatch('refs/tags/v7.4.2', 'refs/tags/v7x4x2')).toBe(false);
    expect(globMatch('*', undefined)).toBe(false);
  });

  it('normalises repository URLs', () => {
    expect(normaliseRepository('git+https://github.com/Acme/Agent.git')).toBe('github.com/acme/agent');
    expect(normaliseRepository('github.com/acme/agent/')).toBe('github.com/acme/agent');
    expect(normaliseRepository('')).toBeUndefined();
  });
});
