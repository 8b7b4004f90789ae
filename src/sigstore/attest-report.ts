import { defaults } from '../defaults.ts';
import { finding, type Finding, type Severity } from '../findings.ts';
import { buildReport, type Report } from '../report/report.ts';
import { checkAttestPolicy, DEFAULT_ATTEST_POLICY, type AttestPolicy } from './attest-policy.ts';
import type { SigstoreTrust } from './trusted-root.ts';
import type { BundlePolicy } from './verify-bundle.ts';
import { artifactDigests, verifyBundleFile, type ArtifactRef } from './verify-files.ts';

export interface AttestVerifyInput {
  readonly bundlePath: string;
  readonly artifact: ArtifactRef;
  /** How the report names the artifact (the argument as given). */
  readonly subject: string;
  readonly trust: SigstoreTrust;
  readonly policy: BundlePolicy;
  /**
   * Statement and certificate requirements; default: SLSA provenance v1 for DSSE bundles. `null`:
   * none, the bundle's signature and identity only (cosign verify-blob, the conformance suite).
   */
  readonly attestPolicy?: AttestPolicy | null;
  readonly now: Date;
  /** Days after which a root with a known date (`asOf`) is reported stale; 0: never. */
  readonly maxRootAgeDays?: number;
  readonly failOn?: Severity;
  /** Report command name; default `attest verify`. */
  readonly command?: string;
}

/**
 * `attest verify` as a library call (the CLI and the Action share it): hashes the artifact (or
 * takes its digest), verifies the bundle file and returns the report.
 */
export async function attestVerify(input: AttestVerifyInput): Promise<Report> {
  const digests = await artifactDigests(input.artifact);
  const attestPolicy = input.attestPolicy === undefined ? DEFAULT_ATTEST_POLICY : input.attestPolicy;
  const result = await verifyBundleFile(
    input.bundlePath,
    digests,
    input.trust,
    input.policy,
    input.subject,
    attestPolicy === null
      ? undefined
      : (verified, bundleFile) =>
          checkAttestPolicy(verified, attestPolicy, { subject: input.subject, bundleFile }),
  );
  return buildReport({
    command: input.command ?? 'attest verify',
    now: input.now,
    ...(input.failOn ? { failOn: input.failOn } : {}),
    subjects: [
      {
        subject: input.subject,
        kind: 'bundle',
        result: result.ok ? 'pass' : 'fail',
        facts: {
          ...(result.verified?.facts ?? { bundle: input.bundlePath }),
          trustedRoot: input.trust.source,
        },
      },
    ],
    findings: [...result.findings, ...rootAgeFindings(input)],
  });
}

/** SIGSTORE_ROOT_STALE when the trusted root was last known current too long ago. */
export function rootAgeFindings(
  input: Pick<AttestVerifyInput, 'trust' | 'now' | 'maxRootAgeDays' | 'subject'>,
): Finding[] {
  const maxDays = input.maxRootAgeDays ?? defaults.maxTrustedRootAgeDays;
  const asOf = input.trust.asOf;
  if (maxDays <= 0 || asOf === undefined) return [];
  const ageDays = Math.floor((input.now.getTime() - asOf.getTime()) / 86_400_000);
  if (ageDays <= maxDays) return [];
  return [
    finding('SIGSTORE_ROOT_STALE', {
      subject: input.subject,
      message: `${input.trust.source}: trusted root is ${ageDays} days old (current as of ${asOf.toISOString()}; allowed ${maxDays}); run 'rmm-verify trust update'`,
      evidence: { trustedRoot: input.trust.source, asOf: asOf.toISOString(), ageDays, maxDays },
      location: { file: input.trust.source },
    }),
  ];
}
