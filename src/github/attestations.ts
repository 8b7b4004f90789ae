import { uncompress } from 'snappyjs';

import { defaults } from '../defaults.ts';
import { errorMessage } from '../errors.ts';
import { parseStrictJson, type JsonValue } from '../json/index.ts';
import { apiError, type GithubClient } from './client.ts';
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
  let response;
  try {
    response = await client.octokit.rest.repos.listAttestations({
      owner: ref.owner,
      repo: ref.repo,
      subject_digest: `sha256:${sha256}`,
      per_page: defaults.githubMaxAttestations,
    });
  } catch (error: unknown) {
    if (typeof error === 'object' && error !== null && 'status' in error && error.status === 404) return [];
    throw apiError(`${formatGithubRef(ref)}: attestations for sha256:${sha256}`, error);
  }
  const bundles: JsonValue[] = [];
  for (const [index, attestation] of (response.data.attestations ?? [])
    .slice(0, defaults.githubMaxAttestations)
    .entries()) {
    const where = `${formatGithubRef(ref)} attestation ${index} for sha256:${sha256}`;
    if (attestation.bundle) {
      bundles.push(attestation.bundle as JsonValue);
      continue;
    }
    if (!attestation.bundle_url)
      throw new GithubError('GITHUB_HTTP', `${where}: neither bundle nor bundle_url`);
    // bundle_url points at blob storage on another host: no token is sent there.
    const compressed = await fetchBytes(attestation.bundle_url, {
      maxBytes,
      allowInsecureLoopback: client.allowInsecureLoopback,
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      ...(options.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
    });
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
