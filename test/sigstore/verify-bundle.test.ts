import { readFile, writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { beforeAll, describe, expect, it } from 'vitest';

import { InputError } from '../../src/errors.ts';
import {
  anchoredIdentity,
  artifactDigests,
  exactIdentity,
  loadPublicGoodTrustedRoot,
  loadPublicKey,
  loadTrustedRoot,
  parseBundleBytes,
  verifyBundleFile,
  type BundlePolicy,
  type SigstoreTrust,
} from '../../src/sigstore/index.ts';
import {
  IDENTITY,
  ISSUER,
  generateSigstoreFixtures,
  type SigstoreFixtures,
} from '../fixtures/sigstore/generate.ts';

const REAL = fileURLToPath(new URL('../fixtures/sigstore/', import.meta.url));
const A_TXT = join(REAL, 'a.txt');
const A_TXT_BUNDLE = join(REAL, 'a.txt.sigstore');
const A_TXT_IDENTITY =
  'https://github.com/sigstore-conformance/extremely-dangerous-public-oidc-beacon/.github/workflows/extremely-dangerous-oidc-beacon.yml@refs/heads/main';
const GH_BUNDLE = join(REAL, 'gh_2.54.0_linux_armv6.tar.gz.sigstore');
const GH_DIGEST = { sha256: 'cd53809273ad6011fdd98e0244c5c2276b15f3dd1294e4715627ebd4f9c6e0f1' };
const GH_IDENTITY = 'https://github.com/cli/cli/.github/workflows/deployment.yml@refs/heads/trunk';
const GITHUB_ISSUER = 'https://token.actions.githubusercontent.com';

function identityPolicy(identity: string, issuer = GITHUB_ISSUER): BundlePolicy {
  return { identities: [{ identity: exactIdentity(identity), issuer }], keyBased: false };
}

let publicGood: SigstoreTrust;
let fixtures: SigstoreFixtures;
let generatedRoot: SigstoreTrust;
let work: string;

beforeAll(async () => {
  publicGood = await loadPublicGoodTrustedRoot();
  fixtures = await generateSigstoreFixtures();
  generatedRoot = await loadTrustedRoot(fixtures.trustedRoot);
  work = await mkdtemp(join(tmpdir(), 'rmm-sigstore-'));
});

describe('real public-good bundles, verified offline with the vendored trusted root', () => {
  it('verifies a v0.1 message-signature bundle (sigstore-conformance a.txt) from the file', async () => {
    const digests = await artifactDigests({ kind: 'file', path: A_TXT });
    const result = await verifyBundleFile(
      A_TXT_BUNDLE,
      digests,
      publicGood,
      identityPolicy(A_TXT_IDENTITY),
      'a.txt',
    );
    expect(result.ok).toBe(true);
    expect(result.findings.map((f) => f.code)).toEqual(['SIGSTORE_VERIFIED']);
    expect(result.verified?.facts['mediaType']).toBe('application/vnd.dev.sigstore.bundle+json;version=0.1');
  });

  it('verifies the same bundle from a sha256 digest alone (prehashed P-384 signature)', async () => {
    const digests = await artifactDigests({
      kind: 'digest',
      algorithm: 'sha256',
      hex: 'a0cfc71271d6e278e57cd332ff957c3f7043fdda354c4cbb190a30d56efa01bf',
    });
    const result = await verifyBundleFile(
      A_TXT_BUNDLE,
      digests,
      publicGood,
      identityPolicy(A_TXT_IDENTITY),
      'a.txt',
    );
    expect(result.ok).toBe(true);
  });

  it('fails a modified artifact with SIGSTORE_ARTIFACT_MISMATCH', async () => {
    const modified = join(work, 'a.txt');
    await writeFile(modified, `${await readFile(A_TXT, 'utf8')}!`);
    const digests = await artifactDigests({ kind: 'file', path: modified });
    const result = await verifyBundleFile(
      A_TXT_BUNDLE,
      digests,
      publicGood,
      identityPolicy(A_TXT_IDENTITY),
      'a.txt',
    );
    expect(result.ok).toBe(false);
    expect(result.findings).toFailWith('SIGSTORE_ARTIFACT_MISMATCH');
  });

  it('fails a wrong identity, and anchors identity regexps', async () => {
    const digests = await artifactDigests({ kind: 'file', path: A_TXT });
    const wrong = await verifyBundleFile(
      A_TXT_BUNDLE,
      digests,
      publicGood,
      identityPolicy(GH_IDENTITY),
      'a.txt',
    );
    expect(wrong.findings).toFailWith('SIGSTORE_IDENTITY_MISMATCH');
    // Unanchored, this prefix would match (sigstore-js behaviour); anchored it must not.
    const prefix: BundlePolicy = {
      identities: [
        { identity: anchoredIdentity('https://github\\.com/sigstore-conformance/'), issuer: GITHUB_ISSUER },
      ],
      keyBased: false,
    };
    expect((await verifyBundleFile(A_TXT_BUNDLE, digests, publicGood, prefix, 'a.txt')).findings).toFailWith(
      'SIGSTORE_IDENTITY_MISMATCH',
    );
    const full: BundlePolicy = {
      identities: [
        {
          identity: anchoredIdentity('https://github\\.com/sigstore-conformance/.*@refs/heads/main'),
          issuer: GITHUB_ISSUER,
        },
      ],
      keyBased: false,
    };
    expect((await verifyBundleFile(A_TXT_BUNDLE, digests, publicGood, full, 'a.txt')).ok).toBe(true);
  });

  it('fails a wrong OIDC issuer with SIGSTORE_ISSUER_MISMATCH', async () => {
    const digests = await artifactDigests({ kind: 'file', path: A_TXT });
    const result = await verifyBundleFile(
      A_TXT_BUNDLE,
      digests,
      publicGood,
      identityPolicy(A_TXT_IDENTITY, 'https://accounts.google.com'),
      'a.txt',
    );
    expect(result.findings).toFailWith('SIGSTORE_ISSUER_MISMATCH');
  });

  it('verifies a real GitHub artifact attestation (v0.3, DSSE, SLSA v1) by subject digest', async () => {
    const result = await verifyBundleFile(
      GH_BUNDLE,
      GH_DIGEST,
      publicGood,
      identityPolicy(GH_IDENTITY),
      'gh.tar.gz',
    );
    expect(result.ok).toBe(true);
    expect(result.verified?.statement?.predicateType).toBe('https://slsa.dev/provenance/v1');
    expect(result.verified?.signer?.sourceRepositoryUri).toBe('https://github.com/cli/cli');
    expect(result.verified?.signer?.sourceRepositoryRef).toBe('refs/heads/trunk');
  });

  it('fails a statement whose subject is another artifact with SIGSTORE_SUBJECT_MISMATCH', async () => {
    const result = await verifyBundleFile(
      GH_BUNDLE,
      { sha256: 'ab'.repeat(32) },
      publicGood,
      identityPolicy(GH_IDENTITY),
      'x',
    );
    expect(result.findings).toFailWith('SIGSTORE_SUBJECT_MISMATCH');
  });

  it('fails tampered bundle fields, each with its own code', async () => {
    interface RawBundle {
      mediaType: string;
      verificationMaterial: { tlogEntries: { integratedTime: string }[]; certificate: { rawBytes: string } };
      dsseEnvelope: { signatures: { sig: string }[] };
    }
    const original = JSON.parse(await readFile(GH_BUNDLE, 'utf8')) as RawBundle;
    const cases: [string, (b: RawBundle) => void, string][] = [
      [
        'integratedTime',
        (b) => {
          const entry = b.verificationMaterial.tlogEntries[0];
          if (entry) entry.integratedTime = '1722534330';
        },
        'SIGSTORE_TLOG_INVALID',
      ],
      [
        'signature',
        (b) => {
          b.dsseEnvelope.signatures = [{ sig: Buffer.alloc(70, 1).toString('base64') }];
        },
        'SIGSTORE_TLOG_INVALID',
      ],
      [
        'mediaType',
        (b) => (b.mediaType = 'application/vnd.dev.sigstore.bundle.v9+json'),
        'SIGSTORE_BUNDLE_INVALID',
      ],
      [
        'certificate',
        (b) => (b.verificationMaterial.certificate.rawBytes = 'MIIB'),
        'SIGSTORE_BUNDLE_INVALID',
      ],
    ];
    for (const [field, mutate, code] of cases) {
      const bundle = structuredClone(original);
      mutate(bundle);
      const file = join(work, `tampered-${field}.sigstore.json`);
      await writeFile(file, JSON.stringify(bundle));
      const result = await verifyBundleFile(file, GH_DIGEST, publicGood, identityPolicy(GH_IDENTITY), 'gh');
      expect(result.ok, field).toBe(false);
      expect(result.findings, field).toFailWith(code);
    }
  });

  it('fails a bundle from an unknown root with SIGSTORE_CERTIFICATE_UNTRUSTED', async () => {
    const digests = await artifactDigests({ kind: 'file', path: A_TXT });
    const result = await verifyBundleFile(
      A_TXT_BUNDLE,
      digests,
      generatedRoot,
      identityPolicy(A_TXT_IDENTITY),
      'a.txt',
    );
    expect(result.findings).toFailWith('SIGSTORE_CERTIFICATE_UNTRUSTED');
  });
});

describe('generated bundles (test CA, test Rekor, ECDSA P-256)', () => {
  it('verifies a certificate message signature and a DSSE provenance statement', async () => {
    const digests = await artifactDigests({ kind: 'file', path: fixtures.artifact });
    const policy = identityPolicy(IDENTITY, ISSUER);
    expect(
      (await verifyBundleFile(fixtures.certificateMessageBundle, digests, generatedRoot, policy, 'a')).ok,
    ).toBe(true);
    expect((await verifyBundleFile(fixtures.provenance.good, digests, generatedRoot, policy, 'a')).ok).toBe(
      true,
    );
  });

  it('fails an expired root with SIGSTORE_ROOT_EXPIRED', async () => {
    const expired = await loadTrustedRoot(fixtures.expiredTrustedRoot);
    const digests = await artifactDigests({ kind: 'file', path: fixtures.artifact });
    const result = await verifyBundleFile(
      fixtures.certificateMessageBundle,
      digests,
      expired,
      identityPolicy(IDENTITY, ISSUER),
      'a',
    );
    expect(result.findings).toFailWith('SIGSTORE_ROOT_EXPIRED');
  });

  it('fails a signature that does not verify with SIGSTORE_SIGNATURE_INVALID', async () => {
    const digests = await artifactDigests({ kind: 'file', path: fixtures.artifact });
    const result = await verifyBundleFile(
      fixtures.provenance['bad-signature'],
      digests,
      generatedRoot,
      identityPolicy(IDENTITY, ISSUER),
      'a',
    );
    expect(result.findings).toFailWith('SIGSTORE_SIGNATURE_INVALID');
  });

  it('fails a DSSE payload that is not an in-toto statement with SIGSTORE_STATEMENT_INVALID', async () => {
    const digests = await artifactDigests({ kind: 'file', path: fixtures.artifact });
    const result = await verifyBundleFile(
      fixtures.provenance['missing-type'],
      digests,
      generatedRoot,
      identityPolicy(IDENTITY, ISSUER),
      'a',
    );
    expect(result.findings).toFailWith('SIGSTORE_STATEMENT_INVALID');
  });

  it('verifies key-based bundles only with the right key', async () => {
    const digests = await artifactDigests({ kind: 'file', path: fixtures.artifact });
    const withKey = async (keyPath?: string) =>
      verifyBundleFile(
        fixtures.messageBundle,
        digests,
        await loadTrustedRoot(fixtures.trustedRoot, keyPath ? { key: await loadPublicKey(keyPath) } : {}),
        { identities: [], keyBased: keyPath !== undefined },
        'a',
      );
    expect((await withKey(fixtures.publicKey)).ok).toBe(true);
    expect((await withKey(fixtures.otherPublicKey)).findings).toFailWith('SIGSTORE_KEY_MISMATCH');
    expect((await withKey()).findings).toFailWith('SIGSTORE_KEY_MISMATCH');
  });

  it('fails a bundle without any transparency-log entry or timestamp', async () => {
    const bundle = JSON.parse(await readFile(fixtures.messageBundle, 'utf8')) as {
      verificationMaterial: { tlogEntries: unknown[] };
    };
    bundle.verificationMaterial.tlogEntries = [];
    const file = join(work, 'no-tlog.sigstore.json');
    await writeFile(file, JSON.stringify(bundle));
    const trust = await loadTrustedRoot(fixtures.trustedRoot, {
      key: await loadPublicKey(fixtures.publicKey),
    });
    const result = await verifyBundleFile(
      file,
      await artifactDigests({ kind: 'file', path: fixtures.artifact }),
      trust,
      { identities: [], keyBased: true },
      'a',
    );
    expect(result.findings).toFailWith('SIGSTORE_TIMESTAMP_INVALID');
  });

  it('fails a key-based bundle checked against a modified artifact', async () => {
    const modified = join(work, 'modified.msi');
    const bytes = await readFile(fixtures.artifact);
    bytes[100] = (bytes[100] ?? 0) ^ 1;
    await writeFile(modified, bytes);
    const trust = await loadTrustedRoot(fixtures.trustedRoot, {
      key: await loadPublicKey(fixtures.publicKey),
    });
    const result = await verifyBundleFile(
      fixtures.messageBundle,
      await artifactDigests({ kind: 'file', path: modified }),
      trust,
      { identities: [], keyBased: true },
      'a',
    );
    expect(result.findings).toFailWith('SIGSTORE_ARTIFACT_MISMATCH');
  });
});

describe('bundle parsing', () => {
  it('rejects malformed and hostile bundle files', () => {
    expect(() => parseBundleBytes(Buffer.from('{"mediaType": 1, "mediaType": 2}'), 'dup.json')).toThrow(
      InputError,
    );
    expect(() => parseBundleBytes(Buffer.from('{"mediaType": '), 'cut.json')).toThrow(InputError);
    expect(() => parseBundleBytes(Buffer.from(''), 'empty.json')).toThrow(InputError);
    expect(() => parseBundleBytes(Buffer.from('{}\n'.repeat(65)), 'many.jsonl')).toThrow(/limit is 64/);
    expect(parseBundleBytes(Buffer.from('[]'), 'array.json')[0]?.kind).toBe('invalid');
    const envelope = parseBundleBytes(
      Buffer.from('{"payloadType":"x","payload":"","signatures":[]}\n'),
      'a.intoto.jsonl',
    );
    expect(envelope[0]).toMatchObject({
      kind: 'invalid',
      reason: expect.stringMatching(/bare DSSE envelope/) as unknown,
    });
    expect(
      parseBundleBytes(
        Buffer.from('{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json"}'),
        'b.json',
      )[0]?.kind,
    ).toBe('invalid');
  });

  it('refuses a vendored trusted root whose bytes differ from the pinned digest', async () => {
    const { PUBLIC_GOOD_TRUSTED_ROOT_SHA256, publicGoodTrustedRootPath } =
      await import('../../src/sigstore/index.ts');
    const { createHash } = await import('node:crypto');
    const bytes = await readFile(publicGoodTrustedRootPath());
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(PUBLIC_GOOD_TRUSTED_ROOT_SHA256);
  });
});
