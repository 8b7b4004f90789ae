/** Every limit in one place, with units. Modules take these as defaults and accept overrides. */
export const defaults = {
  // manifest/
  maxManifestBytes: 4 << 20, // bytes
  maxSignatureBytes: 64 << 10, // bytes
  maxTrustRootBytes: 1 << 20, // bytes
  maxStateBytes: 64 << 10, // bytes
  maxJsonDepth: 64, // nesting levels
  maxJsonArrayLength: 100_000, // elements in one array
  // digest/
  readChunkBytes: 1 << 20, // bytes per read() call
  maxUnpinnedReadBytes: 8 << 30, // bytes read from a file whose size is not pinned
  // verify
  maxDirectoryEntries: 100_000, // files walked under one directory argument
  expiryWarningDays: 14, // days before `expires` that lint warns
  // authenticode/
  // sigstore/ and github/
  // sbom/
  // fleet/
} as const;
