import { GithubError } from './errors.ts';
import { quoteUntrusted } from '../text/truncate.ts';

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * HTTPS only. Plain HTTP is allowed only to a loopback address and only when the caller opts
 * in explicitly (tests run a real server on 127.0.0.1).
 */
export function checkUrl(value: string, allowInsecureLoopback: boolean): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new GithubError('GITHUB_INSECURE_URL', `not a valid URL: ${quoteUntrusted(value)}`);
  }
  if (url.protocol === 'https:') return url;
  if (url.protocol === 'http:' && allowInsecureLoopback && LOOPBACK.has(url.hostname)) return url;
  throw new GithubError(
    'GITHUB_INSECURE_URL',
    `refusing ${url.protocol}//${url.host}: only https:// URLs are fetched${url.protocol === 'http:' ? ' (plain http only to loopback in tests)' : ''}`,
  );
}
