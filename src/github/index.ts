export { fetchAttestationBundles, type AttestationFetchOptions } from './attestations.ts';
export {
  GITHUB_API,
  getApiJson,
  createGithubClient,
  type GithubClient,
  type GithubClientOptions,
} from './client.ts';
export {
  downloadToFile,
  fetchBytes,
  type DownloadOptions,
  type DownloadResult,
  type FetchOptions,
} from './download.ts';
export { GithubError, type GithubErrorCode } from './errors.ts';
export { formatGithubRef, parseGithubRef, type GithubRef } from './ref.ts';
export {
  downloadReleaseAssets,
  listReleaseAssets,
  type DownloadReleaseOptions,
  type DownloadedAsset,
  type ReleaseAsset,
} from './releases.ts';
export {
  resolveGithubInputs,
  verifyReleaseAttestations,
  type AttestationOutcome,
  type GithubCliEnvironment,
  type ResolvedInputs,
} from './cli-inputs.ts';
