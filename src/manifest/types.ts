import type { DigestAlgorithm } from '../digest/algorithms.ts';
import type { VersionSchemeName } from '../versions/index.ts';

/** A pinned manifest (schema 1). Validated by schema.ts, which the compiler checks against these types. */
export interface Manifest {
  /** Editors' schema reference; ignored. */
  readonly $schema?: string;
  readonly schema: 1;
  /** Product id, e.g. `acme-agent`; trust-root keys are scoped to products. */
  readonly product: string;
  readonly vendor: string;
  /** Other names the product has in inventories (`Acme RMM Agent`, `acmeagent.exe`). */
  readonly aliases?: readonly string[];
  /**
   * How this product's versions are written and ordered: `semver` (default), `windows`
   * (`major.minor.build.revision`), `debian` (`epoch:upstream-revision`) or `rpm`
   * (`epoch:version-release`). Target, ranges, releases and inventory versions all use it.
   */
  readonly versionScheme?: VersionSchemeName;
  /** Monotonic: a manifest whose serial is below the last accepted one is a rollback. */
  readonly serial: number;
  /** RFC 3339 date-time. */
  readonly issued: string;
  /** RFC 3339 date-time; past it the manifest is frozen and not trusted. */
  readonly expires: string;
  readonly signers: Signers;
  readonly policy: VersionPolicy;
  readonly releases: readonly Release[];
}

export interface Signers {
  readonly authenticode?: readonly AuthenticodeSigner[];
  readonly sigstore?: readonly SigstoreSigner[];
  readonly provenance?: readonly ProvenanceSigner[];
  readonly openpgp?: readonly OpenPgpSigner[];
}

/**
 * A vendor's OpenPGP release key: artifacts on `platforms` (all when absent) must carry a
 * detached signature (`<file>.asc`, `.sig` or `.gpg`) by one of its keys, as Linux tarballs,
 * AppImages and `SHA256SUMS` files are signed.
 */
export interface OpenPgpSigner {
  /** Public key files or keyrings (armored or binary), paths relative to the manifest's directory. */
  readonly keys: readonly string[];
  /** Only these primary-key fingerprints (hex) of those files count; default: every key in them. */
  readonly fingerprints?: readonly string[];
  /** Platforms whose artifacts this signer signs, e.g. `linux-x64`; default: every platform. */
  readonly platforms?: readonly string[];
}

export interface AuthenticodeSigner {
  /** Exact subject distinguished name or its CN, as `CN=Acme RMM Inc, O=Acme RMM Inc, C=US` or `Acme RMM Inc`. */
  readonly subject?: string;
  /** SHA-256 of the DER certificate (leaf or intermediate), lower-case hex. */
  readonly thumbprint?: string;
  /** Pinned root certificates (PEM or DER), paths relative to the manifest's directory. */
  readonly roots: readonly string[];
  /** Pinned timestamp-authority roots; default: the same as `roots`. */
  readonly timestampRoots?: readonly string[];
}

export interface SigstoreSigner {
  /** Certificate identity (SAN), matched exactly. */
  readonly identity: string;
  /** OIDC issuer, matched exactly. */
  readonly issuer: string;
}

export interface ProvenanceSigner {
  /**
   * Builder id pattern (`*` wildcard). For GitHub artifact attestations it is the workflow that
   * ran the job, e.g. `https://github.com/acme/agent/.github/workflows/release.yml@refs/tags/v*`.
   */
  readonly builder?: string;
  /** Source repository, e.g. `github.com/acme/agent`. */
  readonly source: string;
  /** Ref pattern; `*` matches any run of characters, e.g. `refs/tags/v*`. */
  readonly ref?: string;
  /** Signing workflow path, e.g. `.github/workflows/release.yml`. */
  readonly workflow?: string;
  /** Allowed predicate types; default `https://slsa.dev/provenance/v1`. */
  readonly predicateTypes?: readonly string[];
  /**
   * The workflow that signed (certificate Build Signer URI without its ref), as gh
   * `--signer-workflow`: `[host/]owner/repo/.github/workflows/x.yml`, e.g. a reusable workflow.
   */
  readonly signerWorkflow?: string;
  /** Refuse builds on self-hosted runners (certificate Runner Environment), as gh `--deny-self-hosted-runners`. */
  readonly denySelfHostedRunners?: boolean;
}

export interface VersionPolicy {
  /** The version every endpoint should run. */
  readonly target: string;
  /** Range a version must satisfy, e.g. `>=7.2.0` (node-semver's grammar; see versionScheme). */
  readonly minimum?: string;
  /** Versions and ranges that must not run. */
  readonly revoked?: readonly string[];
  /** Platforms this product is allowed on; empty or absent means any. */
  readonly platforms?: readonly string[];
  /** Known vulnerabilities by affected version range. */
  readonly advisories?: readonly Advisory[];
  /** `verify` fails an artifact without verified build provenance. */
  readonly requireProvenance?: boolean;
  /** `verify` fails a PE/MSI artifact without a valid Authenticode signature from `signers.authenticode`. */
  readonly requireAuthenticode?: boolean;
}

export interface Advisory {
  readonly id: string;
  /** Range of affected versions (in the manifest's version scheme). */
  readonly versions: string;
  readonly severity: 'critical' | 'high' | 'medium' | 'low';
  readonly summary?: string;
}

export interface Release {
  readonly version: string;
  readonly published?: string;
  readonly artifacts: readonly Artifact[];
}

export interface Artifact {
  readonly name: string;
  readonly platform: string;
  /** Exact size in bytes. */
  readonly size: number;
  readonly digests: Readonly<Partial<Record<DigestAlgorithm, string>>>;
  readonly sbom?: SbomPin;
  /** The vendor hash list this pin was imported from (`pin --from`), checked against the file. */
  readonly pinnedFrom?: PinSource;
  /**
   * This Windows PE is deployed re-signed (an MSP's own RMM server signs the vendor's agent with
   * its certificate): a file is this artifact when it has exactly the pinned bytes or the pinned
   * Authenticode image hash, and either way it must carry a valid Authenticode signature from
   * one of these signers.
   */
  readonly resigned?: ResignedPin;
}

export interface ResignedPin {
  /** Authenticode image hash of the vendor's file: every byte but the checksum and signature. */
  readonly imageHash: { readonly sha256: string };
  /** Who must have signed the deployed file (for example the MSP's server certificate). */
  readonly signers: readonly AuthenticodeSigner[];
}

export interface PinSource {
  /** File name of the hash list, e.g. `hashagents.json` or `SHA256SUMS`. */
  readonly list: string;
  readonly format: 'meshcentral' | 'sums' | 'csv';
  /** SHA-256 of the list's exact bytes. */
  readonly sha256: string;
  /** The list's own signature, when `pin --from` was asked to check it and it verified. */
  readonly signature?: ListSignature;
}

export interface ListSignature {
  readonly format: 'openpgp' | 'sigstore';
  /** File name of the signature (the list's own name for a clear-signed list). */
  readonly file: string;
  /** OpenPGP primary-key fingerprints, or the Sigstore certificate identity, that verified. */
  readonly signers: readonly string[];
  /** Sigstore: the OIDC issuer in the certificate. */
  readonly issuer?: string;
}

export interface SbomPin {
  readonly format: 'cyclonedx' | 'spdx';
  readonly sha256: string;
  /** Path of the SBOM file relative to the manifest's directory, or its file name next to the artifact. */
  readonly path?: string;
}
