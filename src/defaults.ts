/** Every limit in one place, with units. Modules take these as defaults and accept overrides. */
export const defaults = {
  // manifest/
  maxManifestBytes: 4 << 20, // bytes
  maxHashListBytes: 4 << 20, // bytes of a vendor hash list (pin --from)
  maxHashListEntries: 10_000, // files named in one vendor hash list
  maxSignatureBytes: 64 << 10, // bytes
  maxOpenPgpKeyBytes: 1 << 20, // bytes of an OpenPGP key file or keyring (pin --list-key, signers.openpgp)
  maxRpmHeaderBytes: 64 << 20, // bytes of one RPM header (signature or main), read into memory
  maxRpmIndexEntries: 1 << 16, // index entries in one RPM header
  maxDebReleaseBytes: 16 << 20, // bytes of a repository InRelease or Release file
  maxDebPackagesBytes: 256 << 20, // bytes of a Packages index, after decompression (Debian's main: ~100 MB)
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
  verifyFilesInFlight: 8, // files one verify run reads, hashes and checks at once (files)
  expiryWarningDays: 14, // days before `expires` that lint warns
  // authenticode/
  maxPeHeaderBytes: 64 << 10, // bytes read to parse DOS/COFF/optional headers and the section table
  maxCertificateTableBytes: 16 << 20, // bytes in a PE certificate table (or an MSI signature stream)
  maxCertificateEntries: 16, // WIN_CERTIFICATE entries in one certificate table
  maxSignatureNesting: 4, // levels of nested signatures (1.3.6.1.4.1.311.2.4.1) inside one another
  maxSignatures: 32, // signatures (entries plus nested) verified in one file
  maxChainLength: 8, // certificates in one chain, leaf to anchor
  maxMsiBytes: 4 * 1024 ** 3, // bytes of an MSI (compound file); streamed, not held in memory
  maxMsiDirectoryEntries: 1 << 18, // directory entries (128 bytes each, held in memory) of an MSI
  maxMsiStorageDepth: 32, // storages nested inside storages in an MSI
  maxMsiSignatureExBytes: 64, // bytes of an MsiDigitalSignatureEx stream (one digest)
  authenticodeFilesPerThread: 8, // files per verifier thread before another core is used (files)
  authenticodeFilesInFlight: 4, // files each verifier thread works on at once (files)
  // sigstore/ and github/
  maxTrustedRootBytes: 1 << 20, // bytes of a trusted_root.json
  maxTrustedRootInstances: 16, // trusted roots in one JSON-lines file (gh attestation trusted-root)
  tufTimeoutMs: 30_000, // milliseconds per TUF request (trust update)
  sigstoreSignTimeoutMs: 30_000, // milliseconds per Fulcio, Rekor or timestamp-authority request (manifest sign --sigstore)
  sigstoreSignRetries: 2, // extra attempts per Fulcio, Rekor or timestamp-authority request
  maxIdentityTokenBytes: 64 << 10, // bytes of the GitHub Actions OIDC token response
  maxTrustedRootAgeDays: 180, // days before a vendored or updated trusted root is reported as stale
  maxBundleBytes: 4 << 20, // bytes of one Sigstore bundle file (.intoto.jsonl: the whole file)
  maxBundlesPerFile: 64, // bundles (lines) read from one .intoto.jsonl file
  maxStatementSubjects: 10_000, // subjects in one in-toto statement
  githubApiTimeoutMs: 30_000, // milliseconds per GitHub API request
  githubConnectTimeoutMs: 10_000, // milliseconds to establish a download connection
  githubBodyTimeoutMs: 30_000, // milliseconds without receiving body bytes before a download fails
  githubRetries: 3, // extra attempts after a 5xx or connection reset
  githubRetryBaseMs: 500, // milliseconds before the first retry; doubles each time
  githubMaxRedirects: 5, // redirects followed per download
  githubMaxAssets: 200, // release assets handled per release
  githubMaxAssetBytes: 2 * 1024 ** 3, // bytes per asset (2 GiB) when its size is not pinned
  githubMaxAttestations: 300, // attestations fetched per subject digest (all pages)
  githubAttestationsPerPage: 100, // per_page of the attestations endpoint (GitHub's maximum)
  githubMaxAttestationPages: 10, // pages of attestations followed per subject digest
  githubRateLimitRetries: 2, // extra attempts after a rate-limit answer with a short, known wait
  githubMaxRateLimitWaitMs: 60_000, // milliseconds waited at most for a rate limit to lift
  githubMaxApiResponseBytes: 32 << 20, // bytes of one GitHub REST API response (JSON)
  // sbom/
  maxSbomBytes: 256 << 20, // bytes of one SBOM document
  maxSbomArrayLength: 1_000_000, // elements in one array of an SBOM (components, dependencies)
  maxSbomDepth: 96, // nesting levels in an SBOM (nested components)
  maxLicenseExpressionChars: 16 << 10, // characters of one SPDX licence expression parsed
  maxLicenseExpressionTerms: 1_000, // licences and operators in one SPDX licence expression
  maxSbomSchemaErrors: 100, // schema errors reported per document
  maxSbomPolicyBytes: 1 << 20, // bytes of a policy file
  maxOsvFiles: 200_000, // OSV records read from one --osv directory
  maxOsvFileBytes: 4 << 20, // bytes of one OSV record
  // fleet/
  maxInventoryBytes: 64 * 2 ** 30, // bytes of one inventory input (after gunzip): the absolute cap
  maxInventoryGzipRatio: 100, // decompressed bytes per compressed byte read (plus the allowance below)
  inventoryGzipAllowanceBytes: 16 << 20, // decompressed bytes always allowed before the ratio applies
  maxInventoryRecordChars: 1 << 20, // characters in one CSV record or JSON line
  maxInventoryLineChars: 64 << 20, // characters of one over-long record or line skipped before the input is refused
  maxInventoryJsonArrayBytes: 256 << 20, // characters of a JSON array or multi-line JSON document read whole
  maxOsqueryDifferentialRows: 1_000_000, // osquery differential (added/removed) rows held until the end of one input
  maxDriftConfigBytes: 1 << 20, // bytes
  maxDriftFindingsPerCode: 100, // findings listed per code; the rest are counted
  staleDays: 14, // days since last_seen before an endpoint is stale
  dedupMemoryKeys: 1 << 16, // tenant/endpoint/product keys held in memory (64 bytes each) before spilling to disk
  dedupSpillPartitions: 64, // temp files the spilled keys are hashed into
  inventoryReadChunkBytes: 1 << 20, // bytes per read from an inventory file
  readerThreadMinBytes: 8 << 20, // CSV files this large (bytes) are parsed on a worker thread
  maxDistinctProductNames: 200_000, // product names whose match result is cached
  historyTrendScans: 30, // previous scans shown in the trend
  historyRememberScans: 5, // scans a vanished endpoint is remembered for (a return with a lower version is a downgrade)
  futureLastSeenHours: 24, // last_seen this far past the scan's clock is a DRIFT_FUTURE_LAST_SEEN finding
  historyLockWaitSeconds: 60, // seconds a drift scan waits for another scan's history lock (--lock-wait)
  stateLockWaitSeconds: 10, // seconds a run waits for another run's --state file lock (--lock-wait)
  interruptGraceMs: 5_000, // ms after SIGINT/SIGTERM before a run that has not stopped cleanly exits anyway
} as const;
