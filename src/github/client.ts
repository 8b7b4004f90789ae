import { defaults } from '../defaults.ts';
import { errorMessage } from '../errors.ts';
import { parseStrictJson, type JsonValue } from '../json/index.ts';
import { fetchDocument } from './download.ts';
import { GithubError } from './errors.ts';
import { checkUrl } from './url-policy.ts';

export const GITHUB_API = 'https://api.github.com';

export interface GithubClientOptions {
  /** Never printed or logged; sent only to the API origin. */
  readonly token?: string;
  /** API base URL (tests: a local server). */
  readonly apiBaseUrl?: string;
  readonly allowInsecureLoopback?: boolean;
  /** Milliseconds per API request (headers, then between body chunks). */
  readonly timeoutMs?: number;
}

/**
 * What the GitHub code needs to call the REST API: two GET endpoints (a release by tag, the
 * attestations of a digest). A plain bounded GET through the download code replaces Octokit,
 * which brought 18 MB and 17 packages into the install for these two calls.
 */
export interface GithubClient {
  readonly apiBaseUrl: string;
  readonly token?: string;
  readonly allowInsecureLoopback: boolean;
  /** Milliseconds per API request; default `githubBodyTimeoutMs` (shared connection pool). */
  readonly timeoutMs?: number;
}

export function createGithubClient(options: GithubClientOptions = {}): GithubClient {
  const allowInsecureLoopback = options.allowInsecureLoopback === true;
  const apiBaseUrl = checkUrl(options.apiBaseUrl ?? GITHUB_API, allowInsecureLoopback).href.replace(
    /\/+$/,
    '',
  );
  return {
    apiBaseUrl,
    ...(options.token ? { token: options.token } : {}),
    allowInsecureLoopback,
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
  };
}

/**
 * GET a REST API path (`/repos/o/r/releases/tags/t`) as JSON: bounded size, retried on 5xx and
 * resets, the token sent to the API origin only. Failures are GithubErrors (404 is
 * `GITHUB_NOT_FOUND`, rate limits are explained) that never show the token.
 */
export async function getApiJson(client: GithubClient, path: string, what: string): Promise<JsonValue> {
  return (await getApiPage(client, `${client.apiBaseUrl}${path}`, what)).json;
}

/**
 * One page of a paginated REST answer, with the `Link: <…>; rel="next"` URL when there is one
 * ("Using pagination in the REST API"). A next link off the API origin is refused: the token
 * goes to the API origin only.
 */
export async function getApiPage(
  client: GithubClient,
  url: string,
  what: string,
): Promise<{ json: JsonValue; next?: string }> {
  const { body, headers } = await fetchDocument(url, {
    maxBytes: defaults.githubMaxApiResponseBytes,
    headers: {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      ...(client.token ? { authorization: `Bearer ${client.token}` } : {}),
    },
    allowInsecureLoopback: client.allowInsecureLoopback,
    ...(client.timeoutMs !== undefined ? { bodyTimeoutMs: client.timeoutMs } : {}),
  });
  const link = headers['link'];
  const next = nextLink(Array.isArray(link) ? link.join(', ') : link);
  if (next !== undefined && new URL(next, url).origin !== new URL(client.apiBaseUrl).origin) {
    throw new GithubError(
      'GITHUB_HTTP',
      `${what}: the next page link leaves the API origin (${new URL(next, url).origin})`,
    );
  }
  try {
    return {
      json: parseStrictJson(body.toString('utf8'), what).value,
      ...(next !== undefined ? { next: new URL(next, url).href } : {}),
    };
  } catch (error: unknown) {
    throw new GithubError(
      'GITHUB_HTTP',
      `${what}: the API answered with invalid JSON: ${errorMessage(error)}`,
      {
        cause: error,
      },
    );
  }
}

/** The `rel="next"` target of an RFC 8288 Link header, as GitHub writes it. */
export function nextLink(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(/,\s*(?=<)/)) {
    const match = /^<([^>]*)>\s*;(.*)$/.exec(part.trim());
    if (match && /(?:^|;)\s*rel="?(?:[^";]*\s)?next(?:\s[^";]*)?"?\s*(?:;|$)/.test(match[2] ?? ''))
      return match[1];
  }
  return undefined;
}

/**
 * The web host of a GitHub API base URL, for matching repositories in certificates:
 * `https://api.github.com` → `github.com`, GHE.com `https://api.acme.ghe.com` → `acme.ghe.com`,
 * GitHub Enterprise Server `https://ghe.example.com/api/v3` → `ghe.example.com`.
 */
export function githubWebHost(apiBaseUrl: string): string {
  const host = new URL(apiBaseUrl).host.toLowerCase();
  return host.startsWith('api.') ? host.slice(4) : host;
}
