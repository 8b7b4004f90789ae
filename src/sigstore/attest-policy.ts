import { finding, type EvidenceValue, type Finding, type FindingCode } from '../findings.ts';
import { certificateDisagreements, normaliseRepository, provenanceFacts } from './provenance.ts';
import type { BundleVerification } from './verify-bundle.ts';
import { quoteUntrusted } from '../text/truncate.ts';

export const SLSA_PROVENANCE_V1 = 'https://slsa.dev/provenance/v1';

/**
 * What `attest verify` asks of an attestation beyond a valid signature by an allowed identity:
 * the flags of `gh attestation verify` and slsa-verifier, as plain data. Values read from the
 * signing certificate come from its Fulcio extensions (1.3.6.1.4.1.57264.1.*), which Fulcio
 * copied from the workflow's OIDC token; the statement must agree with them.
 */
export interface AttestPolicy {
  /**
   * Required predicate type of a DSSE statement (gh `--predicate-type`); default SLSA
   * provenance v1 as gh. Message-signature bundles carry no statement: they pass only when no
   * statement flag was given (cosign verify-blob).
   */
  readonly predicateType: string;
  /** Whether `predicateType` was asked for explicitly (then a message signature fails). */
  readonly predicateTypeGiven: boolean;
  /** GitHub host of the repositories below (gh `--hostname`); default `github.com`. */
  readonly host: string;
  /** gh `--owner`: the source repository (extension .12) belongs to this owner. */
  readonly owner?: string;
  /** gh `--repo OWNER/REPO`: the source repository (extension .12) is this one. */
  readonly repo?: string;
  /** gh `--signer-repo OWNER/REPO`: the workflow that signed (Build Signer URI, .9) lives here. */
  readonly signerRepo?: string;
  /**
   * gh `--signer-workflow [HOST/]OWNER/REPO/PATH`: the workflow that signed (.9; a reusable
   * workflow's own identity, not its caller's), compared without its `@ref`.
   */
  readonly signerWorkflow?: string;
  /** gh `--source-ref`: the ref the run was triggered on (.14), exactly. */
  readonly sourceRef?: string;
  /** gh `--source-digest`: the commit the run was triggered on (.13), exactly (hex, case-insensitive). */
  readonly sourceDigest?: string;
  /**
   * slsa-verifier `--builder-id`: the statement's builder id; without `@` the builder's ref is
   * ignored, with `@` it must match exactly.
   */
  readonly builderId?: string;
  /** gh `--deny-self-hosted-runners`: the Runner Environment extension (.11) is `github-hosted`. */
  readonly denySelfHostedRunners: boolean;
}

export const DEFAULT_ATTEST_POLICY: AttestPolicy = {
  predicateType: SLSA_PROVENANCE_V1,
  predicateTypeGiven: false,
  host: 'github.com',
  denySelfHostedRunners: false,
};

/** True when the policy asks anything that only a statement or a certificate can answer. */
export function asksForProvenance(policy: AttestPolicy): boolean {
  return (
    policy.predicateTypeGiven ||
    policy.owner !== undefined ||
    policy.repo !== undefined ||
    policy.signerRepo !== undefined ||
    policy.signerWorkflow !== undefined ||
    policy.sourceRef !== undefined ||
    policy.sourceDigest !== undefined ||
    policy.builderId !== undefined ||
    policy.denySelfHostedRunners
  );
}

/**
 * Checks a verified bundle against the policy. Returns one finding per unmet requirement (empty
 * when all are met). Pure; a fact the policy needs but neither side states fails closed.
 */
export function checkAttestPolicy(
  verification: BundleVerification,
  policy: AttestPolicy,
  context: { readonly subject: string; readonly bundleFile: string },
): Finding[] {
  const findings: Finding[] = [];
  const add = (
    code: FindingCode,
    message: string,
    expected: EvidenceValue,
    actual: EvidenceValue,
    facts: Record<string, EvidenceValue> = {},
  ) =>
    findings.push(
      finding(code, {
        subject: context.subject,
        message: `${context.bundleFile}: ${message}`,
        evidence: { ...verification.facts, ...facts, expected, actual },
        location: { file: context.bundleFile },
      }),
    );

  const statement = verification.statement;
  if (statement === undefined) {
    if (asksForProvenance(policy)) {
      add(
        'PROVENANCE_POLICY_MISMATCH',
        'the bundle signs the artifact directly (message signature) and carries no statement, but the policy asks for provenance',
        policy.predicateType,
        null,
      );
    }
    return findings;
  }
  if (statement.predicateType !== policy.predicateType) {
    add(
      'PROVENANCE_PREDICATE_NOT_ALLOWED',
      `predicate type is ${statement.predicateType}, expected ${policy.predicateType} (--predicate-type)`,
      policy.predicateType,
      statement.predicateType,
    );
    return findings;
  }
  const facts = provenanceFacts(statement, verification.signer);
  const evidence = facts as unknown as Record<string, EvidenceValue>;
  for (const disagreement of certificateDisagreements(facts)) {
    add(
      'PROVENANCE_CERTIFICATE_MISMATCH',
      disagreement.message,
      disagreement.certificate,
      disagreement.statement,
      evidence,
    );
  }
  const unmet = (flag: string, wanted: string, actual: string | undefined, what: string) =>
    add(
      'PROVENANCE_POLICY_MISMATCH',
      `${what} is ${actual === undefined ? 'not stated' : quoteUntrusted(actual)}, expected ${JSON.stringify(wanted)} (${flag})`,
      wanted,
      actual ?? null,
      evidence,
    );
  const host = policy.host.toLowerCase();
  const repository = (value: string) => normaliseRepository(`${host}/${value.replace(/^\/+/, '')}`) ?? '';

  if (policy.owner !== undefined) {
    const owner = policy.owner.toLowerCase();
    const source = facts.certificateSource;
    if (source === undefined || !source.startsWith(`${host}/${owner}/`))
      unmet('--owner', `${host}/${owner}/*`, source, 'source repository (certificate)');
  }
  if (policy.repo !== undefined) {
    const wanted = repository(policy.repo);
    if (facts.certificateSource !== wanted)
      unmet('--repo', wanted, facts.certificateSource, 'source repository (certificate)');
  }
  if (policy.signerRepo !== undefined) {
    const wanted = repository(policy.signerRepo);
    const signer = facts.signerWorkflow;
    if (signer === undefined || !signer.startsWith(`${wanted}/`))
      unmet('--signer-repo', `${wanted}/*`, signer, 'signing workflow (certificate Build Signer URI)');
  }
  if (policy.signerWorkflow !== undefined) {
    const given = policy.signerWorkflow.split('@')[0] ?? '';
    // gh accepts OWNER/REPO/PATH and HOST/OWNER/REPO/PATH.
    const wanted = given.toLowerCase().startsWith(`${host}/`)
      ? (normaliseRepository(given) ?? '')
      : repository(given);
    if (facts.signerWorkflow !== wanted)
      unmet(
        '--signer-workflow',
        wanted,
        facts.signerWorkflow,
        'signing workflow (certificate Build Signer URI)',
      );
  }
  if (policy.sourceRef !== undefined && facts.certificateRef !== policy.sourceRef)
    unmet('--source-ref', policy.sourceRef, facts.certificateRef, 'source ref (certificate)');
  if (policy.sourceDigest !== undefined) {
    const wanted = policy.sourceDigest.replace(/^(sha1|gitCommit):/i, '').toLowerCase();
    if (facts.certificateSourceDigest?.toLowerCase() !== wanted)
      unmet('--source-digest', wanted, facts.certificateSourceDigest, 'source digest (certificate)');
  }
  if (policy.builderId !== undefined) {
    const wanted = policy.builderId;
    const actual = facts.builder;
    const matches =
      actual !== undefined && (wanted.includes('@') ? actual === wanted : actual.split('@')[0] === wanted);
    if (!matches) unmet('--builder-id', wanted, actual, 'builder id (statement)');
  }
  if (policy.denySelfHostedRunners && facts.certificateRunnerEnvironment !== 'github-hosted') {
    unmet(
      '--deny-self-hosted-runners',
      'github-hosted',
      facts.certificateRunnerEnvironment,
      'runner environment (certificate)',
    );
  }
  return findings;
}
