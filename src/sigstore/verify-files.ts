import { hashFile, type DigestAlgorithm, type Digests } from '../digest/index.ts';
import { finding, type Finding } from '../findings.ts';
import { loadBundles } from './bundle.ts';
import type { SigstoreTrust } from './trusted-root.ts';
import { verifyBundle, type BundlePolicy, type BundleVerification } from './verify-bundle.ts';

/** What `attest verify` checks a bundle against: a file, or only its digest. */
export type ArtifactRef =
  | { readonly kind: 'file'; readonly path: string }
  | { readonly kind: 'digest'; readonly algorithm: DigestAlgorithm; readonly hex: string };

const SIGSTORE_ALGORITHMS: readonly DigestAlgorithm[] = ['sha256', 'sha384', 'sha512'];

/** Digests of the artifact: one bounded streaming pass over a file, or the digest given. */
export async function artifactDigests(artifact: ArtifactRef, maxBytes?: number): Promise<Digests> {
  if (artifact.kind === 'digest') return { [artifact.algorithm]: artifact.hex };
  const result = await hashFile(artifact.path, {
    algorithms: SIGSTORE_ALGORITHMS,
    ...(maxBytes === undefined ? {} : { maxBytes }),
  });
  return result.digests;
}

export interface BundleFileVerification {
  /** True when at least one bundle in the file verified. */
  readonly ok: boolean;
  /** The verified bundle's findings when one verified; otherwise every bundle's failures. */
  readonly findings: readonly Finding[];
  readonly verified?: BundleVerification;
}

/**
 * Verifies every bundle of a bundle file (one JSON document, or JSON Lines) against the artifact.
 * One verified bundle is enough (as `gh attestation verify`); otherwise every reason is reported.
 */
export async function verifyBundleFile(
  bundlePath: string,
  digests: Digests,
  trust: SigstoreTrust,
  policy: BundlePolicy,
  subject: string,
  /** Further requirements of a verified bundle (attest policy); findings mean it does not count. */
  accept?: (verified: BundleVerification, bundleFile: string) => readonly Finding[],
): Promise<BundleFileVerification> {
  const parsed = await loadBundles(bundlePath);
  const failures: Finding[] = [];
  for (const entry of parsed) {
    const bundleFile = parsed.length > 1 ? `${bundlePath} line ${entry.index + 1}` : bundlePath;
    if (entry.kind === 'invalid') {
      failures.push(
        finding('SIGSTORE_BUNDLE_INVALID', {
          subject,
          message: `${bundleFile}: ${entry.reason}`,
          evidence: { bundle: bundleFile },
          location: { file: bundlePath },
        }),
      );
      continue;
    }
    const result = verifyBundle(entry.bundle, digests, trust, policy, { subject, bundleFile });
    if (!result.ok) {
      failures.push(...result.findings);
      continue;
    }
    const unmet = accept?.(result, bundleFile) ?? [];
    if (unmet.length === 0) return { ok: true, findings: result.findings, verified: result };
    failures.push(...unmet);
  }
  return { ok: false, findings: failures };
}
