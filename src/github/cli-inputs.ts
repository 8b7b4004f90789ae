import { rmSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';

import { SIDECAR_SUFFIXES } from '../artifact/collect-files.ts';
import { defaults } from '../defaults.ts';
import { hashFile } from '../digest/index.ts';
import { UsageError } from '../errors.ts';
import { finding, type Finding } from '../findings.ts';
import { anchoredIdentity } from '../sigstore/identity.ts';
import { parseBundleJson } from '../sigstore/bundle.ts';
import { GITHUB_ACTIONS_ISSUER } from '../sigstore/provenance-check.ts';
import { normaliseRepository } from '../sigstore/provenance.ts';
import { loadPublicGoodTrustedRoot, loadTrustedRoot, type SigstoreTrust } from '../sigstore/trusted-root.ts';
import { verifyBundle } from '../sigstore/verify-bundle.ts';
import { fetchAttestationBundles } from './attestations.ts';
import { createGithubClient, githubWebHost, type GithubClient } from './client.ts';
import { downloadReleaseAssets, type DownloadedAsset } from './releases.ts';
import { formatGithubRef, parseGithubRef, type GithubRef } from './ref.ts';

/** Where the CLI's GitHub access is configured (all optional). */
export interface GithubCliEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
}

export interface ResolvedInputs {
  /** Local paths: the inputs given, with each `github:` argument replaced by its downloaded assets. */
  readonly inputs: string[];
  /** How reports name an input: as given, or `github:owner/repo@tag/<asset>`. */
  subjectOf(path: string): string;
  readonly downloads: readonly { readonly ref: GithubRef; readonly asset: DownloadedAsset }[];
}

/**
 * Environment knobs: `GITHUB_TOKEN` (unless --token), the API base URL for GitHub Enterprise
 * (`--github-api-url`, else `RMM_VERIFY_GITHUB_API`, else `GITHUB_API_URL` as Actions runners and
 * gh set it; default https://api.github.com), `RMM_VERIFY_INSECURE_LOOPBACK=1` (tests only:
 * plain http to 127.0.0.1).
 */
function clientOptions(environment: GithubCliEnvironment, token: string | undefined, apiUrl?: string) {
  const resolvedToken = token ?? environment.env['GITHUB_TOKEN'];
  const apiBaseUrl =
    apiUrl || environment.env['RMM_VERIFY_GITHUB_API'] || environment.env['GITHUB_API_URL'] || undefined;
  const insecure = environment.env['RMM_VERIFY_INSECURE_LOOPBACK'] === '1';
  return {
    ...(resolvedToken ? { token: resolvedToken } : {}),
    ...(apiBaseUrl ? { apiBaseUrl } : {}),
    ...(insecure ? { allowInsecureLoopback: true } : {}),
  };
}

const tempDirs: string[] = [];
let cleanupRegistered = false;

/** Download directories live until the process exits; they hold only fully verified-size files. */
async function downloadDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rmm-verify-github-'));
  tempDirs.push(dir);
  if (!cleanupRegistered) {
    cleanupRegistered = true;
    process.once('exit', () => {
      for (const d of tempDirs) rmSync(d, { recursive: true, force: true });
    });
  }
  return dir;
}

/**
 * Replaces `github:owner/repo@tag` arguments by the release's downloaded assets. With
 * `attestations`, each asset's attestations are fetched by digest and written beside it as
 * `sha256:<hex>.jsonl`, where the provenance check of `verify` finds them. Evidence assets
 * (bundles, signatures, SBOMs) are downloaded but are not inputs.
 */
export async function resolveGithubInputs(
  command: string,
  positionals: readonly string[],
  environment: GithubCliEnvironment,
  options: {
    readonly token?: string | undefined;
    readonly offline: boolean;
    readonly attestations: boolean;
    /** `--github-api-url` (GitHub Enterprise). */
    readonly apiUrl?: string | undefined;
  },
): Promise<ResolvedInputs> {
  const inputs: string[] = [];
  const subjects = new Map<string, string>();
  const downloads: { ref: GithubRef; asset: DownloadedAsset }[] = [];
  const settings = clientOptions(environment, options.token, options.apiUrl);
  let client: GithubClient | undefined;
  for (const arg of positionals) {
    if (!arg.startsWith('github:')) {
      const path = resolve(environment.cwd, arg);
      inputs.push(path);
      subjects.set(path, arg);
      continue;
    }
    const ref = parseGithubRef(arg);
    if (!ref) throw new UsageError(`${command}: '${arg}' is not github:owner/repo@tag`);
    if (options.offline)
      throw new UsageError(`${command}: ${arg} needs the network, but --offline was given`);
    const assets = await downloadReleaseAssets(ref, {
      ...settings,
      destDir: await downloadDir(),
      maxAssetBytes: defaults.githubMaxAssetBytes,
      progress: environment.stderr,
    });
    if (assets.every((asset) => SIDECAR_SUFFIXES.some((suffix) => asset.name.endsWith(suffix)))) {
      throw new UsageError(`${command}: ${formatGithubRef(ref)} has no assets besides evidence files`);
    }
    client ??= createGithubClient(settings);
    for (const asset of assets) {
      // Bundles, signatures and SBOMs published as assets stay beside the artifacts as evidence.
      if (SIDECAR_SUFFIXES.some((suffix) => asset.name.endsWith(suffix))) continue;
      inputs.push(asset.path);
      subjects.set(asset.path, `${formatGithubRef(ref)}/${asset.name}`);
      downloads.push({ ref, asset });
      if (options.attestations) {
        const sha256 = await sha256Of(asset.path);
        const bundles = await fetchAttestationBundles(client, ref, sha256);
        if (bundles.length > 0) {
          // Named as `gh attestation download` names them; the provenance check looks for it.
          await writeFile(
            join(dirname(asset.path), `sha256:${sha256}.jsonl`),
            bundles.map((b) => `${JSON.stringify(b)}\n`).join(''),
          );
        }
      }
    }
  }
  return { inputs, subjectOf: (path) => subjects.get(path) ?? path, downloads };
}

async function sha256Of(path: string): Promise<string> {
  const { digests } = await hashFile(path, { algorithms: ['sha256'] });
  return digests.sha256 ?? '';
}

export interface AttestationOutcome {
  readonly asset: string;
  readonly status: 'verified' | 'missing' | 'failed';
  readonly detail: string;
  readonly findings: readonly Finding[];
}

/**
 * `pin github:`: every downloaded asset's attestations are fetched by digest and verified
 * offline-style (trusted root from `RMM_VERIFY_SIGSTORE_TRUSTED_ROOT`, else the vendored public-
 * good root) like `gh attestation verify --repo owner/repo`: GitHub Actions issuer and the
 * certificate's source repository equal to the release's repository.
 */
export async function verifyReleaseAttestations(
  resolved: ResolvedInputs,
  environment: GithubCliEnvironment,
  token: string | undefined,
  apiUrl?: string,
): Promise<AttestationOutcome[]> {
  if (resolved.downloads.length === 0) return [];
  const rootPath = environment.env['RMM_VERIFY_SIGSTORE_TRUSTED_ROOT'];
  const trust: SigstoreTrust = rootPath
    ? await loadTrustedRoot(resolve(environment.cwd, rootPath))
    : await loadPublicGoodTrustedRoot();
  const client = createGithubClient(clientOptions(environment, token, apiUrl));
  // Certificates name the web host (https://github.com/acme/agent): GITHUB_SERVER_URL as the
  // Actions runner sets it, else the host of the API URL (api.github.com → github.com).
  const server = environment.env['GITHUB_SERVER_URL'];
  const webHost =
    server && apiUrl === undefined ? new URL(server).host.toLowerCase() : githubWebHost(client.apiBaseUrl);
  const outcomes: AttestationOutcome[] = [];
  for (const { ref, asset } of resolved.downloads) {
    const sha256 = await sha256Of(asset.path);
    const subject = resolved.subjectOf(asset.path);
    const bundles = await fetchAttestationBundles(client, ref, sha256);
    if (bundles.length === 0) {
      outcomes.push({
        asset: subject,
        status: 'missing',
        detail: `no attestation for sha256:${sha256}`,
        findings: [],
      });
      continue;
    }
    // The release's own host: github.com, a GHE.com subdomain or a GitHub Enterprise Server.
    const repository = `${webHost}/${ref.owner}/${ref.repo}`.toLowerCase();
    const failures: Finding[] = [];
    let verified: string | undefined;
    for (const [index, json] of bundles.entries()) {
      const bundleFile = `attestation ${index}`;
      const parsed = parseBundleJson(json, bundleFile, index);
      if (parsed.kind === 'invalid') {
        failures.push(
          finding('SIGSTORE_BUNDLE_INVALID', { subject, message: `${bundleFile}: ${parsed.reason}` }),
        );
        continue;
      }
      const result = verifyBundle(
        parsed.bundle,
        { sha256 },
        trust,
        {
          identities: [{ identity: anchoredIdentity('https://.+'), issuer: GITHUB_ACTIONS_ISSUER }],
          keyBased: false,
        },
        { subject, bundleFile },
      );
      if (!result.ok) {
        failures.push(...result.findings);
        continue;
      }
      const source = normaliseRepository(result.signer?.sourceRepositoryUri);
      if (source !== repository) {
        failures.push(
          finding('PROVENANCE_SOURCE_MISMATCH', {
            subject,
            message: `${bundleFile}: built in ${source ?? 'an unknown repository'}, not ${repository}`,
            evidence: { expected: repository, actual: source ?? null },
          }),
        );
        continue;
      }
      verified = `${result.statement?.predicateType ?? 'signature'} signed by ${result.signer?.identity ?? '?'}`;
      break;
    }
    outcomes.push(
      verified !== undefined
        ? { asset: subject, status: 'verified', detail: verified, findings: [] }
        : {
            asset: subject,
            status: 'failed',
            detail: failures.map((f) => `${f.code}: ${f.message}`).join('; ') || 'no attestation verified',
            findings: failures,
          },
    );
  }
  return outcomes;
}
