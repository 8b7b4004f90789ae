import { X509Certificate } from 'node:crypto';

import type { SerializedBundle } from '@sigstore/bundle';

import { defaults } from '../defaults.ts';
import { InputError, errorCauseChain } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';

export const PUBLIC_GOOD_FULCIO_URL = 'https://fulcio.sigstore.dev';
export const PUBLIC_GOOD_REKOR_URL = 'https://rekor.sigstore.dev';

export interface KeylessSignOptions {
  /** OIDC token exchanged at Fulcio for a short-lived signing certificate (resolveIdentityToken). */
  readonly identityToken: string;
  /** Default the public-good Fulcio. */
  readonly fulcioUrl?: string;
  /** Default the public-good Rekor. */
  readonly rekorUrl?: string;
  /** An RFC 3161 timestamp authority (as GitHub's private instance uses); none by default. */
  readonly timestampServerUrl?: string;
  /** Record the signature in Rekor (default true; false needs a timestamp authority). */
  readonly tlogUpload?: boolean;
  /** Milliseconds per request. */
  readonly timeoutMs?: number;
}

export interface KeylessSignature {
  readonly bundle: SerializedBundle;
  /** The certificate's subject alternative name, e.g. `URI:https://github.com/acme/agent/.github/workflows/release.yml@refs/tags/v7.4.2`. */
  readonly subject: string | undefined;
}

/**
 * Signs the manifest's exact bytes keylessly with the `sigstore` package (a message signature:
 * hashedrekord, as `cosign sign-blob`): an ephemeral key, a Fulcio certificate for the OIDC
 * identity, a Rekor entry and/or an RFC 3161 timestamp. The package is imported here, lazily,
 * so no other command loads the signing stack.
 */
export async function signManifestKeyless(
  manifestBytes: Uint8Array,
  options: KeylessSignOptions,
): Promise<KeylessSignature> {
  if (options.tlogUpload === false && options.timestampServerUrl === undefined)
    throw new InputError(
      'INPUT_INVALID',
      'a keyless signature needs a transparency-log entry or a timestamp: keep Rekor or give a timestamp authority',
    );
  const { sign } = await import('sigstore');
  let bundle: SerializedBundle;
  try {
    bundle = await sign(Buffer.from(manifestBytes), {
      identityToken: options.identityToken,
      fulcioURL: options.fulcioUrl ?? PUBLIC_GOOD_FULCIO_URL,
      rekorURL: options.rekorUrl ?? PUBLIC_GOOD_REKOR_URL,
      tlogUpload: options.tlogUpload !== false,
      ...(options.timestampServerUrl !== undefined ? { tsaServerURL: options.timestampServerUrl } : {}),
      timeout: options.timeoutMs ?? defaults.sigstoreSignTimeoutMs,
      retry: { retries: defaults.sigstoreSignRetries },
    });
  } catch (error: unknown) {
    throw new InputError('INPUT_UNREADABLE', `Sigstore signing failed: ${errorCauseChain(error)}`, {
      cause: error,
    });
  }
  return { bundle, subject: certificateSubject(bundle) };
}

/** Writes the bundle (one JSON line, as gh and cosign write theirs) through a temp file. */
export async function writeBundle(path: string, bundle: SerializedBundle): Promise<void> {
  await writeFileAtomic(path, `${JSON.stringify(bundle)}\n`);
}

function certificateSubject(bundle: SerializedBundle): string | undefined {
  const material = bundle.verificationMaterial;
  const raw = material.certificate?.rawBytes ?? material.x509CertificateChain?.certificates[0]?.rawBytes;
  if (raw === undefined) return undefined;
  try {
    return new X509Certificate(Buffer.from(raw, 'base64')).subjectAltName;
  } catch {
    // The bundle came from our own signing call; a certificate we cannot read only loses the message detail.
    return undefined;
  }
}
