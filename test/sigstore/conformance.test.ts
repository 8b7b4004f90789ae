import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import type { FindingCode } from '../../src/findings.ts';
import { publicGoodTrustedRootPath } from '../../src/sigstore/index.ts';
import { captureIo } from '../helpers/io.ts';

// The Sigstore conformance suite's bundle-verify cases (see test/fixtures/sigstore/conformance/ORIGIN.md),
// run the way its harness runs a client: once with the artifact path, once with its sha256 digest.
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const CASES = join(ROOT, 'test', 'fixtures', 'sigstore', 'conformance', 'bundle-verify');
const DEFAULT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const DEFAULT_ISSUER = 'https://token.actions.githubusercontent.com';

/**
 * How each case is decided, path and digest alike: the one finding, or INPUT_ERROR (exit 2) for a
 * malformed bundle, key or trusted root. A `_fail` case passing, or failing for another reason
 * than its README gives, changes this table and shows up in review.
 */
const EXPECTED: Readonly<Record<string, FindingCode | 'INPUT_ERROR'>> = {
  'bundle-empty-certificate-chain_fail': 'SIGSTORE_BUNDLE_INVALID',
  'bundle-from-wrong-instance_fail': 'SIGSTORE_CERTIFICATE_UNTRUSTED',
  'bundle-invalid-base64-signature_fail': 'SIGSTORE_TLOG_INVALID',
  'bundle-malformed-json_fail': 'INPUT_ERROR',
  'bundle-negative-log-index_fail': 'SIGSTORE_TLOG_INVALID',
  'bundle-unknown-version_fail': 'SIGSTORE_BUNDLE_INVALID',
  'bundle-with-root-cert_fail': 'SIGSTORE_CERTIFICATE_UNTRUSTED',
  'bundle-with-sct-with-extensions': 'SIGSTORE_VERIFIED',
  'checkpoint-bad-keyhint_fail': 'SIGSTORE_TLOG_INVALID',
  'checkpoint-wrong-roothash_fail': 'SIGSTORE_TLOG_INVALID',
  'dsse-invalid-sig_fail': 'SIGSTORE_TLOG_INVALID',
  'dsse-mismatch-envelope_fail': 'SIGSTORE_TLOG_INVALID',
  'dsse-mismatch-sig_fail': 'SIGSTORE_TLOG_INVALID',
  'happy-path-intoto-in-dsse-v3': 'SIGSTORE_VERIFIED',
  'happy-path-v0.1': 'SIGSTORE_VERIFIED',
  'happy-path-v0.2': 'SIGSTORE_VERIFIED',
  'happy-path-v0.3': 'SIGSTORE_VERIFIED',
  'happy-path-v0.3-new-mediaType': 'SIGSTORE_VERIFIED',
  'inclusion-proof-corrupted-hash_fail': 'SIGSTORE_TLOG_INVALID',
  'incorrect-public-key_fail': 'SIGSTORE_TLOG_INVALID',
  'integrated-time-in-future_fail': 'SIGSTORE_CERTIFICATE_UNTRUSTED',
  'intoto-expired-certificate_fail': 'SIGSTORE_CERTIFICATE_UNTRUSTED',
  'intoto-log-entry-mismatch_fail': 'SIGSTORE_TLOG_INVALID',
  'intoto-missing-inclusion-proof_fail': 'SIGSTORE_BUNDLE_INVALID',
  'intoto-set-outside-signing-cert-validity_fail': 'SIGSTORE_CERTIFICATE_UNTRUSTED',
  'intoto-tsa-timestamp-outside-cert-validity_fail': 'SIGSTORE_CERTIFICATE_UNTRUSTED',
  'intoto-with-custom-trust-root': 'SIGSTORE_VERIFIED',
  'invalid-checkpoint-signature_fail': 'SIGSTORE_TLOG_INVALID',
  'invalid-ct-key_fail': 'SIGSTORE_CERTIFICATE_UNTRUSTED',
  'invalid-inclusion-proof_fail': 'SIGSTORE_BUNDLE_INVALID',
  'managed-key-and-trusted-root': 'SIGSTORE_VERIFIED',
  'managed-key-happy-path': 'SIGSTORE_VERIFIED',
  'managed-key-no-key_fail': 'SIGSTORE_KEY_MISMATCH',
  'managed-key-wrong-key_fail': 'INPUT_ERROR',
  'message-digest-mismatch_fail': 'SIGSTORE_ARTIFACT_MISMATCH',
  'rekor2-checkpoint-cosigned': 'SIGSTORE_VERIFIED',
  'rekor2-checkpoint-missing-log-signature_fail': 'SIGSTORE_TLOG_INVALID',
  'rekor2-checkpoint-missing-origin_fail': 'SIGSTORE_TLOG_INVALID',
  'rekor2-checkpoint-missing-root-hash_fail': 'SIGSTORE_TLOG_INVALID',
  'rekor2-checkpoint-missing-size_fail': 'SIGSTORE_TLOG_INVALID',
  'rekor2-checkpoint-multiple-cosigs': 'SIGSTORE_VERIFIED',
  'rekor2-checkpoint-no-matching-signature_fail': 'SIGSTORE_TLOG_INVALID',
  'rekor2-checkpoint-origin-not-first': 'SIGSTORE_VERIFIED',
  'rekor2-checkpoint-two-sigs-cosigned': 'SIGSTORE_VERIFIED',
  'rekor2-checkpoint-two-sigs-from-origin': 'SIGSTORE_VERIFIED',
  'rekor2-dsse-happy-path': 'SIGSTORE_VERIFIED',
  'rekor2-dsse-invalid-sig_fail': 'SIGSTORE_TLOG_INVALID',
  'rekor2-dsse-mismatch-envelope_fail': 'SIGSTORE_TLOG_INVALID',
  'rekor2-dsse-mismatch-sig_fail': 'SIGSTORE_TLOG_INVALID',
  'rekor2-happy-path': 'SIGSTORE_VERIFIED',
  'rekor2-no-inclusion-proof_fail': 'SIGSTORE_BUNDLE_INVALID',
  'rekor2-no-timestamp_fail': 'SIGSTORE_TIMESTAMP_INVALID',
  'rekor2-timestamp-outside-trust-root-tsa-validity_fail': 'SIGSTORE_ROOT_EXPIRED',
  'rekor2-timestamp-outside-tsa-cert-validity_fail': 'SIGSTORE_TIMESTAMP_INVALID',
  'rekor2-timestamp-payload-mismatch_fail': 'SIGSTORE_TIMESTAMP_INVALID',
  'rekor2-timestamp-untrusted-tsa-with-embedded-cert_fail': 'SIGSTORE_TIMESTAMP_INVALID',
  'rekor2-timestamp-untrusted-tsa-without-embedded-cert_fail': 'SIGSTORE_TIMESTAMP_INVALID',
  'rekor2-timestamp-with-embedded-cert': 'SIGSTORE_VERIFIED',
  'rekor2-timestamp-with-expired-cert-chain': 'SIGSTORE_VERIFIED',
  'rekor2-timestamp-with-incorrect-time_fail': 'SIGSTORE_CERTIFICATE_UNTRUSTED',
  'rekor2-timestamp-without-embedded-cert': 'SIGSTORE_VERIFIED',
  'set-invalid-signature_fail': 'SIGSTORE_TLOG_INVALID',
  'signature-mismatch_fail': 'SIGSTORE_TLOG_INVALID',
  'trust-root-tlog-missing-validity-start_fail': 'INPUT_ERROR',
  'trust-root-tlog-validity-end-inclusive': 'SIGSTORE_VERIFIED',
  'trust-root-tsa-validity-end-inclusive': 'SIGSTORE_VERIFIED',
  'wrong-hashedrekord-artifact_fail': 'SIGSTORE_TLOG_INVALID',
  'wrong-hashedrekord-cert-and-sig_fail': 'SIGSTORE_TLOG_INVALID',
  'wrong-hashedrekord-entry_fail': 'SIGSTORE_TLOG_INVALID',
  'wrong-material_fail': 'SIGSTORE_ARTIFACT_MISMATCH',
};

/** Cases whose reason is ours (sigstore-js alone accepts them): the message says why. */
const REASONS: Readonly<Record<string, string>> = {
  'bundle-with-root-cert_fail': 'includes a self-signed root certificate',
  'trust-root-tlog-missing-validity-start_fail': 'the log key has no validFor.start',
};

interface ConformanceCase {
  readonly name: string;
  readonly shouldFail: boolean;
  readonly args: (artifact: 'path' | 'digest') => string[];
}

function loadCases(): ConformanceCase[] {
  return readdirSync(CASES, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => {
      const dir = join(CASES, name);
      const optional = (file: string) => (existsSync(join(dir, file)) ? join(dir, file) : undefined);
      const artifact = optional('artifact') ?? join(CASES, 'a.txt');
      const digest = `sha256:${createHash('sha256').update(readFileSync(artifact)).digest('hex')}`;
      const key = optional('key.pub');
      const identityFile = optional('identity');
      const issuerFile = optional('issuer');
      const signer = key
        ? ['--key', key]
        : [
            '--certificate-identity',
            identityFile ? readFileSync(identityFile, 'utf8').trim() : DEFAULT_IDENTITY,
            '--certificate-oidc-issuer',
            issuerFile ? readFileSync(issuerFile, 'utf8').trim() : DEFAULT_ISSUER,
          ];
      const trustedRoot = optional('trusted_root.json') ?? publicGoodTrustedRootPath();
      return {
        name,
        shouldFail: name.endsWith('_fail'),
        args: (mode) => [
          'attest',
          'verify-bundle',
          '--bundle',
          join(dir, 'bundle.sigstore.json'),
          ...signer,
          '--trusted-root',
          trustedRoot,
          '--format',
          'json',
          mode === 'path' ? artifact : digest,
        ],
      };
    });
}

const cases = loadCases();

describe('Sigstore conformance suite, bundle-verify', () => {
  it('has every case of the copied suite, each with an expected decision', () => {
    // 70 directories at the pinned commit; a partial copy must not pass silently.
    expect(cases).toHaveLength(70);
    expect(cases.map((c) => c.name)).toEqual(Object.keys(EXPECTED).sort());
    for (const c of cases) expect(EXPECTED[c.name] === 'SIGSTORE_VERIFIED', c.name).toBe(!c.shouldFail);
    expect(cases.filter((c) => c.shouldFail).length).toBeGreaterThan(30);
  });

  describe.each(cases)('$name', (testCase) => {
    it.each(['path', 'digest'] as const)(
      testCase.shouldFail ? 'is rejected (%s)' : 'verifies (%s)',
      async (mode) => {
        const captured = captureIo(ROOT, new Date('2026-12-01T00:00:00Z'));
        const code = await main(testCase.args(mode), captured.io);
        const detail = `${captured.stdout()}\n${captured.stderr()}`;
        const reason = REASONS[testCase.name];
        if (reason !== undefined) expect(detail).toContain(reason);
        const expected = EXPECTED[testCase.name];
        if (expected === 'INPUT_ERROR') {
          expect(code, detail).toBe(2);
          return;
        }
        expect(code, detail).toBe(testCase.shouldFail ? 1 : 0);
        const report = JSON.parse(captured.stdout()) as { findings: { code: string }[] };
        expect(report.findings.map((f) => f.code)).toEqual([expected]);
      },
    );
  });
});
