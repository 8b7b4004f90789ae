/** authenticode/: PE and MSI parsing, image hash, PKCS#7 SignedData, chains, timestamps. */
export { authenticodeCheck } from './artifact-check.ts';
export { AUTHENTICODE_CODES, type AuthenticodeCode } from './codes.ts';
export { parseCertificate, parseCertificateFile, type Certificate } from './certificate.ts';
export { AuthenticodeFormatError, type AuthenticodeErrorCode } from './errors.ts';
export { hashRanges, peImageHash } from './image-hash.ts';
export { isMsi, msiDigests, msiPrehash, parseMsi, type MsiLayout } from './msi.ts';
export { imageHashRanges, isPe, parsePe, type PeLayout, type PeSection } from './pe.ts';
export { bufferSource, openFileSource, type ByteSource, type FileSource } from './source.ts';
export { loadCertificates, loadPinnedSigners, systemRoots } from './trust.ts';
export {
  DEFAULT_AUTHENTICODE_POLICY,
  isAuthenticodeFile,
  verifyAuthenticode,
  type AuthenticodePolicy,
  type AuthenticodeResult,
  type AuthenticodeTrust,
  type CertificateSummary,
  type PinnedSigner,
  type SignatureReport,
  type TimestampSummary,
  type VerifyAuthenticodeOptions,
} from './verifier.ts';
export { verifyAuthenticodeFiles, type AuthenticodeFile, type VerifyFilesOptions } from './verify-files.ts';
