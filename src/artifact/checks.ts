import { authenticodeCheck } from '../authenticode/artifact-check.ts';
import { sbomCheck } from '../sbom/artifact-check.ts';
import { provenanceCheck } from '../sigstore/provenance-check.ts';
import type { ArtifactCheck } from './check.ts';

/**
 * The domain checks `verify` runs, in order, after size, digests and version policy pass.
 * Each domain registers its check here with one line.
 */
export const ARTIFACT_CHECKS: readonly ArtifactCheck[] = [authenticodeCheck, provenanceCheck, sbomCheck];
