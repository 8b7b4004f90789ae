import { finding, type EvidenceValue, type Finding, type FindingCode } from '../findings.ts';
import { isJsonObject, type JsonValue } from '../json/index.ts';
import type { ProvenanceSigner } from '../manifest/types.ts';
import type { SignerFacts } from './identity.ts';
import type { InTotoStatement } from './statement.ts';
import { quoteUntrusted } from '../text/truncate.ts';

export const DEFAULT_PREDICATE_TYPES: readonly string[] = ['https://slsa.dev/provenance/v1'];

/** What a provenance statement (and its signing certificate) says about the build. */
export interface ProvenanceFacts {
  readonly predicateType: string;
  readonly builder?: string;
  /** Normalised `host/owner/repo`. */
  readonly source?: string;
  readonly ref?: string;
  /** Workflow path in the source repository, e.g. `.github/workflows/release.yml`. */
  readonly workflow?: string;
  /** Commit the build ran on (SLSA v1 resolvedDependencies gitCommit; v0.2 materials sha1). */
  readonly sourceDigest?: string;
  /** `github-hosted` or `self-hosted` (GitHub buildType internalParameters). */
  readonly runnerEnvironment?: string;
  /** SLSA v1 buildType, e.g. `https://actions.github.io/buildtypes/workflow/v1`. */
  readonly buildType?: string;
  /** From the Fulcio certificate (1.3.6.1.4.1.57264.1.12): `host/owner/repo` of the source. */
  readonly certificateSource?: string;
  /** 1.3.6.1.4.1.57264.1.14 Source Repository Ref. */
  readonly certificateRef?: string;
  /** 1.3.6.1.4.1.57264.1.13 Source Repository Digest. */
  readonly certificateSourceDigest?: string;
  /** 1.3.6.1.4.1.57264.1.11 Runner Environment. */
  readonly certificateRunnerEnvironment?: string;
  /** 1.3.6.1.4.1.57264.1.9 Build Signer URI as issued, with its `@ref`. */
  readonly certificateBuilder?: string;
  /**
   * From the Fulcio certificate: `host/owner/repo/path` of the top-level workflow of the run
   * (Build Config URI, 1.3.6.1.4.1.57264.1.18; for a reusable workflow this is the caller, as
   * in the statement).
   */
  readonly certificateWorkflow?: string;
  /**
   * `host/owner/repo/path` of the workflow that signed (Build Signer URI without its ref): the
   * reusable workflow when one was called, else the same as certificateWorkflow. What gh's
   * `--signer-workflow` and `--signer-repo` match.
   */
  readonly signerWorkflow?: string;
}

/** GitHub Actions' SLSA v1 build type (actions/attest-build-provenance). */
export const GITHUB_WORKFLOW_BUILD_TYPE = 'https://actions.github.io/buildtypes/workflow/v1';

/** Reads SLSA provenance v1 (GitHub and generic builders) and v0.2 into ProvenanceFacts. */
export function provenanceFacts(statement: InTotoStatement, signer?: SignerFacts): ProvenanceFacts {
  const predicate = statement.predicate;
  const facts: Record<string, string> = { predicateType: statement.predicateType };
  if (statement.predicateType === 'https://slsa.dev/provenance/v1') {
    const builder = path(predicate, ['runDetails', 'builder', 'id']);
    if (typeof builder === 'string') facts['builder'] = builder;
    const buildType = path(predicate, ['buildDefinition', 'buildType']);
    if (typeof buildType === 'string') facts['buildType'] = buildType;
    const dependencies = path(predicate, ['buildDefinition', 'resolvedDependencies']);
    const first = Array.isArray(dependencies) ? dependencies[0] : undefined;
    setIf(facts, 'sourceDigest', str(path(first, ['digest']), 'gitCommit'));
    setIf(
      facts,
      'runnerEnvironment',
      str(path(predicate, ['buildDefinition', 'internalParameters', 'github']), 'runner_environment'),
    );
    const workflow = path(predicate, ['buildDefinition', 'externalParameters', 'workflow']);
    if (isJsonObject(workflow ?? null)) {
      setIf(facts, 'source', normaliseRepository(str(workflow, 'repository')));
      setIf(facts, 'ref', str(workflow, 'ref'));
      setIf(facts, 'workflow', str(workflow, 'path'));
    } else {
      // slsa-github-generator style: externalParameters.source.uri = git+https://host/o/r@ref
      const uri = path(predicate, ['buildDefinition', 'externalParameters', 'source', 'uri']);
      const split = splitGitUri(typeof uri === 'string' ? uri : undefined);
      setIf(facts, 'source', split?.source);
      setIf(facts, 'ref', split?.ref);
    }
  } else if (statement.predicateType === 'https://slsa.dev/provenance/v0.2') {
    const builder = path(predicate, ['builder', 'id']);
    if (typeof builder === 'string') facts['builder'] = builder;
    const configSource = path(predicate, ['invocation', 'configSource']);
    const split = splitGitUri(str(configSource, 'uri'));
    setIf(facts, 'source', split?.source);
    setIf(facts, 'ref', split?.ref);
    setIf(facts, 'workflow', str(configSource, 'entryPoint'));
    setIf(facts, 'sourceDigest', str(path(configSource, ['digest']), 'sha1'));
  }
  if (signer) {
    setIf(facts, 'certificateSource', normaliseRepository(signer.sourceRepositoryUri));
    setIf(facts, 'certificateRef', signer.sourceRepositoryRef);
    setIf(facts, 'certificateSourceDigest', signer.sourceRepositoryDigest);
    setIf(facts, 'certificateRunnerEnvironment', signer.runnerEnvironment);
    setIf(facts, 'certificateBuilder', signer.buildSignerUri);
    const configUri = signer.buildConfigUri ?? signer.buildSignerUri ?? signer.identity;
    if (configUri !== undefined && /^https:\/\//.test(configUri)) {
      setIf(facts, 'certificateWorkflow', normaliseRepository(configUri.split('@')[0]));
    }
    const signerUri = signer.buildSignerUri ?? signer.identity;
    if (signerUri !== undefined && /^https:\/\//.test(signerUri)) {
      setIf(facts, 'signerWorkflow', normaliseRepository(signerUri.split('@')[0]));
    }
  }
  return facts as unknown as ProvenanceFacts;
}

/**
 * Checks provenance facts against one `signers.provenance` entry; returns one finding per
 * mismatch (empty when everything matches). Every value that the statement or the certificate
 * states must match; a value the policy pins but the provenance does not state is a mismatch.
 */
export function checkProvenance(
  facts: ProvenanceFacts,
  signer: ProvenanceSigner,
  subject: string,
  file: string,
): Finding[] {
  const findings: Finding[] = [];
  const evidence: Record<string, EvidenceValue> = { ...facts, bundle: file };
  const mismatch = (
    code: FindingCode,
    message: string,
    expected: string,
    actual: readonly (string | undefined)[],
  ) =>
    findings.push(
      finding(code, {
        subject,
        message: `${file}: ${message}`,
        evidence: { ...evidence, expected, actual: actual.map((a) => a ?? null) },
        location: { file },
      }),
    );

  for (const disagreement of certificateDisagreements(facts)) {
    mismatch('PROVENANCE_CERTIFICATE_MISMATCH', disagreement.message, disagreement.certificate, [
      disagreement.statement,
    ]);
  }
  const allowedTypes = signer.predicateTypes ?? DEFAULT_PREDICATE_TYPES;
  if (!allowedTypes.includes(facts.predicateType)) {
    mismatch(
      'PROVENANCE_PREDICATE_NOT_ALLOWED',
      `predicate type ${facts.predicateType} is not allowed (allowed: ${allowedTypes.join(', ')})`,
      allowedTypes.join(' | '),
      [facts.predicateType],
    );
    return findings;
  }
  if (signer.builder !== undefined && !globMatch(signer.builder, facts.builder)) {
    mismatch(
      'PROVENANCE_BUILDER_MISMATCH',
      `builder is ${quoteUntrusted(facts.builder ?? null)}, expected ${signer.builder}`,
      signer.builder,
      [facts.builder],
    );
  }
  const source = normaliseRepository(signer.source) ?? signer.source.toLowerCase();
  const sources = [facts.source, facts.certificateSource].filter((s) => s !== undefined);
  if (sources.length === 0 || sources.some((s) => s !== source)) {
    mismatch(
      'PROVENANCE_SOURCE_MISMATCH',
      `source repository is ${sources.join(' / ') || 'not stated'}, expected ${source}`,
      source,
      sources,
    );
  }
  if (signer.ref !== undefined) {
    const refs = [facts.ref, facts.certificateRef].filter((r) => r !== undefined);
    const pattern = signer.ref;
    if (refs.length === 0 || refs.some((r) => !globMatch(pattern, r))) {
      mismatch(
        'PROVENANCE_REF_MISMATCH',
        `source ref is ${refs.join(' / ') || 'not stated'}, expected ${pattern}`,
        pattern,
        refs,
      );
    }
  }
  if (signer.workflow !== undefined) {
    const wanted = signer.workflow.replace(/^\.?\//, '');
    const full = wanted.includes('/.github/')
      ? (normaliseRepository(wanted) ?? wanted)
      : `${source}/${wanted}`;
    // Both the statement and the certificate must name the wanted workflow where they name one.
    const stated: string[] = [];
    if (facts.workflow !== undefined) {
      stated.push(`${facts.source ?? '?'}/${facts.workflow.replace(/^\.?\//, '')}`);
    }
    if (facts.certificateWorkflow !== undefined) stated.push(facts.certificateWorkflow);
    if (stated.length === 0 || stated.some((w) => w !== full)) {
      mismatch(
        'PROVENANCE_WORKFLOW_MISMATCH',
        `signing workflow is ${stated.join(' / ') || 'not stated'}, expected ${full}`,
        full,
        stated,
      );
    }
  }
  if (signer.signerWorkflow !== undefined) {
    const given = signer.signerWorkflow.split('@')[0] ?? '';
    const wanted = normaliseRepository(/^[^/]+\.[^/]+\//.test(given) ? given : `github.com/${given}`) ?? '';
    if (facts.signerWorkflow !== wanted) {
      mismatch(
        'PROVENANCE_WORKFLOW_MISMATCH',
        `signing workflow (certificate Build Signer URI) is ${facts.signerWorkflow ?? 'not stated'}, expected ${wanted}`,
        wanted,
        [facts.signerWorkflow],
      );
    }
  }
  if (signer.denySelfHostedRunners === true && facts.certificateRunnerEnvironment !== 'github-hosted') {
    mismatch(
      'PROVENANCE_POLICY_MISMATCH',
      `runner environment (certificate) is ${facts.certificateRunnerEnvironment ?? 'not stated'}; denySelfHostedRunners requires github-hosted`,
      'github-hosted',
      [facts.certificateRunnerEnvironment],
    );
  }
  return findings;
}

export interface Disagreement {
  readonly field: string;
  readonly statement: string;
  readonly certificate: string;
  readonly message: string;
}

/**
 * Where the statement and the Fulcio certificate both state a fact, they must agree (as
 * slsa-verifier ties the provenance to the certificate): the certificate was issued from the
 * workflow's OIDC token, the statement was written by the workflow's own steps. A value only
 * one side states is not a disagreement; policies that pin it check both sides.
 */
export function certificateDisagreements(facts: ProvenanceFacts): Disagreement[] {
  const out: Disagreement[] = [];
  const compare = (field: string, statement: string | undefined, certificate: string | undefined) => {
    if (statement === undefined || certificate === undefined || statement === certificate) return;
    out.push({
      field,
      statement,
      certificate,
      message: `the statement's ${field} is ${quoteUntrusted(statement)}, the signing certificate's is ${quoteUntrusted(certificate)}`,
    });
  };
  compare('source repository', facts.source, facts.certificateSource);
  compare('source ref', facts.ref, facts.certificateRef);
  compare('source digest', facts.sourceDigest?.toLowerCase(), facts.certificateSourceDigest?.toLowerCase());
  compare('runner environment', facts.runnerEnvironment, facts.certificateRunnerEnvironment);
  if (facts.buildType === GITHUB_WORKFLOW_BUILD_TYPE) {
    // actions/attest-build-provenance writes the job's workflow (job_workflow_ref) as builder
    // id: the Build Signer URI of the certificate.
    compare('builder id', facts.builder, facts.certificateBuilder);
    if (facts.source !== undefined && facts.workflow !== undefined) {
      compare(
        'workflow',
        `${facts.source}/${facts.workflow.replace(/^\.?\//, '')}`,
        facts.certificateWorkflow,
      );
    }
  }
  return out;
}

/** `*` matches any run of characters; everything else literally; anchored at both ends. */
export function globMatch(pattern: string, value: string | undefined): boolean {
  if (value === undefined) return false;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\/]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${source}$`, 'u').test(value);
}

/** `https://github.com/Acme/Agent.git` → `github.com/acme/agent`. */
export function normaliseRepository(value: string | undefined): string | undefined {
  if (value === undefined || value === '') return undefined;
  return value
    .replace(/^git\+/, '')
    .replace(/^[a-z]+:\/\//i, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '')
    .toLowerCase();
}

function splitGitUri(uri: string | undefined): { source?: string; ref?: string } | undefined {
  if (uri === undefined) return undefined;
  const at = uri.lastIndexOf('@');
  if (at <= uri.indexOf('://')) return { ...optional('source', normaliseRepository(uri)) };
  return { ...optional('source', normaliseRepository(uri.slice(0, at))), ref: uri.slice(at + 1) };
}

function optional<K extends string>(key: K, value: string | undefined): Partial<Record<K, string>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

function setIf(target: Record<string, string>, key: string, value: string | undefined): void {
  if (value !== undefined && value !== '') target[key] = value;
}

function path(value: JsonValue | undefined, keys: readonly string[]): JsonValue | undefined {
  let current = value;
  for (const key of keys) {
    if (!isJsonObject(current ?? null)) return undefined;
    current = (current as Record<string, JsonValue>)[key];
  }
  return current;
}

function str(value: JsonValue | undefined, key: string): string | undefined {
  if (!isJsonObject(value ?? null)) return undefined;
  const field = (value as Record<string, JsonValue>)[key];
  return typeof field === 'string' ? field : undefined;
}
