import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

import { beforeAll, describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import type { Report } from '../../src/report/report.ts';
import { startFakeGithub, type FakeAttestation } from '../fixtures/github/server.ts';
import {
  ARTIFACT_NAME,
  GOOD_PROVENANCE,
  artifactBytes,
  generateSigstoreFixtures,
  type SigstoreFixtures,
} from '../fixtures/sigstore/generate.ts';
import { captureIo } from '../helpers/io.ts';
import { artifactFor, baseManifest, workspace } from '../helpers/signed-manifest.ts';

const snappy = createRequire(import.meta.url)('snappyjs') as { compress(data: Uint8Array): Uint8Array };
const REF = { owner: 'acme', repo: 'agent', tag: 'v7.4.2' };

let fixtures: SigstoreFixtures;
let attestation: FakeAttestation;
beforeAll(async () => {
  fixtures = await generateSigstoreFixtures();
  attestation = {
    sha256: fixtures.artifactSha256,
    bundle: JSON.parse((await readFile(fixtures.provenance.good, 'utf8')).trim()) as unknown,
    viaUrl: true,
  };
});

async function server(withAttestation: boolean) {
  return startFakeGithub({
    ...REF,
    assets: [
      { name: ARTIFACT_NAME, body: artifactBytes() },
      // An evidence asset: downloaded beside the artifact, never verified or pinned as one.
      ...(withAttestation
        ? [{ name: `${ARTIFACT_NAME}.sigstore.json`, body: Buffer.from(JSON.stringify(attestation.bundle)) }]
        : []),
    ],
    attestations: withAttestation ? [attestation] : [],
    snappyCompress: (data) => snappy.compress(data),
  });
}

async function signedWorkspace() {
  const ws = await workspace();
  await ws.writeManifest(
    baseManifest({
      signers: {
        provenance: [
          {
            builder: GOOD_PROVENANCE.builder,
            source: 'github.com/acme/agent',
            ref: 'refs/tags/v*',
            workflow: GOOD_PROVENANCE.workflow,
          },
        ],
      },
      policy: { target: '7.4.2', requireProvenance: true },
      releases: [
        { version: '7.4.2', artifacts: [artifactFor(ARTIFACT_NAME, artifactBytes(), 'windows-x64')] },
      ],
    }),
  );
  return ws;
}

describe('verify github:owner/repo@tag', () => {
  it('downloads the release, fetches its attestations and verifies like local files', async () => {
    const gh = await server(true);
    try {
      const ws = await signedWorkspace();
      const captured = captureIo(ws.dir, undefined, {
        RMM_VERIFY_GITHUB_API: gh.baseUrl,
        RMM_VERIFY_INSECURE_LOOPBACK: '1',
      });
      const code = await main(
        [
          'verify',
          'github:acme/agent@v7.4.2',
          '--manifest',
          ws.manifestPath,
          '--trust',
          ws.trustPath,
          '--no-state',
          '--trusted-root',
          fixtures.trustedRoot,
          '--format',
          'json',
        ],
        captured.io,
      );
      const report = JSON.parse(captured.stdout()) as Report;
      expect(captured.stderr()).toBe('');
      expect(code).toBe(0);
      expect(report.findings.map((f) => f.code)).toContain('PROVENANCE_VERIFIED');
      expect(report.subjects.map((s) => s.subject)).toContain(`github:acme/agent@v7.4.2/${ARTIFACT_NAME}`);
      expect(gh.requests.length).toBeLessThanOrEqual(6);
    } finally {
      await gh.close();
    }
  });

  it('fails when the manifest requires provenance and the release has none', async () => {
    const gh = await server(false);
    try {
      const ws = await signedWorkspace();
      const captured = captureIo(ws.dir, undefined, {
        RMM_VERIFY_GITHUB_API: gh.baseUrl,
        RMM_VERIFY_INSECURE_LOOPBACK: '1',
      });
      const code = await main(
        [
          'verify',
          'github:acme/agent@v7.4.2',
          '--manifest',
          ws.manifestPath,
          '--trust',
          ws.trustPath,
          '--no-state',
          '--trusted-root',
          fixtures.trustedRoot,
        ],
        captured.io,
      );
      expect(code).toBe(1);
      expect(captured.stdout()).toContain('PROVENANCE_MISSING');
    } finally {
      await gh.close();
    }
  });

  it('refuses github: with --offline and explains rate limits', async () => {
    const gh = await server(false);
    try {
      const ws = await signedWorkspace();
      const env = {
        RMM_VERIFY_GITHUB_API: gh.baseUrl,
        RMM_VERIFY_INSECURE_LOOPBACK: '1',
        GITHUB_TOKEN: 'ghp_never_printed',
      };
      const offline = captureIo(ws.dir, undefined, env);
      const args = [
        'verify',
        'github:acme/agent@v7.4.2',
        '--manifest',
        ws.manifestPath,
        '--trust',
        ws.trustPath,
        '--no-state',
      ];
      expect(await main([...args, '--offline'], offline.io)).toBe(2);
      expect(offline.stderr()).toContain('--offline');
      gh.rateLimited = true;
      const limited = captureIo(ws.dir, undefined, env);
      expect(await main(args, limited.io)).toBe(2);
      expect(limited.stderr()).toMatch(/rate limit exceeded/);
      expect(limited.stderr() + limited.stdout()).not.toContain('ghp_never_printed');
    } finally {
      await gh.close();
    }
  });
});

describe('pin github:owner/repo@tag', () => {
  it('on a GitHub Enterprise host, refuses attestations whose certificate names another host', async () => {
    const gh = await server(true);
    try {
      const ws = await workspace();
      // The local server stands in for ghe.example.com's API: the release's repository is
      // ghe.example.com/acme/agent, but the attestation was built in github.com/acme/agent.
      const captured = captureIo(ws.dir, undefined, {
        RMM_VERIFY_GITHUB_API: gh.baseUrl,
        GITHUB_SERVER_URL: 'https://ghe.example.com',
        RMM_VERIFY_INSECURE_LOOPBACK: '1',
        RMM_VERIFY_SIGSTORE_TRUSTED_ROOT: fixtures.trustedRoot,
      });
      const code = await main(
        [
          'pin',
          'github:acme/agent@v7.4.2',
          '--manifest',
          'new.json',
          '--version',
          '7.4.2',
          '--platform',
          'windows-x64',
          '--product',
          'acme-agent',
          '--vendor',
          'Acme RMM',
        ],
        captured.io,
      );
      expect(captured.stderr()).toContain('not ghe.example.com/acme/agent');
      expect(code).toBe(1);
    } finally {
      await gh.close();
    }
  });

  it('downloads the assets, verifies their attestations and pins them', async () => {
    const gh = await server(true);
    try {
      const ws = await workspace();
      const captured = captureIo(ws.dir, undefined, {
        RMM_VERIFY_GITHUB_API: gh.baseUrl,
        // The local server stands in for api.github.com, whose web host certificates name.
        GITHUB_SERVER_URL: 'https://github.com',
        RMM_VERIFY_INSECURE_LOOPBACK: '1',
        RMM_VERIFY_SIGSTORE_TRUSTED_ROOT: fixtures.trustedRoot,
      });
      const code = await main(
        [
          'pin',
          'github:acme/agent@v7.4.2',
          '--manifest',
          'new.json',
          '--version',
          '7.4.2',
          '--platform',
          'windows-x64',
          '--product',
          'acme-agent',
          '--vendor',
          'Acme RMM',
          '--token',
          'ghp_secret_token',
        ],
        captured.io,
      );
      expect(captured.stderr()).toContain('attestation verified');
      expect(captured.stderr()).not.toContain('ghp_secret_token');
      expect(code).toBe(0);
      const pinned = JSON.parse(await readFile(`${ws.dir}/new.json`, 'utf8')) as {
        releases: { artifacts: { name: string; digests: { sha256: string } }[] }[];
      };
      expect(pinned.releases[0]?.artifacts).toHaveLength(1);
      expect(pinned.releases[0]?.artifacts[0]).toMatchObject({
        name: ARTIFACT_NAME,
        digests: { sha256: fixtures.artifactSha256 },
      });
      expect(gh.authorization.get('/repos/acme/agent/releases/tags/v7.4.2')).toBe('Bearer ghp_secret_token');
      expect(gh.authorization.get(`/bundles/${fixtures.artifactSha256}/0`)).toBeUndefined();
    } finally {
      await gh.close();
    }
  });

  it('refuses to pin when an attestation does not verify', async () => {
    const gh = await startFakeGithub({
      ...REF,
      assets: [{ name: ARTIFACT_NAME, body: artifactBytes() }],
      attestations: [
        {
          ...attestation,
          bundle: JSON.parse(
            (await readFile(fixtures.provenance['bad-signature'], 'utf8')).trim(),
          ) as unknown,
          viaUrl: false,
        },
      ],
    });
    try {
      const ws = await workspace();
      const captured = captureIo(ws.dir, undefined, {
        RMM_VERIFY_GITHUB_API: gh.baseUrl,
        RMM_VERIFY_INSECURE_LOOPBACK: '1',
        RMM_VERIFY_SIGSTORE_TRUSTED_ROOT: fixtures.trustedRoot,
      });
      const code = await main(
        [
          'pin',
          'github:acme/agent@v7.4.2',
          '--manifest',
          'new.json',
          '--version',
          '7.4.2',
          '--platform',
          'windows-x64',
          '--product',
          'acme-agent',
          '--vendor',
          'Acme RMM',
        ],
        captured.io,
      );
      expect(code).toBe(1);
      expect(captured.stderr()).toContain('SIGSTORE_SIGNATURE_INVALID');
    } finally {
      await gh.close();
    }
  });
});
