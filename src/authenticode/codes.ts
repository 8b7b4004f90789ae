import { defineCodes } from '../finding-codes.ts';

/** Finding codes owned by authenticode/. Stable strings: never rename one, only add. */
export const AUTHENTICODE_CODES = defineCodes({
  AUTHENTICODE_VERIFIED: {
    severity: 'info',
    title: 'Authenticode signature verified',
    help: 'The image hash matches, the signature verifies, and the signer chains to a pinned root and matches a pinned signer.',
  },
  AUTHENTICODE_UNSIGNED: {
    severity: 'critical',
    title: 'File has no Authenticode signature',
    help: 'The PE has no certificate table (or the MSI no DigitalSignature stream) but policy requires Authenticode.',
  },
  AUTHENTICODE_MALFORMED: {
    severity: 'critical',
    title: 'PE or MSI structure is malformed',
    help: 'Headers, offsets or the compound-file structure are invalid or truncated; the finding names the byte offset. Verification fails closed.',
  },
  AUTHENTICODE_SIGNATURE_MALFORMED: {
    severity: 'critical',
    title: 'Signature blob is malformed',
    help: 'A WIN_CERTIFICATE entry, the PKCS#7 SignedData, SpcIndirectDataContent or a nested signature cannot be parsed, or lacks a required part.',
  },
  AUTHENTICODE_IMAGE_HASH_MISMATCH: {
    severity: 'critical',
    title: 'File content differs from what was signed',
    help: 'The Authenticode digest computed over the file (headers, sections, overlay; MSI streams) differs from the digest in SpcIndirectDataContent: the file was modified after signing.',
  },
  AUTHENTICODE_CONTENT_DIGEST_MISMATCH: {
    severity: 'critical',
    title: 'Signed messageDigest does not cover SpcIndirectDataContent',
    help: 'The messageDigest authenticated attribute differs from the hash of SpcIndirectDataContent: the signed content was replaced.',
  },
  AUTHENTICODE_SIGNATURE_INVALID: {
    severity: 'critical',
    title: 'Signature does not verify',
    help: "The signer's signature over the authenticated attributes does not verify with the signer certificate's key.",
  },
  AUTHENTICODE_TRAILING_DATA: {
    severity: 'critical',
    title: 'Data hidden after the PKCS#7 signature',
    help: 'Bytes after the PKCS#7 blob beyond zero padding to 8-byte alignment (CVE-2013-3900, used in the 3CX 2023 attack). Strict by default.',
  },
  AUTHENTICODE_CERT_TABLE_INCONSISTENT: {
    severity: 'critical',
    title: 'Certificate table entries do not match its directory size',
    help: 'The 8-byte-rounded WIN_CERTIFICATE lengths do not add up to the Security directory size, or an entry has an unsupported revision or type.',
  },
  AUTHENTICODE_DATA_AFTER_CERT_TABLE: {
    severity: 'critical',
    title: 'Data after the certificate table',
    help: 'The certificate table must end the file; bytes after it are outside the signature and could carry a payload.',
  },
  AUTHENTICODE_MSI_UNALLOCATED_DATA: {
    severity: 'critical',
    title: 'Data after the MSI compound file',
    help: 'Bytes past the last sector the compound file allocates are in no stream, so the MSI digest does not cover them. Strict by default.',
  },
  AUTHENTICODE_MSI_METADATA_UNSIGNED: {
    // info, not low: most signed MSIs in the wild have no MsiDigitalSignatureEx and Windows and
    // osslsigncode accept them; what it leaves out (times, state bits) is not installed content.
    severity: 'info',
    title: 'MSI signature does not cover entry metadata',
    help: "The MSI has no \\x05MsiDigitalSignatureEx stream, so its signature covers stream contents and storage CLSIDs but not the entries' state bits and creation and modification times, which can change without breaking it. Windows and osslsigncode accept such packages and most signed MSIs lack the stream, so this is a note, not a failure. Vendors can sign with MsiDigitalSignatureEx (osslsigncode -add-msi-dse).",
  },
  AUTHENTICODE_UNKNOWN_UNSIGNED_ATTRIBUTE: {
    severity: 'critical',
    title: 'Unknown unauthenticated attribute',
    help: 'An unsigned attribute other than a countersignature, an RFC 3161 timestamp or a nested signature: data smuggled outside the signed content.',
  },
  AUTHENTICODE_UNSUPPORTED_ALGORITHM: {
    severity: 'critical',
    title: 'Unsupported or weak algorithm',
    help: 'A digest or signature algorithm this verifier does not accept (e.g. MD5, RSASSA-PSS). Verification fails closed.',
  },
  AUTHENTICODE_WEAK_DIGEST: {
    severity: 'high',
    title: 'Signed with SHA-1 only',
    help: 'The image or signature digest is SHA-1, for which chosen-prefix collisions are practical. Accepted (as info) only when another signature with SHA-2 verifies, as in dual-signed files.',
  },
  AUTHENTICODE_UNTRUSTED_ROOT: {
    severity: 'critical',
    title: 'Signer does not chain to a pinned root',
    help: 'No chain from the signer certificate to a root pinned in the manifest or given with --root (the system store only with --system-roots).',
  },
  AUTHENTICODE_CHAIN_INVALID: {
    severity: 'critical',
    title: 'Certificate chain is invalid',
    help: 'An issuer is not a CA, a path-length constraint is exceeded, or a certificate has an unknown critical extension.',
  },
  AUTHENTICODE_CERT_EXPIRED: {
    severity: 'critical',
    title: 'Certificate not valid at the signing time',
    help: 'A certificate in the chain is expired or not yet valid at the time of a valid timestamp, or now when there is no valid timestamp.',
  },
  AUTHENTICODE_USAGE_NOT_ALLOWED: {
    severity: 'critical',
    title: 'Certificate not allowed for code signing',
    help: 'The signer lacks the code-signing extended key usage or the digitalSignature key usage (timestamping for a TSA), or an issuer restricts it.',
  },
  AUTHENTICODE_SIGNER_NOT_PINNED: {
    severity: 'critical',
    title: 'Signer is not a pinned signer',
    help: "The chain is trusted but neither the subject nor a SHA-256 thumbprint in it matches the manifest's signers.authenticode.",
  },
  AUTHENTICODE_TIMESTAMP_INVALID: {
    severity: 'high',
    title: 'Timestamp does not verify',
    help: 'An RFC 3161 token or legacy countersignature is malformed, does not cover the signature, or does not chain to a pinned timestamp root. Certificates must then be valid now.',
  },
  AUTHENTICODE_TRUST_UNAVAILABLE: {
    severity: 'critical',
    title: 'Pinned Authenticode roots cannot be loaded',
    help: 'A root listed in signers.authenticode cannot be read or parsed, or policy requires Authenticode but no signer is pinned. Verification fails closed.',
  },
});

export type AuthenticodeCode = keyof typeof AUTHENTICODE_CODES;
