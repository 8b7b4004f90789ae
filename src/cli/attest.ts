import { resolve } from 'node:path';

import { parseDigestReference } from '../digest/index.ts';
import { UsageError } from '../errors.ts';
import { ExitCode } from '../findings.ts';
import { parseReportFormat } from '../report/render.ts';
import {
  anchoredIdentity,
  attestVerify,
  exactIdentity,
  loadPublicGoodTrustedRoot,
  loadPublicKey,
  loadTrustedRoot,
  type ArtifactRef,
  type BundlePolicy,
  type SigstoreTrust,
  type TrustOptions,
} from '../sigstore/index.ts';
import { defaultTufCache, fetchTrustedRootTuf } from '../sigstore/tuf.ts';
import {
  failOnOption,
  formatOption,
  helpOption,
  parseCommandArgs,
  requireFlag,
  severityFlag,
} from './args.ts';
import { write, type CliIo } from './io.ts';
import { emitReport } from './output.ts';

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

Options:
      --bundle FILE                    Sigstore bundle (.sigstore.json, .sigstore, .jsonl) (required)
      --certificate-identity I         certificate SAN, matched exactly
      --certificate-identity-regexp R  certificate SAN, matched by ^(?:R)$ (anchored)
      --certificate-oidc-issuer U      OIDC issuer in the certificate, matched exactly
      --key FILE                       PEM/DER public key of a key-based bundle
      --trusted-root FILE              Sigstore trusted_root.json (fully offline)
      --offline                        never use the network: use the vendored public-good root
                                       (keys/sigstore/trusted_root.json) unless --trusted-root
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
  });
  if (values.help) {
    write(io.stdout, HELP);
    return ExitCode.ok;
  }
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

  const identity = values['certificate-identity'];
  const identityRegexp = values['certificate-identity-regexp'];
  const issuer = values['certificate-oidc-issuer'];
  let policy: BundlePolicy;
  const trustOptions: TrustOptions = {};
  if (values.key !== undefined) {
    if (identity !== undefined || identityRegexp !== undefined || issuer !== undefined) {
      throw new UsageError(
        `${command}: --key excludes --certificate-identity[-regexp] and --certificate-oidc-issuer`,
      );
    }
    Object.assign(trustOptions, { key: await loadPublicKey(resolve(io.cwd, values.key)) });
    policy = { identities: [], keyBased: true };
  } else {
    if (identity !== undefined && identityRegexp !== undefined) {
      throw new UsageError(
        `${command}: give --certificate-identity or --certificate-identity-regexp, not both`,
      );
    }
    if (identity === undefined && identityRegexp === undefined) {
      throw new UsageError(
        `${command}: --certificate-identity or --certificate-identity-regexp is required (or --key for key-based bundles)`,
      );
    }
    const matcher = identity !== undefined ? exactIdentity(identity) : anchoredIdentity(identityRegexp ?? '');
    policy = {
      identities: [{ identity: matcher, issuer: requireFlag(command, 'certificate-oidc-issuer', issuer) }],
      keyBased: false,
    };
  }

  const trust = await loadTrust(values, trustOptions, io);
  const report = await attestVerify({
    bundlePath,
    artifact,
    subject: input,
    trust,
    policy,
    now: io.now,
    failOn,
    command,
  });
  return emitReport(io, report, format);
}

function artifactRef(command: string, input: string, io: CliIo): ArtifactRef {
  if (/^sha(256|384|512):/.test(input)) {
    const digest = parseDigestReference(input);
    if (!digest) throw new UsageError(`${command}: '${input}' is not a valid <algorithm>:<hex> digest`);
    return { kind: 'digest', ...digest };
  }
  return { kind: 'file', path: resolve(io.cwd, input) };
}

async function loadTrust(
  values: {
    'trusted-root'?: string | undefined;
    offline?: boolean | undefined;
    'tuf-cache'?: string | undefined;
  },
  options: TrustOptions,
  io: CliIo,
): Promise<SigstoreTrust> {
  if (values['trusted-root'] !== undefined)
    return loadTrustedRoot(resolve(io.cwd, values['trusted-root']), options);
  if (values.offline === true) return loadPublicGoodTrustedRoot(options);
  const cachePath =
    values['tuf-cache'] !== undefined ? resolve(io.cwd, values['tuf-cache']) : defaultTufCache(io.env);
  return fetchTrustedRootTuf({ ...options, cachePath });
}
