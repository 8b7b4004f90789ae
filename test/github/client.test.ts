import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  GithubError,
  createGithubClient,
  fetchAttestationBundles,
  listReleaseAssets,
} from '../../src/github/index.ts';

/** A real local server that answers each API path with a fixed status and body. */
const answers = new Map<string, { status: number; body: string }>();
let server: Server;
let baseUrl = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const answer = answers.get(path) ?? { status: 404, body: '{"message":"Not Found"}' };
    res.writeHead(answer.status, { 'content-type': 'application/json' });
    res.end(answer.body);
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((done) => server.close(done));
});

const REF = { owner: 'acme', repo: 'agent', tag: 'v1' };
const RELEASE = '/repos/acme/agent/releases/tags/v1';
const DIGEST = 'cd'.repeat(32);
const ATTESTATIONS = `/repos/acme/agent/attestations/sha256:${DIGEST}`;

async function failure(promise: Promise<unknown>): Promise<GithubError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(GithubError);
  return error as GithubError;
}

describe('GitHub REST answers are checked before use', () => {
  const client = () => createGithubClient({ apiBaseUrl: baseUrl, allowInsecureLoopback: true });

  it('reads the assets of a well-formed release', async () => {
    answers.set(RELEASE, {
      status: 200,
      body: JSON.stringify({
        assets: [
          { name: 'a.msi', size: 3, url: `${baseUrl}/api/1`, browser_download_url: `${baseUrl}/dl/a.msi` },
        ],
      }),
    });
    expect(await listReleaseAssets(client(), REF)).toEqual([
      { name: 'a.msi', size: 3, apiUrl: `${baseUrl}/api/1`, browserUrl: `${baseUrl}/dl/a.msi` },
    ]);
  });

  it.each([
    ['not JSON', '{"assets": [', /invalid JSON/],
    ['no assets list', '{"assets": {}}', /no assets list/],
    [
      'an asset without a size',
      '{"assets": [{"name": "a", "url": "u", "browser_download_url": "b"}]}',
      /asset 0 lacks/,
    ],
    [
      'a negative size',
      '{"assets": [{"name": "a", "size": -1, "url": "u", "browser_download_url": "b"}]}',
      /asset 0 lacks/,
    ],
  ])('rejects a release answer with %s', async (_, body, message) => {
    answers.set(RELEASE, { status: 200, body });
    const error = await failure(listReleaseAssets(client(), REF));
    expect(error.code).toBe('GITHUB_HTTP');
    expect(error.message).toMatch(message);
  });

  it('a missing release is GITHUB_NOT_FOUND; missing attestations are an empty list', async () => {
    answers.delete(RELEASE);
    expect((await failure(listReleaseAssets(client(), REF))).code).toBe('GITHUB_NOT_FOUND');
    expect(await fetchAttestationBundles(client(), REF, DIGEST)).toEqual([]);
  });

  it.each([
    ['an attestations field that is not a list', '{"attestations": 3}', /no attestations list/],
    ['an entry with neither bundle nor bundle_url', '{"attestations": [{"bundle": null}]}', /neither bundle/],
  ])('rejects an attestations answer with %s', async (_, body, message) => {
    answers.set(ATTESTATIONS, { status: 200, body });
    const error = await failure(fetchAttestationBundles(client(), REF, DIGEST));
    expect(error.message).toMatch(message);
  });

  it('sends the token as a bearer token to the API and never shows it in errors', async () => {
    answers.set(RELEASE, { status: 401, body: '{"message":"Bad credentials"}' });
    const error = await failure(
      listReleaseAssets(
        createGithubClient({ apiBaseUrl: baseUrl, allowInsecureLoopback: true, token: 'ghp_x1' }),
        REF,
      ),
    );
    expect(error.message).toContain('HTTP 401');
    expect(error.message).not.toContain('ghp_x1');
  });
});
