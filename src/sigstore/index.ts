export { SIGSTORE_CODES } from './codes.ts';
export {
  BUNDLE_MEDIA_TYPES,
  loadBundles,
  parseBundleBytes,
  parseBundleJson,
  type ParsedBundle,
} from './bundle.ts';
export {
  anchoredIdentity,
  describeIssuer,
  exactIdentity,
  issuerMatches,
  identityMatches,
  signerFacts,
  type IdentityMatcher,
  type IdentityPolicy,
  type SignerFacts,
} from './identity.ts';
export { verifyPrehashed, type PrehashAlgorithm, type PrehashResult } from './prehash.ts';
export {
  IN_TOTO_PAYLOAD_TYPE,
  matchingSubject,
  parseStatement,
  type InTotoStatement,
  type StatementSubject,
} from './statement.ts';
export {
  PUBLIC_GOOD_TRUSTED_ROOT_SHA256,
  loadPublicGoodTrustedRoot,
  loadPublicKey,
  loadTrustedRoot,
  parseTrustedRoot,
  publicGoodTrustedRootPath,
  trustFromRoot,
  type SigstoreTrust,
  type TrustOptions,
} from './trusted-root.ts';
export {
  verifyBundle,
  type BundleContext,
  type BundlePolicy,
  type BundleVerification,
} from './verify-bundle.ts';
export {
  artifactDigests,
  verifyBundleFile,
  type ArtifactRef,
  type BundleFileVerification,
} from './verify-files.ts';
export { PUBLIC_GOOD_TUF_MIRROR, defaultTufCache, fetchTrustedRootTuf, type TufOptions } from './tuf.ts';
export {
  DEFAULT_PREDICATE_TYPES,
  GITHUB_WORKFLOW_BUILD_TYPE,
  certificateDisagreements,
  checkProvenance,
  globMatch,
  normaliseRepository,
  provenanceFacts,
  type ProvenanceFacts,
} from './provenance.ts';
export {
  BUNDLE_SUFFIXES,
  GITHUB_ACTIONS_ISSUER,
  findBundleFiles,
  provenanceCheck,
} from './provenance-check.ts';
export {
  DEFAULT_ATTEST_POLICY,
  SLSA_PROVENANCE_V1,
  asksForProvenance,
  checkAttestPolicy,
  type AttestPolicy,
} from './attest-policy.ts';
export { attestVerify, type AttestVerifyInput } from './attest-report.ts';
