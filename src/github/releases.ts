import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';

import { defaults } from '../defaults.ts';
import { createGithubClient, getApiJson, type GithubClient } from './client.ts';
import { downloadToFile } from './download.ts';
import { isJsonObject } from '../json/index.ts';
import { GithubError } from './errors.ts';
import { hasControlCharacter } from '../text/control-character.ts';
import { formatGithubRef, type GithubRef } from './ref.ts';
import { quoteUntrusted } from '../text/truncate.ts';

export interface ReleaseAsset {
  readonly name: string;
  readonly size: number;
  /** API URL; with `Accept: application/octet-stream` it redirects to the bytes (private repos). */
  readonly apiUrl: string;
  readonly browserUrl: string;
}

export interface DownloadedAsset {
  readonly name: string;
  readonly path: string;
  readonly url: string;
  readonly size: number;
}

export interface DownloadReleaseOptions {
  readonly token?: string;
  readonly apiBaseUrl?: string;
  readonly destDir: string;
  readonly maxAssetBytes: number;
  readonly allowInsecureLoopback?: boolean;
  readonly progress?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Download tuning (tests shorten timeouts and backoff). */
  readonly bodyTimeoutMs?: number;
  readonly connectTimeoutMs?: number;
  readonly retries?: number;
  readonly retryBaseMs?: number;
}

/** Lists a release's assets by tag (`GET /repos/{owner}/{repo}/releases/tags/{tag}`). */
export async function listReleaseAssets(client: GithubClient, ref: GithubRef): Promise<ReleaseAsset[]> {
  const what = `${formatGithubRef(ref)}: release lookup`;
  const path = `/repos/${encodeURIComponent(ref.owner)}/${encodeURIComponent(ref.repo)}/releases/tags/${encodeURIComponent(ref.tag)}`;
  const release = await getApiJson(client, path, what);
  const assets = isJsonObject(release) ? release['assets'] : undefined;
  if (!Array.isArray(assets)) throw new GithubError('GITHUB_HTTP', `${what}: the answer has no assets list`);
  if (assets.length > defaults.githubMaxAssets) {
    throw new GithubError(
      'GITHUB_HTTP',
      `${formatGithubRef(ref)}: ${assets.length} assets; the limit is ${defaults.githubMaxAssets}`,
    );
  }
  return assets.map((asset, index) => {
    const name = isJsonObject(asset) ? asset['name'] : undefined;
    const size = isJsonObject(asset) ? asset['size'] : undefined;
    const apiUrl = isJsonObject(asset) ? asset['url'] : undefined;
    const browserUrl = isJsonObject(asset) ? asset['browser_download_url'] : undefined;
    if (
      typeof name !== 'string' ||
      typeof size !== 'number' ||
      !Number.isSafeInteger(size) ||
      size < 0 ||
      typeof apiUrl !== 'string' ||
      typeof browserUrl !== 'string'
    ) {
      throw new GithubError(
        'GITHUB_HTTP',
        `${what}: asset ${index} lacks a name, a size, url or browser_download_url`,
      );
    }
    return { name, size, apiUrl, browserUrl };
  });
}

/** An asset name is a file name: no separators, no dot-dot, no control characters. */
function safeName(ref: GithubRef, name: string): string {
  if (
    name === '' ||
    name === '.' ||
    name === '..' ||
    /[/\\]/u.test(name) ||
    hasControlCharacter(name) ||
    name.length > 255
  ) {
    throw new GithubError(
      'GITHUB_HTTP',
      `${formatGithubRef(ref)}: unsafe asset name ${quoteUntrusted(name)}`,
    );
  }
  return name;
}

/**
 * Downloads every asset of a release into `destDir`, each capped at its API-declared size (and
 * `maxAssetBytes`), each written through a temp file renamed only when complete. With a token the
 * API asset URL is used (works for private repositories); the token never leaves the API origin.
 */
export async function downloadReleaseAssets(
  ref: GithubRef,
  options: DownloadReleaseOptions,
): Promise<readonly DownloadedAsset[]> {
  const client = createGithubClient({
    ...(options.token ? { token: options.token } : {}),
    ...(options.apiBaseUrl ? { apiBaseUrl: options.apiBaseUrl } : {}),
    ...(options.allowInsecureLoopback ? { allowInsecureLoopback: true } : {}),
  });
  const assets = await listReleaseAssets(client, ref);
  await mkdir(options.destDir, { recursive: true });
  const downloaded: DownloadedAsset[] = [];
  for (const asset of assets) {
    const name = safeName(ref, asset.name);
    if (asset.size > options.maxAssetBytes) {
      throw new GithubError(
        'GITHUB_DOWNLOAD',
        `${formatGithubRef(ref)}: asset ${name} is ${asset.size} bytes, more than the limit of ${options.maxAssetBytes}`,
      );
    }
    const url = options.token ? asset.apiUrl : asset.browserUrl;
    const progress = options.progress?.isTTY === true ? options.progress : undefined;
    const result = await downloadToFile(url, join(options.destDir, name), {
      maxBytes: options.maxAssetBytes,
      expectedSize: asset.size,
      headers: {
        accept: 'application/octet-stream',
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
      },
      ...(options.allowInsecureLoopback ? { allowInsecureLoopback: true } : {}),
      ...(options.bodyTimeoutMs !== undefined ? { bodyTimeoutMs: options.bodyTimeoutMs } : {}),
      ...(options.connectTimeoutMs !== undefined ? { connectTimeoutMs: options.connectTimeoutMs } : {}),
      ...(options.retries !== undefined ? { retries: options.retries } : {}),
      ...(options.retryBaseMs !== undefined ? { retryBaseMs: options.retryBaseMs } : {}),
      ...(progress
        ? {
            onProgress: (bytes: number) => {
              const percent = asset.size > 0 ? Math.floor((bytes / asset.size) * 100) : 100;
              progress.write(`\r\u001b[2K${name.slice(-50)}  ${percent}%`);
            },
          }
        : {}),
    });
    if (progress) progress.write('\r\u001b[2K');
    downloaded.push({ name, path: result.path, url: result.url, size: result.size });
  }
  return downloaded;
}
