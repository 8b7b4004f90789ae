import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import {
  IDENTITY,
  ISSUER,
  generateSigstoreFixtures,
  type SigstoreFixtures,
} from '../fixtures/sigstore/generate.ts';
import { captureIo } from '../helpers/io.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const REAL = join(ROOT, 'test', 'fixtures', 'sigstore');
const GH = join(REAL, 'gh_2.54.0_linux_armv6.tar.gz.sigstore');
const GH_DIGEST = 'sha256:cd53809273ad6011fdd98e0244c5c2276b15f3dd1294e4715627ebd4f9c6e0f1';
const GH_IDENTITY = 'https://github.com/cli/cli/.github/workflows/deployment.yml@refs/heads/trunk';
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

let fixtures: SigstoreFixtures;
beforeAll(async () => {
  fixtures = await generateSigstoreFixtures();
});

async function attest(...args: string[]) {
  const captured = captureIo(ROOT);
  const code = await main(['attest', ...args], captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

describe('rmm-verify attest', () => {
  it('verifies a real GitHub attestation offline by digest, cosign style', async () => {
    const run = await attest(
      'verify',
      GH_DIGEST,
      '--bundle',
      GH,
      '--offline',
      '--format',
      'json',
      '--certificate-identity',
      GH_IDENTITY,
      '--certificate-oidc-issuer',
      GITHUB_ISSUER,
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout) as { result: string; findings: { code: string }[] };
    expect(report.result).toBe('pass');
    expect(report.findings.map((f) => f.code)).toEqual(['SIGSTORE_VERIFIED']);
  });

  it('anchors --certificate-identity-regexp', async () => {
    const common = [
      'verify',
      GH_DIGEST,
      '--bundle',
      GH,
      '--offline',
      '--certificate-oidc-issuer',
      GITHUB_ISSUER,
    ];
    expect(
      (await attest(...common, '--certificate-identity-regexp', 'https://github\\.com/cli/cli/')).code,
    ).toBe(1);
    expect(
      (await attest(...common, '--certificate-identity-regexp', 'https://github\\.com/cli/cli/.*')).code,
    ).toBe(0);
  });

  it('exits 1 with the finding code on a wrong issuer', async () => {
    const run = await attest(
      'verify',
      GH_DIGEST,
      '--bundle',
      GH,
      '--offline',
      '--certificate-identity',
      GH_IDENTITY,
      '--certificate-oidc-issuer',
      'https://accounts.google.com',
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain('SIGSTORE_ISSUER_MISMATCH');
  });

  it('verifies key-based bundles with --key and --trusted-root (conformance form)', async () => {
    const ok = await attest(
      'verify-bundle',
      '--bundle',
      fixtures.messageBundle,
      '--key',
      fixtures.publicKey,
      '--trusted-root',
      fixtures.trustedRoot,
      fixtures.artifact,
    );
    expect(ok.code).toBe(0);
    const wrongKey = await attest(
      'verify-bundle',
      '--bundle',
      fixtures.messageBundle,
      '--key',
      fixtures.otherPublicKey,
      '--trusted-root',
      fixtures.trustedRoot,
      fixtures.artifact,
    );
    expect(wrongKey.code).toBe(1);
    expect(wrongKey.stdout).toContain('SIGSTORE_KEY_MISMATCH');
    const byDigest = await attest(
      'verify-bundle',
      '--bundle',
      fixtures.certificateMessageBundle,
      '--certificate-identity',
      IDENTITY,
      '--certificate-oidc-issuer',
      ISSUER,
      '--trusted-root',
      fixtures.trustedRoot,
      `sha256:${fixtures.artifactSha256}`,
    );
    expect(byDigest.code).toBe(0);
  });

  it('exits 2 on usage errors', async () => {
    expect((await attest('verify', GH_DIGEST, '--offline')).code).toBe(2); // no --bundle
    expect(
      (
        await attest(
          'verify',
          GH_DIGEST,
          '--bundle',
          GH,
          '--offline',
          '--certificate-oidc-issuer',
          GITHUB_ISSUER,
        )
      ).code,
    ).toBe(2);
    expect(
      (
        await attest(
          'verify',
          'sha256:abc',
          '--bundle',
          GH,
          '--offline',
          '--certificate-identity',
          'x',
          '--certificate-oidc-issuer',
          'y',
        )
      ).code,
    ).toBe(2);
    expect(
      (
        await attest(
          'verify',
          GH_DIGEST,
          '--bundle',
          GH,
          '--offline',
          '--certificate-identity-regexp',
          '(',
          '--certificate-oidc-issuer',
          'y',
        )
      ).code,
    ).toBe(2);
    expect((await attest('sign')).code).toBe(2);
    expect((await attest('verify', '--help')).code).toBe(0);
  });

  it('runs as a real process with the conformance-suite invocation', () => {
    const script = `import { main } from './src/cli/main.ts'; process.exitCode = await main(process.argv.slice(1));`;
    const run = (...args: string[]) =>
      spawnSync(process.execPath, ['--input-type=module', '-e', script, ...args], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 60_000,
      });
    const ok = run(
      'attest',
      'verify-bundle',
      '--bundle',
      join(REAL, 'a.txt.sigstore'),
      '--certificate-identity',
      'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main',
      '--certificate-oidc-issuer',
      GITHUB_ISSUER,
      '--offline',
      join(REAL, 'a.txt'),
    );
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    const bad = run(
      'attest',
      'verify-bundle',
      '--bundle',
      join(REAL, 'a.txt.sigstore'),
      '--certificate-identity',
      'someone',
      '--certificate-oidc-issuer',
      GITHUB_ISSUER,
      '--offline',
      join(REAL, 'a.txt'),
    );
    expect(bad.status).toBe(1);
  });
});
