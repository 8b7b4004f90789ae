import { openPgpSignersFor } from '../openpgp/signers.ts';
import { findBundleFiles } from '../sigstore/bundle-files.ts';
import type { ArtifactCheck, ArtifactContext } from './check.ts';

/**
 * A check whose module loads only when it applies: `applies` mirrors the check's own first
 * "does not apply" test (cheap, no parsing), so `verify` of a plain file never loads the
 * Authenticode, Sigstore or SBOM code (start-up time).
 */
function lazyCheck(
  name: string,
  applies: (context: ArtifactContext) => boolean,
  load: () => Promise<ArtifactCheck>,
): ArtifactCheck {
  return {
    name,
    async run(context) {
      if (!applies(context)) return undefined;
      return (await load()).run(context);
    },
  };
}

/**
 * The domain checks `verify` runs, in order, after size, digests and version policy pass.
 * Each domain registers its check here with one entry.
 */
export const ARTIFACT_CHECKS: readonly ArtifactCheck[] = [
  lazyCheck(
    'authenticode',
    (c) =>
      (c.manifest.signers.authenticode ?? []).length > 0 || c.manifest.policy.requireAuthenticode === true,
    async () => (await import('../authenticode/artifact-check.ts')).authenticodeCheck,
  ),
  lazyCheck(
    'openpgp',
    (c) => openPgpSignersFor(c.manifest, c.artifact).length > 0,
    async () => (await import('../openpgp/artifact-check.ts')).openPgpCheck,
  ),
  lazyCheck(
    'provenance',
    (c) => c.manifest.policy.requireProvenance === true || findBundleFiles(c).length > 0,
    async () => (await import('../sigstore/provenance-check.ts')).provenanceCheck,
  ),
  lazyCheck(
    'sbom',
    (c) => c.artifact.sbom !== undefined,
    async () => (await import('../sbom/artifact-check.ts')).sbomCheck,
  ),
];
