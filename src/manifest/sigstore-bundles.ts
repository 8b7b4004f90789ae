import { createHash } from 'node:crypto';

import { loadBundles } from '../sigstore/bundle.ts';
import { loadDefaultTrustedRoot } from '../sigstore/trust-update.ts';
import { loadTrustedRoot, type SigstoreTrust } from '../sigstore/trusted-root.ts';
import { verifyBundle } from '../sigstore/verify-bundle.ts';
import type { BundleSignature } from './verify-trust.ts';

/**
 * The Sigstore side of manifest trust (loaded lazily by `checkManifest`, only when a bundle is
 * present and the trust root lists identities): each bundle must be a message signature over
 * the manifest's exact bytes, verified offline against the trusted root (certificate chain to a
 * Fulcio CA, SCT, transparency-log entry or RFC 3161 timestamp). Who signed is returned, not
 * judged: the trust root's identities are matched, and counted, by `verifyManifestTrust`.
 */
export async function verifyManifestBundles(
  manifestBytes: Uint8Array,
  paths: readonly string[],
  trust: SigstoreTrust,
): Promise<BundleSignature[]> {
  const sha256 = createHash('sha256').update(manifestBytes).digest('hex');
  const results: BundleSignature[] = [];
  for (const path of paths) {
    const parsed = await loadBundles(path);
    for (const entry of parsed) {
      const file = parsed.length > 1 ? `${path} line ${entry.index + 1}` : path;
      if (entry.kind === 'invalid') {
        results.push({
          kind: 'rejected',
          file,
          message: `not a Sigstore bundle: ${entry.reason}`,
          reason: 'SIGSTORE_BUNDLE_INVALID',
        });
        continue;
      }
      if (entry.bundle.content.$case !== 'messageSignature') {
        results.push({
          kind: 'rejected',
          file,
          message:
            "holds a DSSE attestation, not a signature over the manifest's bytes ('manifest sign --sigstore' writes a message signature)",
          reason: 'SIGSTORE_BUNDLE_INVALID',
        });
        continue;
      }
      const verification = verifyBundle(
        entry.bundle,
        { sha256 },
        trust,
        { identities: [], keyBased: false, anyIdentity: true },
        { subject: path, bundleFile: file },
      );
      if (verification.ok && verification.signer) {
        const signer = verification.signer;
        results.push({
          kind: 'verified',
          file,
          signer: {
            ...(signer.identity !== undefined ? { subject: signer.identity } : {}),
            ...(signer.issuer !== undefined ? { issuer: signer.issuer } : {}),
            ...(signer.sourceRepositoryUri !== undefined ? { repository: signer.sourceRepositoryUri } : {}),
          },
        });
        continue;
      }
      const failure = verification.findings.find((f) => f.severity !== 'info');
      const message = failure?.message ?? 'does not verify';
      results.push({
        kind: 'rejected',
        file,
        message: message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message,
        ...(failure ? { reason: failure.code } : {}),
      });
    }
  }
  return results;
}

/** `--trusted-root FILE`, else the `trust update` cache when newer, else the vendored public-good root. */
export async function manifestTrustedRoot(
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Promise<SigstoreTrust> {
  return path !== undefined ? loadTrustedRoot(path) : loadDefaultTrustedRoot(env);
}
