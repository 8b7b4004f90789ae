/** Every limit in one place, with units. Modules take these as defaults and accept overrides. */
export const defaults = {
  // manifest/
  maxManifestBytes: 4 << 20, // bytes
  maxSignatureBytes: 64 << 10, // bytes
  maxTrustRootBytes: 1 << 20, // bytes
  maxStateBytes: 64 << 10, // bytes
  clockSkewSeconds: 300, // allowed difference between our clock and a manifest's `issued`
  maxJsonDepth: 64, // nesting levels
  maxJsonArrayLength: 100_000, // elements in one array
  // digest/
  readChunkBytes: 1 << 20, // bytes per read() call
  maxUnpinnedReadBytes: 8 * 1024 ** 3, // bytes read from a file whose size is not pinned
  // verify
  maxDirectoryEntries: 100_000, // files walked under one directory argument
  expiryWarningDays: 14, // days before `expires` that lint warns
  // authenticode/
  maxPeHeaderBytes: 64 << 10, // bytes read to parse DOS/COFF/optional headers and the section table
  maxCertificateTableBytes: 16 << 20, // bytes in a PE certificate table (or an MSI signature stream)
  maxCertificateEntries: 16, // WIN_CERTIFICATE entries in one certificate table
  maxSignatureNesting: 4, // levels of nested signatures (1.3.6.1.4.1.311.2.4.1) inside one another
  maxSignatures: 32, // signatures (entries plus nested) verified in one file
  maxChainLength: 8, // certificates in one chain, leaf to anchor
  maxMsiBytes: 1 << 30, // bytes of an MSI (compound file) read into memory
  // sigstore/ and github/
  // sbom/
  maxSbomBytes: 256 << 20, // bytes of one SBOM document
  maxSbomArrayLength: 1_000_000, // elements in one array of an SBOM (components, dependencies)
  maxSbomDepth: 96, // nesting levels in an SBOM (nested components)
  maxSbomSchemaErrors: 100, // schema errors reported per document
  maxSbomPolicyBytes: 1 << 20, // bytes of a policy file
  maxOsvFiles: 200_000, // OSV records read from one --osv directory
  maxOsvFileBytes: 4 << 20, // bytes of one OSV record
  // fleet/
} as const;
