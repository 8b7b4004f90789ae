import type { ByteSource } from '../authenticode/source.ts';
import type { Digests } from '../digest/multi-hash.ts';
import type { EvidenceValue, Finding } from '../findings.ts';
import type { Artifact, Manifest, Release } from '../manifest/types.ts';

/** Options of one `verify` run that domain checks may need. */
export interface ArtifactVerifyOptions {
  /** Never touch the network. */
  readonly offline: boolean;
  /** Sigstore trusted_root.json to verify bundles against (offline). */
  readonly trustedRoot?: string;
  /** Extra directories to look in for bundles, attestations and SBOMs (besides the artifact's own). */
  readonly evidenceDirs: readonly string[];
  /** Also trust the operating system's certificate store for Authenticode chains. */
  readonly systemRoots: boolean;
}

/**
 * Everything a domain check sees about one artifact that has already been identified by its
 * digest and matched its pinned size and digests.
 */
export interface ArtifactContext {
  /** Local path of the artifact file. */
  readonly path: string;
  /** How reports name the artifact (path as given, or URL). */
  readonly subject: string;
  readonly manifest: Manifest;
  /** Directory of the manifest file: relative paths in it (roots, SBOMs) resolve against it. */
  readonly manifestDir: string;
  readonly release: Release;
  readonly artifact: Artifact;
  /** Digests computed from the file in the identifying pass. */
  readonly digests: Digests;
  /**
   * The open file that was hashed (`verify` keeps it open through every check): checks that
   * read the artifact read it here, so what they inspect is what was hashed, even if the path
   * is replaced meanwhile. Absent only when a check is called on its own; it then opens `path`.
   */
  readonly file?: ByteSource;
  /** The run's reference time. */
  readonly now: Date;
  readonly options: ArtifactVerifyOptions;
  /**
   * What checks share across the artifacts of one run (parsed trust roots, worker threads).
   * Absent when a check is called on its own: it then does everything itself, on this thread.
   */
  readonly resources?: CheckResources;
}

/** Something a run keeps for its checks and releases when it ends. */
export interface RunResource {
  close(): Promise<void>;
}

export interface CheckResources {
  /** Worker threads checks may use for CPU-heavy work (0: do it on this thread). */
  readonly threads: number;
  /** The run's one resource named `key`, made by `create` on first use, closed when the run ends. */
  shared<T extends RunResource>(key: string, create: () => T): T;
}

export interface ArtifactCheckResult {
  readonly findings: readonly Finding[];
  /** Facts shown with the artifact in reports, e.g. `{ authenticode: 'CN=Acme, valid' }`. */
  readonly facts: Readonly<Record<string, EvidenceValue>>;
}

/**
 * One step of the `verify` pipeline beyond size and digests (Authenticode, provenance, SBOM).
 * `run` returns undefined when the check does not apply to this artifact and policy does not
 * require it; when policy requires it and it cannot run, it returns a failing finding.
 */
export interface ArtifactCheck {
  readonly name: string;
  run(context: ArtifactContext): Promise<ArtifactCheckResult | undefined>;
}
