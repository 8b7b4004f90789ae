import { Octokit } from '@octokit/rest';

import { defaults } from '../defaults.ts';
import { errorMessage } from '../errors.ts';
import { GithubError } from './errors.ts';
import { httpError } from './download.ts';
import { checkUrl } from './url-policy.ts';

export const GITHUB_API = 'https://api.github.com';

export interface GithubClientOptions {
  /** Never printed or logged; sent only to the API origin. */
  readonly token?: string;
  /** API base URL (tests: a local server). */
  readonly apiBaseUrl?: string;
  readonly allowInsecureLoopback?: boolean;
  /** Milliseconds per API request. */
  readonly timeoutMs?: number;
}

export interface GithubClient {
  readonly octokit: Octokit;
  readonly apiBaseUrl: string;
  readonly token?: string;
  readonly allowInsecureLoopback: boolean;
}

export function createGithubClient(options: GithubClientOptions = {}): GithubClient {
  const allowInsecureLoopback = options.allowInsecureLoopback === true;
  const apiBaseUrl = checkUrl(options.apiBaseUrl ?? GITHUB_API, allowInsecureLoopback).href.replace(
    /\/+$/,
    '',
  );
  const timeoutMs = options.timeoutMs ?? defaults.githubApiTimeoutMs;
  const timedFetch: typeof fetch = (input, init) => {
    const signals = [AbortSignal.timeout(timeoutMs), ...(init?.signal ? [init.signal] : [])];
    return fetch(input, { ...init, signal: AbortSignal.any(signals) });
  };
  const octokit = new Octokit({
    ...(options.token ? { auth: options.token } : {}),
    baseUrl: apiBaseUrl,
    userAgent: 'rmm-verify',
    request: { fetch: timedFetch },
    // Octokit logs deprecations to the console; a CLI's stderr belongs to its own messages.
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
  });
  return { octokit, apiBaseUrl, ...(options.token ? { token: options.token } : {}), allowInsecureLoopback };
}

/** Turns an Octokit failure into a GithubError that explains rate limits and never shows the token. */
export function apiError(what: string, error: unknown): GithubError {
  if (typeof error === 'object' && error !== null && 'status' in error && typeof error.status === 'number') {
    const response = (error as { response?: { headers?: Record<string, string | undefined>; url?: string } })
      .response;
    return httpError(what, error.status, response?.headers ?? {});
  }
  return new GithubError('GITHUB_HTTP', `${what}: ${errorMessage(error)}`, { cause: error });
}
