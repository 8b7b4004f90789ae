import { homedir } from 'node:os';
import { join } from 'node:path';

import { InputError, errorMessage } from '../errors.ts';
import { trustFromRoot, type SigstoreTrust, type TrustOptions } from './trusted-root.ts';

export const PUBLIC_GOOD_TUF_MIRROR = 'https://tuf-repo-cdn.sigstore.dev';

/** `$XDG_CACHE_HOME/rmm-verify/tuf`, else `~/.cache/rmm-verify/tuf`. */
export function defaultTufCache(env: Readonly<Record<string, string | undefined>>): string {
  const base = env['XDG_CACHE_HOME'] || join(env['HOME'] || homedir(), '.cache');
  return join(base, 'rmm-verify', 'tuf');
}

export interface TufOptions extends TrustOptions {
  readonly cachePath: string;
  readonly mirrorUrl?: string;
  /** Milliseconds per TUF request. */
  readonly timeoutMs?: number;
}

/**
 * Online mode: the public-good trusted root through TUF (@sigstore/tuf), cached in `cachePath`.
 * The TUF root seeded in @sigstore/tuf has expired (2026-11-20), so this needs the network to
 * walk the root chain forward; offline runs use the vendored root (keys/sigstore/) instead.
 */
export async function fetchTrustedRootTuf(options: TufOptions): Promise<SigstoreTrust> {
  const mirrorURL = options.mirrorUrl ?? PUBLIC_GOOD_TUF_MIRROR;
  try {
    // The TUF client (and its HTTP stack) loads only here, when a root is fetched.
    const { getTrustedRoot } = await import('@sigstore/tuf');
    const root = await getTrustedRoot({
      cachePath: options.cachePath,
      mirrorURL,
      retry: 2,
      timeout: options.timeoutMs ?? 30_000,
    });
    return trustFromRoot(root, `tuf:${mirrorURL}`, options);
  } catch (error: unknown) {
    throw new InputError(
      'INPUT_UNREADABLE',
      `cannot fetch the Sigstore trusted root through TUF from ${mirrorURL}: ${errorMessage(error)}; ` +
        'use --offline (vendored public-good root) or --trusted-root FILE',
      { file: options.cachePath, cause: error },
    );
  }
}
