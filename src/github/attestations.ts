import { defaults } from '../defaults.ts';
import { errorMessage } from '../errors.ts';
import { isJsonObject, parseStrictJson, type JsonValue } from '../json/index.ts';
import { getApiPage, type GithubClient } from './client.ts';
import { fetchBytes } from './download.ts';
import { GithubError } from './errors.ts';
import { formatGithubRef, type GithubRef } from './ref.ts';

export interface AttestationFetchOptions {
  readonly maxBundleBytes?: number;
  readonly retries?: number;
  readonly retryBaseMs?: number;
}

/**
 * Attestation bundles GitHub holds for an artifact digest
 * (`GET /repos/{owner}/{repo}/attestations/sha256:{hex}`). Each entry carries the bundle inline
 * or, newer, `bundle: null` with a `bundle_url` serving snappy-compressed JSON; both are handled.
 * Returns the bundles as JSON values for the Sigstore verifier; an empty list when none exist.
 */
export async function fetchAttestationBundles(
  client: GithubClient,
  ref: GithubRef,
  sha256: string,
  options: AttestationFetchOptions = {},
): Promise<JsonValue[]> {
  const maxBytes = options.maxBundleBytes ?? defaults.maxBundleBytes;
  const what = `${formatGithubRef(ref)}: attestations for sha256:${sha256}`;
  // Every page (Link rel="next"), bounded in pages and in attestations.
  const list: JsonValue[] = [];
  let url: string | undefined =
    `${client.apiBaseUrl}/repos/${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.repo)}/attestations/sha256:${sha256}?per_page=${defaults.githubAttestationsPerPage}`;
  for (let page = 0; url !== undefined && page < defaults.githubMaxAttestationPages; page++) {
    let answer;
    try {
      answer = await getApiPage(client, url, what);
    } catch (error: unknown) {
      if (page === 0 && error instanceof GithubError && error.code === 'GITHUB_NOT_FOUND') return [];
      throw error;
    }
    const items = isJsonObject(answer.json) ? (answer.json['attestations'] ?? []) : undefined;
    if (!Array.isArray(items))
      throw new GithubError('GITHUB_HTTP', `${what}: the answer has no attestations list`);
    list.push(...items);
    if (list.length >= defaults.githubMaxAttestations) break;
    url = answer.next;
  }
  const bundles: JsonValue[] = [];
  for (const [index, attestation] of list.slice(0, defaults.githubMaxAttestations).entries()) {
    const where = `${formatGithubRef(ref)} attestation ${index} for sha256:${sha256}`;
    const bundle = isJsonObject(attestation) ? attestation['bundle'] : undefined;
    const bundleUrl = isJsonObject(attestation) ? attestation['bundle_url'] : undefined;
    if (bundle !== undefined && bundle !== null) {
      bundles.push(bundle);
      continue;
    }
    if (typeof bundleUrl !== 'string' || bundleUrl === '')
      throw new GithubError('GITHUB_HTTP', `${where}: neither bundle nor bundle_url`);
    // bundle_url points at blob storage on another host: no token is sent there.
    const compressed = await fetchBytes(bundleUrl, {
      maxBytes,
      allowInsecureLoopback: client.allowInsecureLoopback,
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      ...(options.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
    });
    const { uncompress } = await import('snappyjs');
    let text: string;
    try {
      text = Buffer.from(uncompress(compressed, maxBytes)).toString('utf8');
    } catch (error: unknown) {
      throw new GithubError(
        'GITHUB_HTTP',
        `${where}: bundle_url body is not snappy data: ${errorMessage(error)}`,
      );
    }
    bundles.push(parseStrictJson(text, `${where} (bundle_url)`).value);
  }
  return bundles;
}
