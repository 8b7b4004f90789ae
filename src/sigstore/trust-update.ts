import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { TrustedRoot } from '@sigstore/protobuf-specs';

import { defaults } from '../defaults.ts';
import { InputError, errorCauseChain } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { decodeUtf8, parseStrictJson, readBoundedFile } from '../json/index.ts';
import {
  PUBLIC_GOOD_TRUSTED_ROOT_AS_OF,
  loadPublicGoodTrustedRoot,
  parseTrustedRoot,
  type SigstoreTrust,
  type TrustOptions,
} from './trusted-root.ts';
import { PUBLIC_GOOD_TUF_MIRROR } from './tuf.ts';

/**
 * The public-good TUF root metadata (version 16) vendored under keys/sigstore/ from the seeds of
 * @sigstore/tuf 5.0.1; `trust update` starts its chain of trust here the first time (later runs
 * start from the newest root in the cache, as TUF requires). Pinned like the trusted root.
 */
export const PUBLIC_GOOD_TUF_ROOT_SHA256 = '27aea7e372aa7864065174f0661784fcf8b0e28b1dbfebeada31a0f1fb19167f';

export function publicGoodTufRootPath(): string {
  return fileURLToPath(new URL('../../keys/sigstore/tuf-root.json', import.meta.url));
}

/** `$XDG_CACHE_HOME/rmm-verify/sigstore`, else `~/.cache/rmm-verify/sigstore`. */
export function defaultSigstoreCache(env: Readonly<Record<string, string | undefined>>): string {
  const base = env['XDG_CACHE_HOME'] || join(env['HOME'] || homedir(), '.cache');
  return join(base, 'rmm-verify', 'sigstore');
}

/** Where `trust update` keeps its results: `<cacheDir>/trusted_root.json` and its record. */
export function updatedTrustedRootPath(cacheDir: string): string {
  return join(cacheDir, 'trusted_root.json');
}

function recordPath(cacheDir: string): string {
  return join(cacheDir, 'trusted_root.update.json');
}

export interface TrustUpdateOptions {
  /** rmm-verify's Sigstore cache, e.g. `$XDG_CACHE_HOME/rmm-verify/sigstore`. */
  readonly cacheDir: string;
  /** TUF mirror; default the public-good CDN. */
  readonly mirrorUrl?: string;
  /** TUF root to start from when the cache has none; default the vendored public-good one. */
  readonly tufRootPath?: string;
  /** Milliseconds per TUF request. */
  readonly timeoutMs?: number;
  readonly now: Date;
}

/** What an update wrote, and what verification later reads back (the root's age). */
export interface TrustUpdateRecord {
  readonly mirror: string;
  /** RFC 3339: when TUF last confirmed this root. */
  readonly updated: string;
  readonly sha256: string;
}

/**
 * `rmm-verify trust update`: walks the TUF chain of the mirror (root rotations, timestamp,
 * snapshot and targets signatures, versions never going back, expiry: tuf-js's updater), takes
 * the `trusted_root.json` target, checks it is a usable trusted root, and only then replaces the
 * cached copy atomically. Any failure leaves the previous cached root as it was.
 */
export async function updateTrustedRoot(options: TrustUpdateOptions): Promise<TrustUpdateRecord> {
  const mirrorURL = (options.mirrorUrl ?? PUBLIC_GOOD_TUF_MIRROR).replace(/\/+$/, '');
  const tufCache = join(options.cacheDir, 'tuf');
  let rootPath = options.tufRootPath;
  if (rootPath === undefined) {
    rootPath = publicGoodTufRootPath();
    const bytes = await readBoundedFile(rootPath, defaults.maxTrustedRootBytes, 'TUF root');
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== PUBLIC_GOOD_TUF_ROOT_SHA256) {
      throw new InputError(
        'INPUT_INVALID',
        `vendored TUF root has sha256 ${actual}, expected ${PUBLIC_GOOD_TUF_ROOT_SHA256}`,
        { file: rootPath },
      );
    }
  }
  // The TUF client (and its HTTP stack) loads only for an update, never for --offline.
  const [{ getTrustedRoot }, { TrustedRoot: TrustedRootJson }] = await Promise.all([
    import('@sigstore/tuf'),
    import('@sigstore/protobuf-specs'),
  ]);
  let root: TrustedRoot;
  try {
    root = await getTrustedRoot({
      cachePath: tufCache,
      mirrorURL,
      rootPath,
      retry: 1,
      timeout: options.timeoutMs ?? defaults.tufTimeoutMs,
    });
  } catch (error: unknown) {
    throw new InputError(
      'INPUT_UNREADABLE',
      `trust update: TUF update from ${mirrorURL} failed: ${errorCauseChain(error)}; the cached trusted root (if any) is unchanged`,
      { file: tufCache, cause: error },
    );
  }
  const bytes = Buffer.from(`${JSON.stringify(TrustedRootJson.toJSON(root), null, 2)}\n`);
  const target = updatedTrustedRootPath(options.cacheDir);
  // Refuse a root we could not use (e.g. a log key without validFor.start) before replacing anything.
  parseTrustedRoot(bytes, `${mirrorURL} trusted_root.json`);
  const record: TrustUpdateRecord = {
    mirror: mirrorURL,
    updated: options.now.toISOString(),
    sha256: createHash('sha256').update(bytes).digest('hex'),
  };
  await writeFileAtomic(target, bytes);
  await writeFileAtomic(recordPath(options.cacheDir), `${JSON.stringify(record, null, 2)}\n`);
  return record;
}

/** The root `trust update` left in the cache, with when it was fetched; undefined when none. */
export async function loadUpdatedTrustedRoot(
  cacheDir: string,
  options: TrustOptions = {},
): Promise<{ trust: SigstoreTrust; record: TrustUpdateRecord } | undefined> {
  const path = updatedTrustedRootPath(cacheDir);
  if (!existsSync(path)) return undefined;
  const bytes = await readBoundedFile(path, defaults.maxTrustedRootBytes, 'trusted root');
  const recordFile = recordPath(cacheDir);
  const raw = parseStrictJson(
    decodeUtf8(await readBoundedFile(recordFile, 64 << 10, 'trust update record'), recordFile),
    recordFile,
  ).value;
  const record = raw as Partial<TrustUpdateRecord> | null;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (
    record === null ||
    typeof record !== 'object' ||
    typeof record.updated !== 'string' ||
    Number.isNaN(Date.parse(record.updated)) ||
    typeof record.mirror !== 'string' ||
    record.sha256 !== sha256
  ) {
    throw new InputError(
      'INPUT_INVALID',
      `does not describe ${path} (sha256 ${sha256}); run 'rmm-verify trust update' again`,
      { file: recordFile },
    );
  }
  return {
    trust: { ...parseTrustedRoot(bytes, path, options), asOf: new Date(record.updated) },
    record: { mirror: record.mirror, updated: record.updated, sha256 },
  };
}

/**
 * The default trusted root when none is given: the one `trust update` left in the cache (when
 * it is newer than the vendored snapshot), else the vendored public-good root.
 */
export async function loadDefaultTrustedRoot(
  env: Readonly<Record<string, string | undefined>>,
  options: TrustOptions = {},
): Promise<SigstoreTrust> {
  const updated = await loadUpdatedTrustedRoot(defaultSigstoreCache(env), options);
  if (
    updated !== undefined &&
    updated.trust.asOf !== undefined &&
    updated.trust.asOf > PUBLIC_GOOD_TRUSTED_ROOT_AS_OF
  )
    return updated.trust;
  return loadPublicGoodTrustedRoot(options);
}
