import { readFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';

import { afterEach, beforeAll, describe, expect, it } from 'vitest';

import {
  createGithubClient,
  fetchAttestationBundles,
  fetchBytes,
  GithubError,
} from '../../src/github/index.ts';
import { githubWebHost, nextLink } from '../../src/github/client.ts';
import { generateSigstoreFixtures, type SigstoreFixtures } from '../fixtures/sigstore/generate.ts';

// GitHub REST answers in the shapes the real endpoints give (GET
// /repos/{owner}/{repo}/attestations/{subject_digest}: `{ "attestations": [{ "bundle",
// "repository_id", "bundle_url" }] }`, paginated with `Link: <…&after=…>; rel="next"`, at most
// 100 per page; `bundle: null` with a `bundle_url` serving snappy JSON on blob storage; a 302
// from the API to another storage host; rate-limit answers), served by real HTTP servers on
// 127.0.0.1 ("api") and localhost ("storage", another host and origin).
const snappy = createRequire(import.meta.url)('snappyjs') as { compress(data: Uint8Array): Uint8Array };
const REF = { owner: 'acme', repo: 'agent', tag: 'v7.4.2' };
const TOKEN = 'ghs_recordedtokenrecordedtoken';

interface Seen {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}
type Route = (
  path: string,
  headers: IncomingHttpHeaders,
) => {
  status: number;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
};

async function serve(host: string, route: Route): Promise<{ url: string; seen: Seen[]; server: Server }> {
  const seen: Seen[] = [];
  const server = createServer((request, response) => {
    const path = request.url ?? '/';
    seen.push({ path, headers: request.headers });
    const answer = route(path, request.headers);
    response.writeHead(answer.status, answer.headers ?? {});
    response.end(answer.body ?? '');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://${host}:${(server.address() as AddressInfo).port}`, seen, server };
}

const servers: Server[] = [];
afterEach(async () => {
  for (const server of servers.splice(0)) {
    server.closeAllConnections();
    await new Promise<void>((resolve) =>
      server.close(() => {
        resolve();
      }),
    );
  }
});
async function start(host: string, route: Route) {
  const started = await serve(host, route);
  servers.push(started.server);
  return started;
}

let fixtures: SigstoreFixtures;
let bundle: unknown;
beforeAll(async () => {
  fixtures = await generateSigstoreFixtures();
  bundle = JSON.parse((await readFile(fixtures.provenance.good, 'utf8')).trim());
});

const jsonAnswer = (value: unknown, headers: Record<string, string> = {}) => ({
  status: 200,
  headers: { 'content-type': 'application/json; charset=utf-8', ...headers },
  body: JSON.stringify(value),
});

describe('attestations: the real endpoint shapes', () => {
  it('follows Link rel="next" pages, reads inline bundles and bundle_url blobs on another host, sends the token to the API only', async () => {
    const digest = fixtures.artifactSha256;
    const storage = await start('localhost', (path) =>
      path === '/blob/attestation-2'
        ? {
            status: 200,
            headers: { 'content-type': 'application/octet-stream' },
            body: snappy.compress(Buffer.from(JSON.stringify(bundle))),
          }
        : { status: 404 },
    );
    const base = `/repos/acme/agent/attestations/sha256:${digest}`;
    const api = await start('127.0.0.1', (path) => {
      if (path === `${base}?per_page=100`) {
        // Page 1: the legacy inline form (`bundle` set, `bundle_url` too).
        return jsonAnswer(
          {
            attestations: [
              { bundle, repository_id: 123456789, bundle_url: `${storage.url}/blob/attestation-1` },
            ],
          },
          { link: `<${api.url}${base}?per_page=100&after=Y3Vyc29yOjE%3D>; rel="next"` },
        );
      }
      if (path === `${base}?per_page=100&after=Y3Vyc29yOjE%3D`) {
        // Page 2 (last: no next link): the newer form, `bundle: null` and a snappy `bundle_url`.
        return jsonAnswer(
          {
            attestations: [
              { bundle: null, repository_id: 123456789, bundle_url: `${storage.url}/blob/attestation-2` },
            ],
          },
          {
            link: `<${api.url}${base}?per_page=100>; rel="first", <${api.url}${base}?per_page=100&before=Y3Vyc29yOjI%3D>; rel="prev"`,
          },
        );
      }
      return { status: 404, body: '{"message":"Not Found"}' };
    });
    const client = createGithubClient({ apiBaseUrl: api.url, token: TOKEN, allowInsecureLoopback: true });
    const bundles = await fetchAttestationBundles(client, REF, digest);
    expect(bundles).toEqual([bundle, bundle]);
    expect(api.seen.map((s) => s.path)).toEqual([
      `${base}?per_page=100`,
      `${base}?per_page=100&after=Y3Vyc29yOjE%3D`,
    ]);
    expect(api.seen.every((s) => s.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
    expect(storage.seen.map((s) => s.path)).toEqual(['/blob/attestation-2']);
    expect(storage.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('a 302 from the API to a storage host drops the Authorization header', async () => {
    const storage = await start('localhost', () => ({ status: 200, body: 'asset bytes' }));
    const api = await start('127.0.0.1', () => ({
      status: 302,
      headers: { location: `${storage.url}/github-production-release-asset/1?X-Amz-Signature=abc` },
    }));
    const body = await fetchBytes(`${api.url}/repos/acme/agent/releases/assets/1`, {
      maxBytes: 1024,
      headers: { accept: 'application/octet-stream', authorization: `Bearer ${TOKEN}` },
      allowInsecureLoopback: true,
    });
    expect(body.toString()).toBe('asset bytes');
    expect(api.seen[0]?.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(storage.seen[0]?.headers.authorization).toBeUndefined();
    expect(storage.seen[0]?.headers.accept).toBeUndefined();
  });

  it('stops after a bounded number of pages and refuses a next link off the API origin', async () => {
    let page = 0;
    const api = await start('127.0.0.1', () => {
      page++;
      return jsonAnswer(
        { attestations: [] },
        { link: `<${api.url}/repos/acme/agent/attestations/x?after=${page}>; rel="next"` },
      );
    });
    const client = createGithubClient({ apiBaseUrl: api.url, allowInsecureLoopback: true });
    expect(await fetchAttestationBundles(client, REF, 'ab'.repeat(32))).toEqual([]);
    expect(api.seen).toHaveLength(10);

    const elsewhere = await start('127.0.0.1', () =>
      jsonAnswer({ attestations: [] }, { link: '<http://localhost:1/steal>; rel="next"' }),
    );
    const other = createGithubClient({
      apiBaseUrl: elsewhere.url,
      token: TOKEN,
      allowInsecureLoopback: true,
    });
    await expect(fetchAttestationBundles(other, REF, 'ab'.repeat(32))).rejects.toThrow(
      /leaves the API origin/,
    );
  });
});

describe('rate limits', () => {
  it('waits out a secondary rate limit (403 with retry-after) and retries', async () => {
    let calls = 0;
    const api = await start('127.0.0.1', () =>
      ++calls === 1
        ? {
            status: 403,
            headers: { 'retry-after': '1', 'content-type': 'application/json' },
            body: '{"message":"You have exceeded a secondary rate limit"}',
          }
        : jsonAnswer({ attestations: [] }),
    );
    const client = createGithubClient({ apiBaseUrl: api.url, allowInsecureLoopback: true });
    const started = Date.now();
    expect(await fetchAttestationBundles(client, REF, 'ab'.repeat(32))).toEqual([]);
    expect(calls).toBe(2);
    expect(Date.now() - started).toBeGreaterThanOrEqual(950);
  });

  it('gives up after the bounded retries and names the secondary limit', async () => {
    const api = await start('127.0.0.1', () => ({ status: 429, headers: { 'retry-after': '0' } }));
    const client = createGithubClient({ apiBaseUrl: api.url, token: TOKEN, allowInsecureLoopback: true });
    const error = await fetchAttestationBundles(client, REF, 'ab'.repeat(32)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GithubError);
    expect((error as GithubError).code).toBe('GITHUB_RATE_LIMITED');
    expect((error as Error).message).toMatch(
      /secondary rate limit \(HTTP 429, retry-after 0 s\).*still limited after 2 retries/,
    );
    expect((error as Error).message).not.toContain(TOKEN);
    expect(api.seen).toHaveLength(3);
  });

  it('waits for a primary limit that resets within a minute; names it when the reset is later', async () => {
    let calls = 0;
    const soon = await start('127.0.0.1', () =>
      ++calls === 1
        ? {
            status: 403,
            headers: {
              'x-ratelimit-limit': '60',
              'x-ratelimit-remaining': '0',
              'x-ratelimit-resource': 'core',
              'x-ratelimit-reset': String(Math.floor(Date.now() / 1000)),
            },
          }
        : jsonAnswer({ attestations: [] }),
    );
    const client = createGithubClient({ apiBaseUrl: soon.url, allowInsecureLoopback: true });
    expect(await fetchAttestationBundles(client, REF, 'ab'.repeat(32))).toEqual([]);
    expect(calls).toBe(2);

    const later = await start('127.0.0.1', () => ({
      status: 403,
      headers: {
        'x-ratelimit-limit': '60',
        'x-ratelimit-remaining': '0',
        'x-ratelimit-resource': 'core',
        'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      },
    }));
    const limited = createGithubClient({ apiBaseUrl: later.url, allowInsecureLoopback: true });
    const error = await fetchAttestationBundles(limited, REF, 'ab'.repeat(32)).catch((e: unknown) => e);
    expect((error as GithubError).code).toBe('GITHUB_RATE_LIMITED');
    expect((error as Error).message).toMatch(
      /primary rate limit exceeded until .*x-ratelimit-remaining 0 of 60, resource core.*GITHUB_TOKEN.*longer than the 60 s this run waits/,
    );
    expect(later.seen).toHaveLength(1);
  });
});

describe('GitHub Enterprise hosts', () => {
  it('derives the web host that certificates name from the API URL', () => {
    expect(githubWebHost('https://api.github.com')).toBe('github.com');
    expect(githubWebHost('https://api.acme.ghe.com')).toBe('acme.ghe.com');
    expect(githubWebHost('https://ghe.example.com/api/v3')).toBe('ghe.example.com');
  });

  it('reads RFC 8288 next links as GitHub writes them', () => {
    expect(
      nextLink(
        '<https://api.github.com/x?page=2>; rel="next", <https://api.github.com/x?page=5>; rel="last"',
      ),
    ).toBe('https://api.github.com/x?page=2');
    expect(nextLink('<https://api.github.com/x?page=1>; rel="prev"')).toBeUndefined();
    expect(nextLink(undefined)).toBeUndefined();
  });
});
