export { ManifestError, type ManifestErrorCode } from './errors.ts';
export {
  KEY_ALGORITHMS,
  generateKeyPair,
  keyIdOf,
  parsePrivateKeyPem,
  parsePublicKeyPem,
  signBytes,
  verifyBytes,
  type KeyAlgorithm,
  type PublicKeyInfo,
} from './keys.ts';
export { lintManifest, type LintOptions } from './lint.ts';
export { loadManifestFile, parseManifest, type LoadedManifest } from './load.ts';
export { newManifest, pinArtifacts, serializeManifest, type PinRequest } from './pin.ts';
export { manifestSchema } from './schema.ts';
export {
  defaultSignaturePath,
  parseSignatureFile,
  readSignatureFile,
  writeSignature,
  type ManifestSignature,
  type SignatureFile,
} from './signature-file.ts';
export {
  defaultStatePath,
  readState,
  recordAccepted,
  type AcceptedManifest,
  type ManifestState,
} from './state.ts';
export {
  describeIdentity,
  identityMatchesSigner,
  keyMaySign,
  loadTrustRoot,
  parseTrustRoot,
  trustRootSchema,
  type TrustRoot,
  type TrustRootDocument,
  type TrustedKey,
  type TrustedKeyDocument,
  type TrustedIdentity,
  type TrustedIdentityDocument,
  type CertificateSigner,
} from './trust-root.ts';
export type * from './types.ts';
export {
  checkManifest,
  defaultBundlePath,
  verifyManifestTrust,
  type BundleSignature,
  type CheckManifestOptions,
  type ManifestTrustInput,
  type ManifestTrustResult,
} from './verify-trust.ts';
export { evaluateVersionPolicy, type VersionVerdict } from './version-policy.ts';
export { manifestTrust, uncheckedManifests, type TrustedManifest } from './trusted.ts';
