import { defaults } from '../defaults.ts';
import { errorMessage } from '../errors.ts';
import { parseStrictJson, type JsonValue } from '../json/index.ts';
import { fetchBytes } from './download.ts';
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
  const body = await fetchBytes(`${client.apiBaseUrl}${path}`, {
    maxBytes: defaults.githubMaxApiResponseBytes,
    headers: {
      accept: 'application/vnd.github+json',
      'x-github-api-version': '2022-11-28',
      ...(client.token ? { authorization: `Bearer ${client.token}` } : {}),
    },
    allowInsecureLoopback: client.allowInsecureLoopback,
    ...(client.timeoutMs !== undefined ? { bodyTimeoutMs: client.timeoutMs } : {}),
  });
  try {
    return parseStrictJson(body.toString('utf8'), what).value;
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
