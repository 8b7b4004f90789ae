import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import { basename, dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import type { Agent, Dispatcher } from 'undici';

import { defaults } from '../defaults.ts';
import { MultiHash, digestsEqual, type DigestAlgorithm, type Digests } from '../digest/index.ts';
import { errorMessage } from '../errors.ts';
import { GithubError } from './errors.ts';
import { checkUrl } from './url-policy.ts';

export interface FetchOptions {
  /** Never accept more than this many body bytes. */
  readonly maxBytes: number;
  /** Headers sent to the first URL's origin only (never to a redirect target elsewhere). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Allow plain http:// to 127.0.0.1 / ::1 / localhost (tests only). */
  readonly allowInsecureLoopback?: boolean;
  readonly connectTimeoutMs?: number;
  /** Longest wait for response headers or between body chunks. */
  readonly bodyTimeoutMs?: number;
  /** Extra attempts after a 5xx, a reset connection or a timeout. */
  readonly retries?: number;
  readonly retryBaseMs?: number;
  /** Extra attempts after a rate-limit answer whose wait is known and short (default githubRateLimitRetries). */
  readonly rateLimitRetries?: number;
  /** Longest wait for a rate limit to lift before giving up (default githubMaxRateLimitWaitMs). */
  readonly maxRateLimitWaitMs?: number;
  readonly maxRedirects?: number;
  readonly onProgress?: (bytes: number, total: number | undefined) => void;
  /** Injected in tests; default: an undici Agent with the timeouts above. */
  readonly dispatcher?: Dispatcher;
}

export interface DownloadOptions extends FetchOptions {
  /** Exact size required (the pinned or API-declared size). */
  readonly expectedSize?: number;
  /** Digests required before the file is renamed into place. */
  readonly expectedDigests?: Digests;
  readonly algorithms?: readonly DigestAlgorithm[];
}

export interface DownloadResult {
  readonly path: string;
  /** The URL the bytes finally came from (after redirects). */
  readonly url: string;
  readonly size: number;
  readonly digests: Digests;
}

/** Retryable transport failures: a reset connection or a timeout. */
class TransientError extends Error {}

/** A rate-limit answer: retried after `waitMs` when that is known and short, else reported. */
class RateLimitError extends Error {
  readonly error: GithubError;
  readonly waitMs: number | undefined;
  constructor(error: GithubError, waitMs: number | undefined) {
    super(error.message);
    this.error = error;
    this.waitMs = waitMs;
  }
}

const RETRYABLE_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNREFUSED',
  'UND_ERR_SOCKET',
  'UND_ERR_CLOSED',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

function errorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  return errorCode((error as { cause?: unknown }).cause);
}

interface Response {
  readonly url: string;
  readonly statusCode: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: Dispatcher.ResponseData['body'];
}

let sharedAgent: Agent | undefined;
async function agentFor(options: FetchOptions): Promise<Dispatcher> {
  if (options.dispatcher) return options.dispatcher;
  // undici loads on the first download, not with the library or the CLI.
  const { Agent } = await import('undici');
  if (options.connectTimeoutMs === undefined && options.bodyTimeoutMs === undefined) {
    sharedAgent ??= new Agent({
      connect: { timeout: defaults.githubConnectTimeoutMs },
      headersTimeout: defaults.githubBodyTimeoutMs,
      bodyTimeout: defaults.githubBodyTimeoutMs,
    });
    return sharedAgent;
  }
  return new Agent({
    connect: { timeout: options.connectTimeoutMs ?? defaults.githubConnectTimeoutMs },
    headersTimeout: options.bodyTimeoutMs ?? defaults.githubBodyTimeoutMs,
    bodyTimeout: options.bodyTimeoutMs ?? defaults.githubBodyTimeoutMs,
  });
}

/** GET with manual redirects: a hop limit, loop detection, https-only and header scoping. */
async function get(start: string, options: FetchOptions, dispatcher: Dispatcher): Promise<Response> {
  const { request } = await import('undici');
  const allowInsecure = options.allowInsecureLoopback === true;
  const maxRedirects = options.maxRedirects ?? defaults.githubMaxRedirects;
  const origin = checkUrl(start, allowInsecure).origin;
  const visited = new Set<string>();
  let url = checkUrl(start, allowInsecure);
  for (let hop = 0; ; hop++) {
    visited.add(url.href);
    const sameOrigin = url.origin === origin;
    let response;
    try {
      response = await request(url, {
        method: 'GET',
        dispatcher,
        headers: { 'user-agent': 'rmm-verify', ...(sameOrigin ? options.headers : {}) },
      });
    } catch (error: unknown) {
      const code = errorCode(error);
      if (code !== undefined && RETRYABLE_CODES.has(code)) throw new TransientError(`${url.host}: ${code}`);
      throw new GithubError('GITHUB_DOWNLOAD', `GET ${url.href} failed: ${errorMessage(error)}`, {
        cause: error,
      });
    }
    const { statusCode, headers, body } = response;
    if (statusCode >= 300 && statusCode < 400 && statusCode !== 304) {
      await body.dump();
      const location = headers['location'];
      if (typeof location !== 'string') {
        throw new GithubError(
          'GITHUB_DOWNLOAD',
          `GET ${url.href}: ${statusCode} redirect without a Location`,
        );
      }
      const next = checkUrl(new URL(location, url).href, allowInsecure);
      if (visited.has(next.href)) {
        throw new GithubError(
          'GITHUB_DOWNLOAD',
          `GET ${start}: redirect loop at ${next.href} after ${hop + 1} hop(s)`,
        );
      }
      if (hop + 1 > maxRedirects) {
        throw new GithubError('GITHUB_DOWNLOAD', `GET ${start}: more than ${maxRedirects} redirects`);
      }
      url = next;
      continue;
    }
    return { url: url.href, statusCode, headers, body };
  }
}

function header(headers: Response['headers'], name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/**
 * GitHub's rate limits (REST "Rate limits for the REST API"): the primary limit answers 403 or
 * 429 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset` (epoch seconds); a secondary limit
 * answers 403 or 429 with `retry-after` (seconds), or without it (wait at least a minute).
 * Undefined for any other answer.
 */
export function rateLimitOf(
  url: string,
  statusCode: number,
  headers: Response['headers'],
  now = Date.now(),
): { error: GithubError; waitMs: number | undefined } | undefined {
  if (statusCode !== 403 && statusCode !== 429) return undefined;
  const remaining = header(headers, 'x-ratelimit-remaining');
  const retryAfter = header(headers, 'retry-after');
  const reset = Number(header(headers, 'x-ratelimit-reset'));
  const limit = header(headers, 'x-ratelimit-limit');
  const resource = header(headers, 'x-ratelimit-resource');
  if (retryAfter !== undefined && /^\d{1,6}$/.test(retryAfter.trim())) {
    const seconds = Number(retryAfter.trim());
    return {
      waitMs: seconds * 1000,
      error: new GithubError(
        'GITHUB_RATE_LIMITED',
        `GitHub secondary rate limit (HTTP ${statusCode}, retry-after ${seconds} s) on GET ${url}: too many requests in a short time; wait and run again`,
      ),
    };
  }
  if (remaining === '0') {
    const when = Number.isFinite(reset) && reset > 0 ? new Date(reset * 1000) : undefined;
    return {
      waitMs: when === undefined ? undefined : Math.max(0, when.getTime() - now) + 1000,
      error: new GithubError(
        'GITHUB_RATE_LIMITED',
        `GitHub primary rate limit exceeded${when ? ` until ${when.toISOString()}` : ''} (HTTP ${statusCode} on GET ${url}, x-ratelimit-remaining 0${limit !== undefined ? ` of ${limit}` : ''}${resource !== undefined ? `, resource ${resource}` : ''}); unauthenticated requests get 60 an hour: set GITHUB_TOKEN or pass --token`,
      ),
    };
  }
  if (statusCode === 429) {
    return {
      waitMs: 60_000,
      error: new GithubError(
        'GITHUB_RATE_LIMITED',
        `GitHub secondary rate limit (HTTP 429, no retry-after) on GET ${url}; wait at least a minute and run again`,
      ),
    };
  }
  return undefined;
}

/** A non-2xx final response as a GithubError (rate limits explained). */
export function httpError(url: string, statusCode: number, headers: Response['headers']): GithubError {
  const limited = rateLimitOf(url, statusCode, headers);
  if (limited) return limited.error;
  if (statusCode === 404) return new GithubError('GITHUB_NOT_FOUND', `GET ${url}: 404 not found`);
  return new GithubError('GITHUB_HTTP', `GET ${url}: HTTP ${statusCode}`);
}

/** Runs one attempt function with bounded retries and exponential backoff. */
async function withRetries<T>(what: string, options: FetchOptions, attempt: () => Promise<T>): Promise<T> {
  const retries = options.retries ?? defaults.githubRetries;
  const base = options.retryBaseMs ?? defaults.githubRetryBaseMs;
  const rateLimitRetries = options.rateLimitRetries ?? defaults.githubRateLimitRetries;
  const maxWait = options.maxRateLimitWaitMs ?? defaults.githubMaxRateLimitWaitMs;
  const reasons: string[] = [];
  let limited = 0;
  for (let i = 0; ; i++) {
    try {
      return await attempt();
    } catch (error: unknown) {
      if (error instanceof RateLimitError) {
        // Wait as told when that is short; never past the retry budget or the longest wait.
        if (error.waitMs === undefined || error.waitMs > maxWait || limited >= rateLimitRetries) {
          const why =
            limited >= rateLimitRetries && limited > 0
              ? ` (still limited after ${limited} retr${limited === 1 ? 'y' : 'ies'})`
              : error.waitMs !== undefined && error.waitMs > maxWait
                ? ` (the limit lifts in ${Math.ceil(error.waitMs / 1000)} s, longer than the ${Math.round(maxWait / 1000)} s this run waits)`
                : '';
          throw new GithubError('GITHUB_RATE_LIMITED', `${error.error.message}${why}`);
        }
        limited++;
        await sleep(error.waitMs);
        continue;
      }
      if (!(error instanceof TransientError)) throw error;
      reasons.push(error.message);
      if (i >= retries) {
        throw new GithubError(
          'GITHUB_DOWNLOAD',
          `${what}: failed after ${i + 1} attempt(s): ${reasons.join('; ')}`,
        );
      }
      await sleep(base * 2 ** i);
    }
  }
}

/** Streams one response body to `onChunk`, enforcing the byte cap and the declared length. */
async function consume(
  response: Response,
  options: FetchOptions,
  onChunk: (chunk: Buffer) => Promise<void> | void,
): Promise<number> {
  const declared = header(response.headers, 'content-length');
  const total = declared !== undefined && /^\d+$/.test(declared) ? Number(declared) : undefined;
  if (total !== undefined && total > options.maxBytes) {
    await response.body.dump();
    throw new GithubError(
      'GITHUB_DOWNLOAD',
      `GET ${response.url}: declares ${total} bytes, more than the limit of ${options.maxBytes}`,
    );
  }
  let bytes = 0;
  try {
    for await (const chunk of response.body as AsyncIterable<Buffer>) {
      bytes += chunk.length;
      if (bytes > options.maxBytes) {
        response.body.destroy();
        throw new GithubError(
          'GITHUB_DOWNLOAD',
          `GET ${response.url}: body exceeds the limit of ${options.maxBytes} bytes`,
        );
      }
      await onChunk(chunk);
      options.onProgress?.(bytes, total);
    }
  } catch (error: unknown) {
    if (error instanceof GithubError) throw error;
    const code = errorCode(error);
    if (code !== undefined && RETRYABLE_CODES.has(code)) {
      throw new TransientError(`${new URL(response.url).host}: ${code} after ${bytes} bytes`);
    }
    throw new GithubError('GITHUB_DOWNLOAD', `GET ${response.url}: ${errorMessage(error)}`, { cause: error });
  }
  if (total !== undefined && bytes !== total) {
    throw new TransientError(`${new URL(response.url).host}: body ended after ${bytes} of ${total} bytes`);
  }
  return bytes;
}

async function okResponse(url: string, options: FetchOptions, dispatcher: Dispatcher): Promise<Response> {
  const response = await get(url, options, dispatcher);
  if (response.statusCode >= 500) {
    await response.body.dump();
    throw new TransientError(`${new URL(response.url).host}: HTTP ${response.statusCode}`);
  }
  if (response.statusCode !== 200) {
    await response.body.dump();
    const limited = rateLimitOf(response.url, response.statusCode, response.headers);
    if (limited) throw new RateLimitError(limited.error, limited.waitMs);
    throw httpError(response.url, response.statusCode, response.headers);
  }
  return response;
}

/** Fetches a small document into memory (bounded): attestation bundles, API blobs. */
export async function fetchBytes(url: string, options: FetchOptions): Promise<Buffer> {
  return (await fetchDocument(url, options)).body;
}

/** fetchBytes with the final URL and the response headers (pagination links). */
export async function fetchDocument(
  url: string,
  options: FetchOptions,
): Promise<{ body: Buffer; url: string; headers: Record<string, string | string[] | undefined> }> {
  const dispatcher = await agentFor(options);
  return withRetries(`GET ${url}`, options, async () => {
    const response = await okResponse(url, options, dispatcher);
    const chunks: Buffer[] = [];
    await consume(response, options, (chunk) => {
      chunks.push(chunk);
    });
    return { body: Buffer.concat(chunks), url: response.url, headers: response.headers };
  });
}

/**
 * Downloads `url` to `dest`: streamed through the digest engine into a temp file beside `dest`,
 * renamed only after the size and every expected digest match. On any failure nothing is left
 * at `dest` (and the temp file is removed).
 */
export async function downloadToFile(
  url: string,
  dest: string,
  options: DownloadOptions,
): Promise<DownloadResult> {
  const dispatcher = await agentFor(options);
  const algorithms = options.algorithms ?? ['sha256', 'sha512'];
  const maxBytes = Math.min(options.maxBytes, options.expectedSize ?? Number.MAX_SAFE_INTEGER);
  const temp = join(dirname(dest), `.${basename(dest)}.${randomBytes(6).toString('hex')}.part`);
  let renamed = false;
  try {
    const result = await withRetries(`GET ${url}`, options, async () => {
      const response = await okResponse(url, options, dispatcher);
      const hash = new MultiHash(algorithms);
      const file = createWriteStream(temp, { mode: 0o600, highWaterMark: 1 << 20 });
      const failed = new Promise<never>((_, reject) => file.once('error', reject));
      failed.catch(() => undefined); // observed through Promise.race below; avoid an unhandled rejection
      try {
        const size = await consume(response, { ...options, maxBytes }, async (chunk) => {
          hash.update(chunk);
          // Backpressure: wait only when the stream's buffer is full.
          if (!file.write(chunk)) await Promise.race([once(file, 'drain'), failed]);
        });
        file.end();
        await Promise.race([once(file, 'close'), failed]);
        return { url: response.url, size, digests: hash.digest() };
      } finally {
        if (!file.closed) {
          // Wait for the close: a stream destroyed before its open finished would otherwise
          // create the temp file after the unlink below and leave it behind.
          const closed = once(file, 'close').catch(() => undefined);
          file.destroy();
          await closed;
        }
      }
    });
    if (options.expectedSize !== undefined && result.size !== options.expectedSize) {
      throw new GithubError(
        'GITHUB_DOWNLOAD',
        `GET ${url}: received ${result.size} bytes, expected ${options.expectedSize}`,
      );
    }
    for (const [algorithm, expected] of Object.entries(options.expectedDigests ?? {})) {
      const actual = result.digests[algorithm as DigestAlgorithm];
      if (actual === undefined || !digestsEqual(expected, actual)) {
        throw new GithubError(
          'GITHUB_DOWNLOAD',
          `GET ${url}: ${algorithm} is ${actual ?? 'not computed'}, expected ${expected}`,
        );
      }
    }
    await rename(temp, dest);
    renamed = true;
    return { path: dest, ...result };
  } finally {
    // The temp file may never have been created (failure before the first byte): nothing to remove.
    if (!renamed) await unlink(temp).catch(() => undefined);
  }
}
