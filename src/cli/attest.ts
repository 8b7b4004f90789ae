import { resolve } from 'node:path';

import { parseDigestReference } from '../digest/algorithms.ts';
import { UsageError } from '../errors.ts';
import { ExitCode } from '../findings.ts';
import { DEFAULT_ATTEST_POLICY, asksForProvenance, type AttestPolicy } from '../sigstore/attest-policy.ts';
import type { ArtifactRef } from '../sigstore/verify-files.ts';
import {
  failOnOption,
  formatOption,
  helpOption,
  parseCommandArgs,
  requireFlag,
  severityFlag,
} from './args.ts';
import { write, type CliIo } from './io.ts';
import { loadSigstoreTrust, signerPolicy } from './sigstore-signer.ts';

const HELP = `Usage: rmm-verify attest verify <file|sha256:HEX> --bundle B
         (--certificate-identity I | --certificate-identity-regexp R) --certificate-oidc-issuer U
       rmm-verify attest verify <file|sha256:HEX> --bundle B --key K
       rmm-verify attest verify-bundle --bundle B (--certificate-identity I --certificate-oidc-issuer U | --key K)
         [--trusted-root T] FILE_OR_DIGEST

Verifies a Sigstore bundle (media types v0.1, v0.2, v0.3; message signatures and DSSE
envelopes; Rekor inclusion proofs and promises, RFC 3161 timestamps) against an artifact,
like 'cosign verify-blob' and 'gh attestation verify': the certificate chains to the trusted
root (with an SCT when the root has CT logs) or the signature verifies with --key, the
transparency-log entry or timestamp verifies, the signature covers the artifact (for DSSE:
an in-toto statement subject carries the artifact's digest), and the signer identity matches.
A .jsonl bundle file (gh attestation download) passes when one of its bundles verifies.
With --owner, --repo, --signer-repo or --signer-workflow the certificate identity defaults to
https://HOST/OWNER[/REPO]/... and the issuer to GitHub Actions, as gh does. Facts that both the
statement and the certificate's Fulcio extensions state (source repository, ref, commit, runner
environment, builder id, workflow) must agree.

Options:
      --bundle FILE                    Sigstore bundle (.sigstore.json, .sigstore, .jsonl) (required)
      --certificate-identity I         certificate SAN, matched exactly
      --certificate-identity-regexp R  certificate SAN, matched by ^(?:R)$ (anchored)
      --certificate-oidc-issuer U      OIDC issuer in the certificate, matched exactly
      --certificate-oidc-issuer-regexp R  OIDC issuer matched by ^(?:R)$ (anchored)
      --predicate-type T               required predicate type of a DSSE statement
                                       (default https://slsa.dev/provenance/v1, as gh)
      --owner O                        source repository (certificate) belongs to owner O (gh)
      --repo O/R                       source repository (certificate) is O/R (gh)
      --signer-repo O/R                the signing workflow (Build Signer URI) is in O/R (gh)
      --signer-workflow [H/]O/R/PATH   the signing workflow, e.g. a reusable one, without @ref (gh)
      --source-ref REF                 the run's ref (certificate), exactly (gh)
      --source-digest HEX              the run's commit (certificate), exactly (gh)
      --builder-id ID                  the statement's builder id; without @ the ref is ignored
                                       (slsa-verifier)
      --deny-self-hosted-runners       the runner environment (certificate) is github-hosted (gh)
      --hostname H                     GitHub host of --owner/--repo/--signer-* (default github.com)
      --key FILE                       PEM/DER public key of a key-based bundle
      --trusted-root FILE              Sigstore trusted_root.json (fully offline); JSON lines with
                                       one root per line (gh attestation trusted-root) for several
                                       instances
      --offline                        never use the network: use the root of the last
                                       'rmm-verify trust update', else the vendored public-good
                                       root (keys/sigstore/trusted_root.json), unless --trusted-root
      --max-root-age DAYS              report SIGSTORE_ROOT_STALE past this age of the vendored
                                       or updated root (default 180; 0: never)
      --tuf-cache DIR                  TUF cache for the online public-good root
                                       (default: $XDG_CACHE_HOME/rmm-verify/tuf)
  -f, --format F                       text | json | sarif | junit | markdown | csv (default text)
      --fail-on S                      critical | high | medium | low (default low)
  -h, --help                           show this help

Without --offline or --trusted-root the public-good trusted root is fetched through TUF.
Exit codes: 0 verified, 1 verification failed, 2 usage or input error.`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const [subcommand, ...rest] = args;
  if (subcommand === undefined || subcommand === '--help' || subcommand === '-h' || subcommand === 'help') {
    write(subcommand === undefined ? io.stderr : io.stdout, HELP);
    return subcommand === undefined ? ExitCode.input : ExitCode.ok;
  }
  if (subcommand !== 'verify' && subcommand !== 'verify-bundle') {
    throw new UsageError(`attest: unknown subcommand '${subcommand}' (expected verify or verify-bundle)`);
  }
  const command = `attest ${subcommand}`;
  const { values, positionals } = parseCommandArgs(command, rest, {
    ...helpOption,
    ...formatOption,
    ...failOnOption,
    bundle: { type: 'string' },
    'certificate-identity': { type: 'string' },
    'certificate-identity-regexp': { type: 'string' },
    'certificate-oidc-issuer': { type: 'string' },
    key: { type: 'string' },
    'trusted-root': { type: 'string' },
    offline: { type: 'boolean' },
    'tuf-cache': { type: 'string' },
    'certificate-oidc-issuer-regexp': { type: 'string' },
    'predicate-type': { type: 'string' },
    owner: { type: 'string' },
    repo: { type: 'string' },
    'signer-repo': { type: 'string' },
    'signer-workflow': { type: 'string' },
    'source-ref': { type: 'string' },
    'source-digest': { type: 'string' },
    'builder-id': { type: 'string' },
    'deny-self-hosted-runners': { type: 'boolean' },
    hostname: { type: 'string' },
    'max-root-age': { type: 'string' },
  });
  if (values.help) {
    write(io.stdout, HELP);
    return ExitCode.ok;
  }
  // Loaded once the arguments are understood (cold start); the TUF client only when it is used.
  const [{ parseReportFormat }, { attestVerify }, { emitReport }] = await Promise.all([
    import('../report/render.ts'),
    import('../sigstore/attest-report.ts'),
    import('./output.ts'),
  ]);
  const format = parseReportFormat(command, values.format);
  const failOn = severityFlag(command, values['fail-on']);
  const bundlePath = resolve(io.cwd, requireFlag(command, 'bundle', values.bundle));
  if (positionals.length !== 1) {
    throw new UsageError(
      `${command}: name exactly one artifact file or sha256:<hex> digest; got ${positionals.length}`,
    );
  }
  const input = positionals[0] ?? '';
  const artifact = artifactRef(command, input, io);

  const attestPolicy = attestPolicyFrom(command, values);
  const { policy, trustOptions } = await signerPolicy(command, values, attestPolicy, io);
  const trust = await loadSigstoreTrust(values, trustOptions, io);
  const report = await attestVerify({
    bundlePath,
    artifact,
    subject: input,
    trust,
    policy,
    // verify-bundle is Sigstore's bundle verification (the conformance suite's and cosign
    // verify-blob's meaning); statement policy applies only when a flag asks for it.
    ...(values['max-root-age'] !== undefined
      ? { maxRootAgeDays: nonNegativeDays(command, values['max-root-age']) }
      : {}),
    attestPolicy: subcommand === 'verify-bundle' && !asksForProvenance(attestPolicy) ? null : attestPolicy,
    now: io.now,
    failOn,
    command,
  });
  return emitReport(io, report, format);
}

interface PolicyFlags {
  readonly 'certificate-identity'?: string | undefined;
  readonly 'certificate-identity-regexp'?: string | undefined;
  readonly 'certificate-oidc-issuer'?: string | undefined;
  readonly 'certificate-oidc-issuer-regexp'?: string | undefined;
  readonly key?: string | undefined;
  readonly 'predicate-type'?: string | undefined;
  readonly owner?: string | undefined;
  readonly repo?: string | undefined;
  readonly 'signer-repo'?: string | undefined;
  readonly 'signer-workflow'?: string | undefined;
  readonly 'source-ref'?: string | undefined;
  readonly 'source-digest'?: string | undefined;
  readonly 'builder-id'?: string | undefined;
  readonly 'deny-self-hosted-runners'?: boolean | undefined;
  readonly hostname?: string | undefined;
}

const OWNER = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/;
const REPOSITORY = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})\/[A-Za-z0-9._-]{1,100}$/;
const HOSTNAME = /^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,252})(?::[0-9]{1,5})?$/;

function attestPolicyFrom(command: string, values: PolicyFlags): AttestPolicy {
  const checked = (flag: string, value: string | undefined, pattern: RegExp, what: string) => {
    if (value !== undefined && !pattern.test(value))
      throw new UsageError(`${command}: --${flag} '${value}' is not ${what}`);
    return value;
  };
  const owner = checked('owner', values.owner, OWNER, 'a GitHub owner name');
  const repo = checked('repo', values.repo, REPOSITORY, 'OWNER/REPO');
  const signerRepo = checked('signer-repo', values['signer-repo'], REPOSITORY, 'OWNER/REPO');
  const host = checked('hostname', values.hostname, HOSTNAME, 'a host name') ?? 'github.com';
  const sourceDigest = checked(
    'source-digest',
    values['source-digest'],
    /^(?:(?:sha1|gitCommit):)?(?:[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/,
    'a 40- or 64-hex-digit commit digest',
  );
  if (owner !== undefined && repo !== undefined && !repo.toLowerCase().startsWith(`${owner.toLowerCase()}/`))
    throw new UsageError(`${command}: --repo ${repo} is not in --owner ${owner}`);
  if (values['signer-repo'] !== undefined && values['signer-workflow'] !== undefined)
    throw new UsageError(`${command}: give --signer-repo or --signer-workflow, not both`);
  const optional = <K extends string>(key: K, value: string | undefined) =>
    (value === undefined ? {} : { [key]: value }) as Partial<Record<K, string>>;
  return {
    ...DEFAULT_ATTEST_POLICY,
    host: host.toLowerCase(),
    predicateType: values['predicate-type'] ?? DEFAULT_ATTEST_POLICY.predicateType,
    predicateTypeGiven: values['predicate-type'] !== undefined,
    denySelfHostedRunners: values['deny-self-hosted-runners'] === true,
    ...optional('owner', owner),
    ...optional('repo', repo),
    ...optional('signerRepo', signerRepo),
    ...optional('signerWorkflow', values['signer-workflow']),
    ...optional('sourceRef', values['source-ref']),
    ...optional('sourceDigest', sourceDigest),
    ...optional('builderId', values['builder-id']),
  };
}

function nonNegativeDays(command: string, value: string): number {
  if (!/^[0-9]{1,5}$/.test(value))
    throw new UsageError(`${command}: --max-root-age must be a whole number of days; got '${value}'`);
  return Number(value);
}

function artifactRef(command: string, input: string, io: CliIo): ArtifactRef {
  if (/^sha(256|384|512):/.test(input)) {
    const digest = parseDigestReference(input);
    if (!digest) throw new UsageError(`${command}: '${input}' is not a valid <algorithm>:<hex> digest`);
    return { kind: 'digest', ...digest };
  }
  return { kind: 'file', path: resolve(io.cwd, input) };
}
