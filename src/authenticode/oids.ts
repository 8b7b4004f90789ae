/** Object identifiers used by Authenticode (Microsoft's Authenticode PE specification, RFC 5652, RFC 3161). */
export const Oid = {
  signedData: '1.2.840.113549.1.7.2',
  data: '1.2.840.113549.1.7.1',
  contentType: '1.2.840.113549.1.9.3',
  messageDigest: '1.2.840.113549.1.9.4',
  signingTime: '1.2.840.113549.1.9.5',
  counterSignature: '1.2.840.113549.1.9.6',
  tstInfo: '1.2.840.113549.1.9.16.1.4',
  spcIndirectData: '1.3.6.1.4.1.311.2.1.4',
  spcPeImageData: '1.3.6.1.4.1.311.2.1.15',
  spcSipInfo: '1.3.6.1.4.1.311.2.1.30',
  spcNestedSignature: '1.3.6.1.4.1.311.2.4.1',
  msRfc3161Timestamp: '1.3.6.1.4.1.311.3.3.1',
  ekuCodeSigning: '1.3.6.1.5.5.7.3.3',
  ekuTimeStamping: '1.3.6.1.5.5.7.3.8',
  ekuAny: '2.5.29.37.0',
  extKeyUsage: '2.5.29.15',
  extBasicConstraints: '2.5.29.19',
  extExtendedKeyUsage: '2.5.29.37',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecPublicKey: '1.2.840.10045.2.1',
} as const;

/**
 * Unsigned attributes this verifier understands; anything else is data smuggled outside the
 * signature (the newer CVE-2013-3900 variant) and fails in strict mode.
 */
export const ALLOWED_UNSIGNED_ATTRIBUTES: ReadonlySet<string> = new Set([
  Oid.counterSignature,
  Oid.msRfc3161Timestamp,
  Oid.spcNestedSignature,
]);

export type HashName = 'sha1' | 'sha256' | 'sha384' | 'sha512';

export const DIGEST_OIDS: Readonly<Record<string, HashName>> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** Signature algorithms: the hash they imply (undefined: use the signer's digest algorithm). */
export const SIGNATURE_OIDS: Readonly<Record<string, HashName | undefined>> = {
  [Oid.rsaEncryption]: undefined,
  [Oid.ecPublicKey]: undefined,
  '1.2.840.113549.1.1.5': 'sha1',
  '1.2.840.113549.1.1.11': 'sha256',
  '1.2.840.113549.1.1.12': 'sha384',
  '1.2.840.113549.1.1.13': 'sha512',
  '1.2.840.10045.4.1': 'sha1',
  '1.2.840.10045.4.3.2': 'sha256',
  '1.2.840.10045.4.3.3': 'sha384',
  '1.2.840.10045.4.3.4': 'sha512',
};

export const NAME_ATTRIBUTES: Readonly<Record<string, string>> = {
  '2.5.4.3': 'CN',
  '2.5.4.6': 'C',
  '2.5.4.7': 'L',
  '2.5.4.8': 'ST',
  '2.5.4.9': 'STREET',
  '2.5.4.10': 'O',
  '2.5.4.11': 'OU',
  '2.5.4.5': 'serialNumber',
  '2.5.4.4': 'SN',
  '2.5.4.42': 'GN',
  '2.5.4.12': 'title',
  '2.5.4.17': 'postalCode',
  '2.5.4.97': 'organizationIdentifier',
  '1.2.840.113549.1.9.1': 'E',
  '0.9.2342.19200300.100.1.25': 'DC',
  '1.3.6.1.4.1.311.60.2.1.3': 'jurisdictionC',
  '1.3.6.1.4.1.311.60.2.1.2': 'jurisdictionST',
  '1.3.6.1.4.1.311.60.2.1.1': 'jurisdictionL',
  '2.5.4.15': 'businessCategory',
};
