import type { ArtifactCheck, ArtifactCheckResult, ArtifactContext } from '../artifact/check.ts';
import { RmmVerifyError, errorMessage } from '../errors.ts';
import { finding, type EvidenceValue, type Finding } from '../findings.ts';
import { loadBundles } from './bundle.ts';
import { GITHUB_ACTIONS_ISSUER, anchoredIdentity, exactIdentity, type IdentityPolicy } from './identity.ts';
import { checkProvenance, provenanceFacts } from './provenance.ts';
import { loadPublicGoodTrustedRoot, loadTrustedRoot, type SigstoreTrust } from './trusted-root.ts';
import { verifyBundle } from './verify-bundle.ts';
import { BUNDLE_SUFFIXES, findBundleFiles } from './bundle-files.ts';

// Re-exported for existing importers; they live apart so `verify` can look for bundles
// without loading the Sigstore libraries.
export { BUNDLE_SUFFIXES, findBundleFiles };

export { GITHUB_ACTIONS_ISSUER };

/**
 * Identities allowed to sign: `signers.sigstore` when the manifest lists any; otherwise any
 * GitHub Actions workflow, and the provenance policy then pins the source repository (from the
 * certificate's Fulcio extensions) and workflow, as `gh attestation verify --repo` does.
 */
export function identityPolicies(context: ArtifactContext): IdentityPolicy[] {
  const sigstore = context.manifest.signers.sigstore ?? [];
  if (sigstore.length > 0)
    return sigstore.map((s) => ({ identity: exactIdentity(s.identity), issuer: s.issuer }));
  if ((context.manifest.signers.provenance ?? []).length === 0) return [];
  return [{ identity: anchoredIdentity('https://.+'), issuer: GITHUB_ACTIONS_ISSUER }];
}

const trustCache = new Map<string, Promise<SigstoreTrust>>();

function trustFor(path: string | undefined): Promise<SigstoreTrust> {
  const key = path ?? '';
  let trust = trustCache.get(key);
  if (!trust) {
    trust = path === undefined ? loadPublicGoodTrustedRoot() : loadTrustedRoot(path);
    trustCache.set(key, trust);
    trust.catch(() => trustCache.delete(key));
  }
  return trust;
}

/** The `verify` step for Sigstore bundles and build provenance next to an artifact. */
export const provenanceCheck: ArtifactCheck = {
  name: 'provenance',
  async run(context: ArtifactContext): Promise<ArtifactCheckResult | undefined> {
    const required = context.manifest.policy.requireProvenance === true;
    const files = findBundleFiles(context);
    const fail = (
      code: 'PROVENANCE_MISSING' | 'PROVENANCE_NO_POLICY' | 'SIGSTORE_VERIFY_ERROR',
      message: string,
    ) => ({
      findings: [finding(code, { subject: context.subject, message, evidence: { bundles: files } })],
      facts: { provenance: 'failed' },
    });
    if (files.length === 0) {
      return required
        ? fail(
            'PROVENANCE_MISSING',
            `no provenance bundle found (looked for ${BUNDLE_SUFFIXES.map((s) => `<file>${s}`).join(', ')} and sha256:<hex>.jsonl beside the artifact${context.options.evidenceDirs.length > 0 ? ' and in the evidence directories' : ''})`,
          )
        : undefined;
    }
    const signers = context.manifest.signers.provenance ?? [];
    if (required && signers.length === 0) {
      return fail('PROVENANCE_NO_POLICY', 'policy.requireProvenance is set but signers.provenance is empty');
    }
    let trust: SigstoreTrust;
    try {
      trust = await trustFor(context.options.trustedRoot);
    } catch (error: unknown) {
      if (error instanceof RmmVerifyError) throw error;
      return fail('SIGSTORE_VERIFY_ERROR', `cannot load the Sigstore trusted root: ${errorMessage(error)}`);
    }
    const policy = { identities: identityPolicies(context), keyBased: false };

    const failures: Finding[] = [];
    const signatures: Finding[] = [];
    for (const file of files) {
      let parsed;
      try {
        parsed = await loadBundles(file);
      } catch (error: unknown) {
        failures.push(
          finding('SIGSTORE_BUNDLE_INVALID', {
            subject: context.subject,
            message: `${file}: ${errorMessage(error)}`,
            evidence: { bundle: file },
            location: { file },
          }),
        );
        continue;
      }
      for (const entry of parsed) {
        const bundleFile = parsed.length > 1 ? `${file} line ${entry.index + 1}` : file;
        if (entry.kind === 'invalid') {
          failures.push(
            finding('SIGSTORE_BUNDLE_INVALID', {
              subject: context.subject,
              message: `${bundleFile}: ${entry.reason}`,
              evidence: { bundle: bundleFile },
              location: { file },
            }),
          );
          continue;
        }
        const result = verifyBundle(entry.bundle, context.digests, trust, policy, {
          subject: context.subject,
          bundleFile,
        });
        if (!result.ok) {
          failures.push(...result.findings);
          continue;
        }
        if (!result.statement) {
          // A plain Sigstore signature (cosign sign-blob): verified, but it is not provenance.
          signatures.push(...result.findings);
          continue;
        }
        const facts = provenanceFacts(result.statement, result.signer);
        if (signers.length === 0) {
          signatures.push(...result.findings);
          continue;
        }
        const outcomes = signers.map((signer) => checkProvenance(facts, signer, context.subject, bundleFile));
        if (outcomes.some((o) => o.length === 0)) {
          const summary = `${facts.predicateType} ${facts.source ?? facts.certificateSource ?? '?'}@${facts.ref ?? facts.certificateRef ?? '?'}`;
          return {
            findings: [
              ...signatures,
              finding('PROVENANCE_VERIFIED', {
                subject: context.subject,
                message: `${bundleFile}: provenance verified: ${summary}`,
                evidence: { ...(facts as unknown as Record<string, EvidenceValue>), bundle: bundleFile },
                location: { file },
              }),
            ],
            facts: {
              provenance: summary,
              ...(result.signer?.identity ? { signedBy: result.signer.identity } : {}),
            },
          };
        }
        // Report the signer entry with the fewest mismatches.
        failures.push(...outcomes.reduce((best, o) => (o.length < best.length ? o : best)));
      }
    }
    if (failures.length > 0)
      return { findings: [...signatures, ...failures], facts: { provenance: 'failed' } };
    if (required) {
      return {
        findings: [
          ...signatures,
          ...fail(
            'PROVENANCE_MISSING',
            `the bundles found (${files.join(', ')}) hold no in-toto provenance statement`,
          ).findings,
        ],
        facts: { provenance: 'missing' },
      };
    }
    return { findings: signatures, facts: { sigstore: 'verified' } };
  },
};
