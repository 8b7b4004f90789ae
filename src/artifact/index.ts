export type { ArtifactCheck, ArtifactCheckResult, ArtifactContext, ArtifactVerifyOptions } from './check.ts';
export { ARTIFACT_CHECKS } from './checks.ts';
export { SIDECAR_SUFFIXES, collectFiles, type CollectedFiles } from './collect-files.ts';
export {
  verifyArtifactFile,
  verifyArtifactFiles,
  type ArtifactVerification,
  type VerifyArtifactOptions,
} from './verify-artifacts.ts';
export { verifyArtifacts, type VerifyArtifactsOptions } from './verify-artifacts-report.ts';
