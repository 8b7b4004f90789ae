import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';

import { beforeAll, describe, expect, it } from 'vitest';

import { createGithubClient, fetchAttestationBundles, GithubError } from '../../src/github/index.ts';
import { exactIdentity, loadTrustedRoot, parseBundleJson, verifyBundle } from '../../src/sigstore/index.ts';
import {
  IDENTITY,
  ISSUER,
  artifactBytes,
  generateSigstoreFixtures,
  type SigstoreFixtures,
} from '../fixtures/sigstore/generate.ts';
import { startFakeGithub } from '../fixtures/github/server.ts';

const snappy = createRequire(import.meta.url)('snappyjs') as { compress(data: Uint8Array): Uint8Array };
const REF = { owner: 'acme', repo: 'agent', tag: 'v7.4.2' };

let fixtures: SigstoreFixtures;
let bundle: unknown;
beforeAll(async () => {
  fixtures = await generateSigstoreFixtures();
  bundle = JSON.parse((await readFile(fixtures.provenance.good, 'utf8')).trim());
});

describe('fetchAttestationBundles', () => {
  for (const viaUrl of [false, true]) {
    it(`returns bundles served ${viaUrl ? 'as snappy bundle_url' : 'inline'}, and they verify`, async () => {
      const server = await startFakeGithub({
        ...REF,
        assets: [{ name: 'acme-agent-7.4.2-x64.msi', body: artifactBytes() }],
        attestations: [{ sha256: fixtures.artifactSha256, bundle, viaUrl }],
        snappyCompress: (data) => snappy.compress(data),
      });
      try {
        const client = createGithubClient({ apiBaseUrl: server.baseUrl, allowInsecureLoopback: true });
        const bundles = await fetchAttestationBundles(client, REF, fixtures.artifactSha256);
        expect(bundles).toHaveLength(1);
        const parsed = parseBundleJson(bundles[0] ?? null, 'attestation');
        if (parsed.kind !== 'bundle') throw new Error(parsed.reason);
        const trust = await loadTrustedRoot(fixtures.trustedRoot);
        const result = verifyBundle(
          parsed.bundle,
          { sha256: fixtures.artifactSha256 },
          trust,
          { identities: [{ identity: exactIdentity(IDENTITY), issuer: ISSUER }], keyBased: false },
          { subject: 'a', bundleFile: 'attestation' },
        );
        expect(result.ok).toBe(true);
        expect(await fetchAttestationBundles(client, REF, 'ab'.repeat(32))).toEqual([]);
        expect(server.requests.filter((p) => p.startsWith('/bundles/')).length).toBe(viaUrl ? 1 : 0);
      } finally {
        await server.close();
      }
    });
  }

  it('explains a rate limit on the attestations endpoint', async () => {
    const server = await startFakeGithub({ ...REF, assets: [] });
    server.rateLimited = true;
    try {
      const client = createGithubClient({
        apiBaseUrl: server.baseUrl,
        allowInsecureLoopback: true,
        token: 't0ps3cret',
      });
      const error = await fetchAttestationBundles(client, REF, 'ab'.repeat(32)).catch((e: unknown) => e);
      expect((error as GithubError).code).toBe('GITHUB_RATE_LIMITED');
      expect((error as Error).message).not.toContain('t0ps3cret');
    } finally {
      await server.close();
    }
  });
});
