import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import { loadManifestFile } from '../../src/manifest/load.ts';
import { loadTrustRoot, type TrustedIdentityDocument } from '../../src/manifest/trust-root.ts';
import { checkManifest } from '../../src/manifest/verify-trust.ts';
import { captureIo } from '../helpers/io.ts';
import { identityToken, startMockSigstore, type MockSigstore } from '../helpers/sigstore-mock.ts';
import {
  baseManifest,
  signatureFile,
  trustDocument,
  workspace,
  type Workspace,
} from '../helpers/signed-manifest.ts';
import { serializeManifest } from '../../src/manifest/pin.ts';

// `manifest sign --sigstore` end to end against a local Fulcio (with its CT log), Rekor and
// timestamp authority (@sigstore/mock's handlers on 127.0.0.1), the OIDC token fetched the way
// a GitHub Actions job gets it; then `manifest verify` offline against a trusted root built for
// the mock's keys, and the ways a keyless signature must be refused.
const ISSUER = 'https://token.actions.githubusercontent.com';
const WORKFLOW = 'https://github.com/acme/agent/.github/workflows/release.yml@refs/tags/v7.4.2';
const REPOSITORY = 'acme/agent';
const NOW = new Date();

let mock: MockSigstore;
let ws: Workspace;
let trustedRoot: string;
let manifestBytes: Buffer;
let bundlePath: string;
let bundleBytes: Buffer;
const tokenRequests: { audience: string | null; authorization: string | undefined }[] = [];

const identity = (overrides: Partial<TrustedIdentityDocument> = {}): TrustedIdentityDocument => ({
  name: 'acme release workflow',
  issuer: ISSUER,
  subject: WORKFLOW,
  repository: 'https://github.com/acme/agent',
  products: ['acme-agent'],
  ...overrides,
});

async function writeTrust(
  identities: TrustedIdentityDocument[],
  options: { threshold?: number; withKey?: boolean } = {},
) {
  const document = {
    ...trustDocument(options.withKey ? [{ key: ws.keys[0]! }] : [], options.threshold ?? 1),
    identities,
  };
  await writeFile(ws.trustPath, JSON.stringify(document, null, 2));
}

async function check(options: { bundlePaths?: string[]; manifestPath?: string } = {}) {
  return checkManifest(
    await loadManifestFile(options.manifestPath ?? ws.manifestPath),
    await loadTrustRoot(ws.trustPath),
    {
      now: NOW,
      trustedRoot,
      env: {},
      ...(options.bundlePaths ? { bundlePaths: options.bundlePaths } : {}),
    },
  );
}

async function cli(...args: string[]) {
  const captured = captureIo(ws.dir, NOW, {
    RMM_VERIFY_INSECURE_LOOPBACK: '1',
    ACTIONS_ID_TOKEN_REQUEST_URL: `${mock.url}/_apis/token?api-version=2.0`,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runtime-bearer',
    XDG_CACHE_HOME: join(ws.dir, 'xdg'),
  });
  const code = await main(args, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

beforeAll(async () => {
  mock = await startMockSigstore();
  // GitHub Actions' token service: GET with the runtime bearer and ?audience=sigstore.
  mock.route('GET', '/_apis/token', (url, headers) => {
    tokenRequests.push({
      audience: url.searchParams.get('audience'),
      authorization: headers.authorization as string | undefined,
    });
    return {
      status: 200,
      body: JSON.stringify({ value: identityToken({ sub: WORKFLOW, iss: ISSUER, repository: REPOSITORY }) }),
    };
  });
  ws = await workspace({ keyCount: 1, threshold: 1 });
  manifestBytes = await ws.writeManifest(
    baseManifest({
      issued: new Date(NOW.getTime() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z'),
      expires: new Date(NOW.getTime() + 30 * 86400_000).toISOString().replace(/\.\d+Z$/, 'Z'),
    }),
    [],
  );
  await writeFile(`${ws.manifestPath}.sig`, JSON.stringify({ schema: 1, signatures: [] }));
  trustedRoot = await ws.writeFile('sigstore/trusted_root.json', JSON.stringify(mock.trustedRoot));
  bundlePath = `${ws.manifestPath}.sigstore.json`;
}, 30_000);

afterAll(async () => {
  await mock.close();
});

describe('manifest sign --sigstore (local Fulcio, Rekor and TSA)', () => {
  it('signs with the GitHub Actions OIDC token and writes <manifest>.sigstore.json', async () => {
    const result = await cli(
      'manifest',
      'sign',
      'manifests/acme-agent.json',
      '--sigstore',
      '--fulcio-url',
      mock.url,
      '--rekor-url',
      mock.url,
      '--timestamp-server-url',
      mock.url,
    );
    expect(result.stderr).toContain(`keylessly as URI:${WORKFLOW}`);
    expect(result.stderr).toContain('OIDC token from GitHub Actions');
    expect(result.code).toBe(0);
    expect(tokenRequests).toEqual([{ audience: 'sigstore', authorization: 'Bearer runtime-bearer' }]);
    expect(mock.requests).toEqual(
      expect.arrayContaining([
        'POST /api/v2/signingCert',
        'POST /api/v1/log/entries',
        'POST /api/v1/timestamp',
      ]),
    );
    bundleBytes = await readFile(bundlePath);
    const bundle = JSON.parse(bundleBytes.toString('utf8')) as {
      mediaType: string;
      messageSignature?: unknown;
      verificationMaterial: {
        tlogEntries: unknown[];
        timestampVerificationData?: { rfc3161Timestamps: unknown[] };
      };
    };
    expect(bundle.mediaType).toMatch(/^application\/vnd\.dev\.sigstore\.bundle/);
    expect(bundle.messageSignature).toBeDefined();
    expect(bundle.verificationMaterial.tlogEntries).toHaveLength(1);
    expect(bundle.verificationMaterial.timestampVerificationData?.rfc3161Timestamps).toHaveLength(1);
    expect(await readFile(ws.manifestPath)).toEqual(manifestBytes); // never changed
  });

  it('takes an explicit --identity-token before the Actions token', async () => {
    const before = tokenRequests.length;
    const out = join(ws.dir, 'explicit.sigstore.json');
    const result = await cli(
      'manifest',
      'sign',
      'manifests/acme-agent.json',
      '--sigstore',
      '--bundle',
      out,
      '--identity-token',
      identityToken({ sub: 'release@acme.example', iss: 'https://accounts.acme.example' }),
      '--fulcio-url',
      mock.url,
      '--rekor-url',
      mock.url,
    );
    expect(result.code).toBe(0);
    expect(result.stderr).toContain('--identity-token');
    expect(tokenRequests).toHaveLength(before);
    await writeTrust(
      [
        identity({
          name: 'release manager',
          subject: 'release@acme.example',
          issuer: 'https://accounts.acme.example',
          repository: undefined as never,
        }),
      ].map(({ repository: _, ...rest }) => rest),
    );
    const checked = await check({ bundlePaths: [out] });
    expect(checked.findings.map((f) => f.code)).toEqual(['MANIFEST_VERIFIED']);
  });

  it('refuses plain http to a non-loopback host and --key with --sigstore', async () => {
    expect(
      (
        await cli(
          'manifest',
          'sign',
          'manifests/acme-agent.json',
          '--sigstore',
          '--fulcio-url',
          'http://fulcio.example',
        )
      ).code,
    ).toBe(2);
    expect(
      (await cli('manifest', 'sign', 'manifests/acme-agent.json', '--sigstore', '--key', 'k.pem')).code,
    ).toBe(2);
  });

  it('fails with exit 2 and says how to get a token when there is none', async () => {
    const captured = captureIo(ws.dir, NOW, {});
    const code = await main(['manifest', 'sign', 'manifests/acme-agent.json', '--sigstore'], captured.io);
    expect(code).toBe(2);
    expect(captured.stderr()).toContain('id-token: write');
  });
});

describe('manifest verify with trust-root identities (offline, the mock trusted root)', () => {
  it('trusts the manifest through the CLI with --trusted-root', async () => {
    await writeTrust([identity()]);
    const result = await cli(
      'manifest',
      'verify',
      'manifests/acme-agent.json',
      '--trusted-root',
      trustedRoot,
      '--no-state',
      '--format',
      'json',
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as { findings: { code: string; message: string }[] };
    expect(report.findings.map((f) => f.code)).toEqual(['MANIFEST_VERIFIED']);
    expect(report.findings[0]?.message).toContain('identity "acme release workflow"');
  });

  // [what the trust root says, the finding] — each a way the signer must not be accepted.
  const refused: [string, () => TrustedIdentityDocument[], string][] = [
    [
      'another subject (another workflow)',
      () => [identity({ subject: WORKFLOW.replace('release.yml', 'nightly.yml') })],
      'MANIFEST_SIGNATURE_UNKNOWN_IDENTITY',
    ],
    [
      'another issuer',
      () => [identity({ issuer: 'https://accounts.google.com' })],
      'MANIFEST_SIGNATURE_UNKNOWN_IDENTITY',
    ],
    [
      'a regexp that matches only unanchored',
      () => [{ ...withoutSubject(identity()), subjectRegExp: 'github\\.com/acme/agent/' }],
      'MANIFEST_SIGNATURE_UNKNOWN_IDENTITY',
    ],
    [
      'another repository',
      () => [identity({ repository: 'github.com/acme/agent-fork' })],
      'MANIFEST_SIGNATURE_UNKNOWN_IDENTITY',
    ],
    [
      'an identity scoped to another product',
      () => [identity({ products: ['other-agent'] })],
      'MANIFEST_IDENTITY_NOT_ALLOWED',
    ],
  ];
  for (const [name, identities, code] of refused) {
    it(`fails with ${code}: ${name}`, async () => {
      await writeTrust(identities());
      const result = await check();
      expect(result.trusted).toBe(false);
      expect(result.findings).toFailWith(code);
      expect(result.findings).toFailWith('MANIFEST_THRESHOLD_NOT_MET');
    });
  }

  it('accepts an anchored regexp that matches the whole subject', async () => {
    await writeTrust([
      {
        ...withoutSubject(identity()),
        subjectRegExp: 'https://github\\.com/acme/agent/\\.github/workflows/release\\.yml@refs/tags/v.+',
      },
    ]);
    const result = await check();
    expect(result.findings.map((f) => f.code)).toEqual(['MANIFEST_VERIFIED']);
    expect(result.validIdentities).toEqual(['acme release workflow']);
  });

  it('fails with MANIFEST_SIGNATURE_INVALID for a tampered manifest', async () => {
    await writeTrust([identity()]);
    const tampered = Buffer.from(manifestBytes);
    tampered[tampered.indexOf('"serial": 5') + '"serial": '.length] = '6'.charCodeAt(0);
    const path = await ws.writeFile('manifests/tampered.json', tampered);
    await writeFile(`${path}.sigstore.json`, bundleBytes);
    const result = await check({ manifestPath: path });
    expect(result.findings).toFailWith('MANIFEST_SIGNATURE_INVALID');
    const invalid = result.findings.find((f) => f.code === 'MANIFEST_SIGNATURE_INVALID');
    expect(invalid?.evidence['reason']).toBe('SIGSTORE_ARTIFACT_MISMATCH');
  });

  it('fails with MANIFEST_SIGNATURE_INVALID for a bundle made for another manifest', async () => {
    await writeTrust([identity()]);
    const other = await ws.writeFile('manifests/other.json', serializeManifest(baseManifest({ serial: 9 })));
    await writeFile(`${other}.sigstore.json`, bundleBytes);
    const result = await check({ manifestPath: other });
    expect(result.trusted).toBe(false);
    expect(result.findings).toFailWith('MANIFEST_SIGNATURE_INVALID');
  });

  it('fails with MANIFEST_SIGNATURE_INVALID when the trusted root is not the one that issued the certificate', async () => {
    await writeTrust([identity()]);
    const result = await checkManifest(
      await loadManifestFile(ws.manifestPath),
      await loadTrustRoot(ws.trustPath),
      {
        now: NOW,
        env: { XDG_CACHE_HOME: join(ws.dir, 'no-cache') }, // the vendored public-good root
      },
    );
    expect(result.findings).toFailWith('MANIFEST_SIGNATURE_INVALID');
    // The mock's TSA, log and CA are all unknown to the public-good root; the first check to fail names it.
    expect([
      'SIGSTORE_CERTIFICATE_UNTRUSTED',
      'SIGSTORE_TIMESTAMP_INVALID',
      'SIGSTORE_TLOG_INVALID',
    ]).toContain(result.findings.find((f) => f.code === 'MANIFEST_SIGNATURE_INVALID')?.evidence['reason']);
  });

  it('counts keys and identities towards one threshold', async () => {
    await writeTrust([identity()], { threshold: 2, withKey: true });
    const alone = await check();
    expect(alone.findings).toFailWith('MANIFEST_THRESHOLD_NOT_MET');
    expect(alone.findings.find((f) => f.code === 'MANIFEST_THRESHOLD_NOT_MET')?.message).toContain(
      'signed by 1 of 2 required distinct trusted keys or identities (1 Sigstore bundle present)',
    );
    await writeFile(`${ws.manifestPath}.sig`, JSON.stringify(signatureFile(manifestBytes, [ws.keys[0]!])));
    try {
      const both = await check();
      expect(both.findings.map((f) => f.code)).toEqual(['MANIFEST_VERIFIED']);
      expect(both.validKeyIds).toHaveLength(1);
      expect(both.validIdentities).toHaveLength(1);
    } finally {
      await writeFile(`${ws.manifestPath}.sig`, JSON.stringify({ schema: 1, signatures: [] }));
    }
  });

  it('counts one certificate signer once, however many identities or bundles it matches', async () => {
    await writeTrust(
      [
        identity(),
        {
          ...withoutSubject(identity({ name: 'any acme workflow' })),
          subjectRegExp: 'https://github\\.com/acme/.+',
        },
      ],
      { threshold: 2 },
    );
    const copy = await ws.writeFile('copy.sigstore.json', bundleBytes);
    const result = await check({ bundlePaths: [bundlePath, copy] });
    expect(result.trusted).toBe(false);
    expect(result.findings).toFailWith('MANIFEST_THRESHOLD_NOT_MET');
    expect(result.validIdentities).toHaveLength(1);
  });

  it('rejects trust roots whose identities are malformed', async () => {
    const bad: [string, unknown][] = [
      ['both subject and subjectRegExp', { ...identity(), subjectRegExp: '.+' }],
      ['neither subject nor subjectRegExp', withoutSubject(identity())],
      ['an invalid regexp', { ...withoutSubject(identity()), subjectRegExp: '(' }],
    ];
    for (const [, entry] of bad) {
      await writeFile(
        ws.trustPath,
        JSON.stringify({ schema: 1, threshold: 1, keys: [], identities: [entry] }),
      );
      await expect(loadTrustRoot(ws.trustPath)).rejects.toMatchObject({ code: 'TRUST_ROOT_INVALID' });
    }
    await writeFile(ws.trustPath, JSON.stringify({ schema: 1, threshold: 1, keys: [], identities: [] }));
    await expect(loadTrustRoot(ws.trustPath)).rejects.toThrow(/no keys and no identities/);
  });
});

function withoutSubject(entry: TrustedIdentityDocument): Omit<TrustedIdentityDocument, 'subject'> {
  const { subject: _subject, ...rest } = entry;
  return rest;
}
