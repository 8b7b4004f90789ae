import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import {
  IDENTITY,
  ISSUER,
  REUSABLE_IDENTITY,
  generateSigstoreFixtures,
  type SigstoreFixtures,
} from '../fixtures/sigstore/generate.ts';
import { captureIo } from '../helpers/io.ts';

// gh / cosign / slsa-verifier flags of `attest verify`, each with a passing and a failing case
// (the README's flag table points here). The real GitHub attestation: gh 2.54.0's, whose
// certificate says source cli/cli, ref refs/heads/trunk, commit 89cbcfe…, github-hosted runner.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REAL = join(ROOT, 'test', 'fixtures', 'sigstore');
const GH = join(REAL, 'gh_2.54.0_linux_armv6.tar.gz.sigstore');
const GH_DIGEST = 'sha256:cd53809273ad6011fdd98e0244c5c2276b15f3dd1294e4715627ebd4f9c6e0f1';
const GH_WORKFLOW = 'https://github.com/cli/cli/.github/workflows/deployment.yml';
const GH_COMMIT = '89cbcfe7eb186ff4edbe10792d17bdc55b04f297';

let fixtures: SigstoreFixtures;
beforeAll(async () => {
  fixtures = await generateSigstoreFixtures();
});

async function attest(...args: string[]): Promise<{ code: number; codes: string[]; output: string }> {
  const captured = captureIo(ROOT);
  const code = await main(['attest', ...args, '--format', 'json'], captured.io);
  let codes: string[] = [];
  try {
    codes = (JSON.parse(captured.stdout()) as { findings: { code: string }[] }).findings.map((f) => f.code);
  } catch {
    // exit 2: no report
  }
  return { code, codes, output: `${captured.stdout()}${captured.stderr()}` };
}

/** The real gh attestation, verified by digest with the vendored root and the given flags. */
const gh = (...flags: string[]) => attest('verify', GH_DIGEST, '--bundle', GH, '--offline', ...flags);
const ghIdentity = [
  '--certificate-identity',
  `${GH_WORKFLOW}@refs/heads/trunk`,
  '--certificate-oidc-issuer',
  ISSUER,
];

/** A generated attestation (test CA and log) for the generated artifact. */
const generated = (
  command: 'verify' | 'verify-bundle',
  bundle: string,
  ...flags: string[]
): ReturnType<typeof attest> =>
  attest(command, fixtures.artifact, '--bundle', bundle, '--trusted-root', fixtures.trustedRoot, ...flags);

describe('attest verify: gh attestation verify / cosign / slsa-verifier flags', () => {
  it('requires SLSA provenance v1 by default; --predicate-type chooses another', async () => {
    expect((await gh(...ghIdentity)).codes).toEqual(['SIGSTORE_VERIFIED']);
    const v02 = await gh(...ghIdentity, '--predicate-type', 'https://slsa.dev/provenance/v0.2');
    expect(v02.code).toBe(1);
    expect(v02.codes).toEqual(['PROVENANCE_PREDICATE_NOT_ALLOWED']);
    // A v0.2 statement fails the default, and passes when asked for.
    const v02Bundle = fixtures.provenance.v02;
    expect(
      (
        await generated(
          'verify',
          v02Bundle,
          '--certificate-identity',
          IDENTITY,
          '--certificate-oidc-issuer',
          ISSUER,
        )
      ).codes,
    ).toEqual(['PROVENANCE_PREDICATE_NOT_ALLOWED']);
    expect(
      (
        await generated(
          'verify',
          v02Bundle,
          '--certificate-identity',
          IDENTITY,
          '--certificate-oidc-issuer',
          ISSUER,
          '--predicate-type',
          'https://slsa.dev/provenance/v0.2',
        )
      ).code,
    ).toBe(0);
  });

  it('--owner and --repo: the certificate source repository, with gh default identity and issuer', async () => {
    expect((await gh('--owner', 'cli')).code).toBe(0);
    expect((await gh('--repo', 'cli/cli')).code).toBe(0);
    expect((await gh('--owner', 'CLI')).code).toBe(0); // GitHub names are case-insensitive
    expect((await gh('--owner', 'evil')).codes).toEqual(['SIGSTORE_IDENTITY_MISMATCH']);
    expect((await gh('--repo', 'cli/go-gh')).codes).toEqual(['SIGSTORE_IDENTITY_MISMATCH']);
    // With an explicit identity, --repo is checked on the certificate's source repository.
    expect((await gh(...ghIdentity, '--repo', 'cli/go-gh')).codes).toEqual(['PROVENANCE_POLICY_MISMATCH']);
    // gh's default issuer is GitHub Actions; another issuer fails.
    expect(
      (await gh('--repo', 'cli/cli', '--certificate-oidc-issuer', 'https://accounts.google.com')).codes,
    ).toEqual(['SIGSTORE_ISSUER_MISMATCH']);
  });

  it('--signer-repo and --signer-workflow: the Build Signer URI, a reusable workflow’s own identity', async () => {
    expect((await gh('--signer-repo', 'cli/cli')).code).toBe(0);
    expect((await gh('--signer-repo', 'cli/go-gh')).codes).toEqual(['PROVENANCE_POLICY_MISMATCH']);
    expect((await gh('--signer-workflow', 'cli/cli/.github/workflows/deployment.yml')).code).toBe(0);
    expect((await gh('--signer-workflow', 'github.com/cli/cli/.github/workflows/deployment.yml')).code).toBe(
      0,
    );
    expect((await gh('--signer-workflow', 'cli/cli/.github/workflows/other.yml')).codes).toEqual([
      'PROVENANCE_POLICY_MISMATCH',
    ]);
    // A reusable workflow in acme/release-workflows called by acme/agent: the signer is the
    // reusable workflow, the source repository is the caller's.
    const reusable = fixtures.provenance['reusable-self-hosted'];
    const issuer = ['--certificate-oidc-issuer', ISSUER];
    expect(
      (
        await generated(
          'verify',
          reusable,
          ...issuer,
          '--repo',
          'acme/agent',
          '--signer-workflow',
          'acme/release-workflows/.github/workflows/sign.yml',
        )
      ).code,
    ).toBe(0);
    expect(
      (
        await generated(
          'verify',
          reusable,
          ...issuer,
          '--signer-workflow',
          'acme/agent/.github/workflows/release.yml',
        )
      ).codes,
    ).toEqual(['PROVENANCE_POLICY_MISMATCH']);
    expect(
      (
        await generated(
          'verify',
          reusable,
          '--certificate-identity',
          REUSABLE_IDENTITY,
          ...issuer,
          '--signer-repo',
          'acme/agent',
        )
      ).codes,
    ).toEqual(['PROVENANCE_POLICY_MISMATCH']);
  });

  it('--source-ref and --source-digest: the certificate extensions, exactly', async () => {
    expect(
      (await gh(...ghIdentity, '--source-ref', 'refs/heads/trunk', '--source-digest', GH_COMMIT)).code,
    ).toBe(0);
    expect((await gh(...ghIdentity, '--source-digest', GH_COMMIT.toUpperCase())).code).toBe(0);
    expect((await gh(...ghIdentity, '--source-ref', 'refs/heads/main')).codes).toEqual([
      'PROVENANCE_POLICY_MISMATCH',
    ]);
    expect((await gh(...ghIdentity, '--source-ref', 'refs/heads/trunk2')).codes).toEqual([
      'PROVENANCE_POLICY_MISMATCH',
    ]);
    expect((await gh(...ghIdentity, '--source-digest', '0'.repeat(40))).codes).toEqual([
      'PROVENANCE_POLICY_MISMATCH',
    ]);
    expect((await gh(...ghIdentity, '--source-digest', 'not-hex')).code).toBe(2);
  });

  it('--builder-id: the statement builder, with or without its ref (slsa-verifier)', async () => {
    expect((await gh(...ghIdentity, '--builder-id', GH_WORKFLOW)).code).toBe(0);
    expect((await gh(...ghIdentity, '--builder-id', `${GH_WORKFLOW}@refs/heads/trunk`)).code).toBe(0);
    expect((await gh(...ghIdentity, '--builder-id', `${GH_WORKFLOW}@refs/heads/main`)).codes).toEqual([
      'PROVENANCE_POLICY_MISMATCH',
    ]);
    expect(
      (await gh(...ghIdentity, '--builder-id', 'https://github.com/actions/runner/github-hosted')).codes,
    ).toEqual(['PROVENANCE_POLICY_MISMATCH']);
  });

  it('--deny-self-hosted-runners: the Runner Environment extension', async () => {
    expect((await gh(...ghIdentity, '--deny-self-hosted-runners')).code).toBe(0);
    const reusable = fixtures.provenance['reusable-self-hosted'];
    const flags = ['--certificate-identity', REUSABLE_IDENTITY, '--certificate-oidc-issuer', ISSUER];
    expect((await generated('verify', reusable, ...flags)).code).toBe(0);
    const denied = await generated('verify', reusable, ...flags, '--deny-self-hosted-runners');
    expect(denied.codes).toEqual(['PROVENANCE_POLICY_MISMATCH']);
    expect(denied.output).toContain('self-hosted');
  });

  it('--certificate-oidc-issuer-regexp is anchored', async () => {
    const identity = ['--certificate-identity', `${GH_WORKFLOW}@refs/heads/trunk`];
    expect(
      (
        await gh(
          ...identity,
          '--certificate-oidc-issuer-regexp',
          'https://token\\.actions\\.githubusercontent\\.com',
        )
      ).code,
    ).toBe(0);
    expect(
      (await gh(...identity, '--certificate-oidc-issuer-regexp', 'https://token\\.actions')).codes,
    ).toEqual(['SIGSTORE_ISSUER_MISMATCH']);
    expect((await gh(...identity, '--certificate-oidc-issuer-regexp', '(')).code).toBe(2);
  });

  it('the statement must agree with the certificate extensions', async () => {
    const flags = ['--certificate-identity', IDENTITY, '--certificate-oidc-issuer', ISSUER];
    expect((await generated('verify', fixtures.provenance.good, ...flags)).code).toBe(0);
    const commit = await generated('verify', fixtures.provenance['other-commit'], ...flags);
    expect(commit.codes).toEqual(['PROVENANCE_CERTIFICATE_MISMATCH']);
    expect(commit.output).toContain('source digest');
    const runner = await generated('verify', fixtures.provenance['self-hosted-statement'], ...flags);
    expect(runner.codes).toEqual(['PROVENANCE_CERTIFICATE_MISMATCH']);
    const builder = await generated('verify', fixtures.provenance['wrong-builder'], ...flags);
    expect(builder.codes).toEqual(['PROVENANCE_CERTIFICATE_MISMATCH']);
    expect(builder.output).toContain('builder id');
    // verify-bundle is Sigstore's verification alone (conformance semantics) unless asked.
    expect((await generated('verify-bundle', fixtures.provenance['other-commit'], ...flags)).code).toBe(0);
    expect(
      (
        await generated(
          'verify-bundle',
          fixtures.provenance['other-commit'],
          ...flags,
          '--source-digest',
          '0'.repeat(40),
        )
      ).codes,
    ).toEqual(['PROVENANCE_CERTIFICATE_MISMATCH', 'PROVENANCE_POLICY_MISMATCH']);
  });

  it('a message signature passes cosign-style, and fails when a statement is asked for', async () => {
    const flags = [
      fixtures.artifact,
      '--bundle',
      fixtures.certificateMessageBundle,
      '--trusted-root',
      fixtures.trustedRoot,
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
    ];
    expect((await attest('verify', ...flags)).code).toBe(0);
    expect(
      (await attest('verify', ...flags, '--predicate-type', 'https://slsa.dev/provenance/v1')).codes,
    ).toEqual(['PROVENANCE_POLICY_MISMATCH']);
    expect((await attest('verify', ...flags, '--deny-self-hosted-runners')).codes).toEqual([
      'PROVENANCE_POLICY_MISMATCH',
    ]);
  });

  it('rejects malformed and contradictory flags with exit 2', async () => {
    expect((await gh('--repo', 'cli')).code).toBe(2);
    expect((await gh('--repo', 'cli/cli/x')).code).toBe(2);
    expect((await gh('--owner', 'a/b')).code).toBe(2);
    expect((await gh('--owner', 'cli', '--repo', 'other/cli')).code).toBe(2);
    expect(
      (await gh('--signer-repo', 'cli/cli', '--signer-workflow', 'cli/cli/.github/workflows/x.yml')).code,
    ).toBe(2);
    expect((await gh('--hostname', 'bad host')).code).toBe(2);
    expect((await gh()).code).toBe(2); // nobody to trust
    expect(
      (
        await gh(
          '--certificate-identity',
          'x',
          '--certificate-oidc-issuer',
          ISSUER,
          '--certificate-oidc-issuer-regexp',
          '.*',
        )
      ).code,
    ).toBe(2);
  });
});
