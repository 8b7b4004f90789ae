import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

import { defaults } from '../defaults.ts';
import { UsageError, errorMessage } from '../errors.ts';
import { checkUrl } from '../github/url-policy.ts';
import { readBoundedFile } from '../json/read-bounded.ts';
import { keyIdOf, parsePrivateKeyPem, signBytes } from '../manifest/keys.ts';
import { lintManifest } from '../manifest/lint.ts';
import { loadManifestFile } from '../manifest/load.ts';
import { defaultSignaturePath, readSignatureFile, writeSignature } from '../manifest/signature-file.ts';
import { loadTrustRoot } from '../manifest/trust-root.ts';
import { checkManifest, defaultBundlePath } from '../manifest/verify-trust.ts';
import { buildReport } from '../report/report.ts';
import { parseReportFormat } from '../report/render.ts';
import {
  failOnOption,
  formatOption,
  helpOption,
  parseCommandArgs,
  positiveInteger,
  requireFlag,
  severityFlag,
  subcommandHelp,
  unknownAction,
} from './args.ts';
import { write, type CliIo } from './io.ts';
import { emitReport } from './output.ts';
import { statePath, trustFlags, trustRootPath } from './trust-options.ts';

const HELP = `Usage: rmm-verify manifest <sign|verify|lint> MANIFEST [options]

  sign MANIFEST (--key PRIVATE.pem [--signature FILE] | --sigstore [--bundle FILE])
      --key: adds this key's signature over the manifest's exact bytes to MANIFEST.sig
      (replacing an older signature by the same key).
      --sigstore: signs the exact bytes keylessly (Sigstore: Fulcio certificate for the OIDC
      identity, Rekor entry) and writes the bundle to MANIFEST.sigstore.json. The OIDC token
      comes from --identity-token, else SIGSTORE_ID_TOKEN, else GitHub Actions (the job needs
      'permissions: id-token: write'). --fulcio-url, --rekor-url (defaults: public good),
      --timestamp-server-url URL (an RFC 3161 timestamp authority; none by default).
      Never changes the manifest.
  verify MANIFEST [--trust FILE] [--signature FILE] [--bundle FILE]... [--trusted-root FILE] [--state FILE | --no-state]
      Requires the trust root's threshold of distinct trusted signers (keys, and identities
      for Sigstore bundles) allowed for the product, refuses an expired manifest, and a serial
      below the last accepted one (rollback). Records the accepted serial in the state file.
      Bundles (default MANIFEST.sigstore.json when present) are verified offline against
      --trusted-root, else the root 'trust update' cached, else the vendored public-good root.
  lint MANIFEST [--expiry-days N]
      Reports policy problems: target not released, target revoked, minimum above target,
      artifacts without sha256, duplicate digests, expiry within N days (default ${defaults.expiryWarningDays}).

Common: -f, --format text|json|sarif|junit|markdown|csv   --fail-on critical|high|medium|low   -h, --help`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  const { values, positionals } = parseCommandArgs(`manifest ${action ?? ''}`.trim(), rest, {
    ...helpOption,
    ...formatOption,
    ...failOnOption,
    ...trustFlags,
    key: { type: 'string', short: 'k' },
    'expiry-days': { type: 'string' },
    sigstore: { type: 'boolean' },
    bundle: { type: 'string', multiple: true },
    'trusted-root': { type: 'string' },
    'identity-token': { type: 'string' },
    'fulcio-url': { type: 'string' },
    'rekor-url': { type: 'string' },
    'timestamp-server-url': { type: 'string' },
  });
  if (action === undefined || action === '--help' || action === '-h' || values.help) {
    const own = action === undefined ? undefined : subcommandHelp(HELP, 'manifest', action);
    write(io.stdout, own ?? HELP);
    return action === undefined ? 2 : 0;
  }
  const command = `manifest ${action}`;
  if (positionals.length !== 1 || positionals[0] === undefined)
    throw new UsageError(`${command}: name exactly one manifest file`);
  const manifestPath = resolve(io.cwd, positionals[0]);
  const format = parseReportFormat(command, values.format);
  const failOn = severityFlag(command, values['fail-on']);
  const signaturePath = values.signature
    ? resolve(io.cwd, values.signature)
    : defaultSignaturePath(manifestPath);

  switch (action) {
    case 'sign': {
      if (values.sigstore === true) {
        if (values.key !== undefined)
          throw new UsageError(`${command}: --key and --sigstore exclude each other`);
        if ((values.bundle?.length ?? 0) > 1)
          throw new UsageError(`${command}: --sigstore writes one bundle; give --bundle once`);
        const bundleFlag = values.bundle?.[0];
        return signKeyless(
          manifestPath,
          bundleFlag !== undefined ? resolve(io.cwd, bundleFlag) : defaultBundlePath(manifestPath),
          values,
          io,
        );
      }
      for (const flag of ['identity-token', 'fulcio-url', 'rekor-url', 'timestamp-server-url'] as const) {
        if (values[flag] !== undefined) throw new UsageError(`${command}: --${flag} needs --sigstore`);
      }
      const keyPath = resolve(io.cwd, requireFlag(command, 'key', values.key));
      // Parse first: never sign something that is not a valid manifest.
      const loaded = await loadManifestFile(manifestPath);
      const privateKey = parsePrivateKeyPem(
        (await readBoundedFile(keyPath, 64 << 10, 'private key')).toString('utf8'),
        keyPath,
      );
      const keyid = keyIdOf(privateKey);
      const existing = existsSync(signaturePath) ? await readSignatureFile(signaturePath) : undefined;
      const next = await writeSignature(signaturePath, existing, {
        keyid,
        signature: signBytes(privateKey, loaded.bytes).toString('base64'),
      });
      write(
        io.stderr,
        `signed ${manifestPath} (${loaded.bytes.length} bytes) with key ${keyid}; ${signaturePath} now holds ${next.signatures.length} signature(s)`,
      );
      return 0;
    }
    case 'verify': {
      const trust = await loadTrustRoot(trustRootPath(command, values, io));
      const loaded = await loadManifestFile(manifestPath);
      const state = statePath(command, values, io);
      const result = await checkManifest(loaded, trust, {
        now: io.now,
        signaturePath,
        env: io.env,
        ...(state !== undefined ? { statePath: state } : {}),
        ...(values.bundle !== undefined ? { bundlePaths: values.bundle.map((b) => resolve(io.cwd, b)) } : {}),
        ...(values['trusted-root'] !== undefined
          ? { trustedRoot: resolve(io.cwd, values['trusted-root']) }
          : {}),
      });
      const { manifest } = loaded;
      const report = buildReport({
        command,
        now: io.now,
        failOn,
        subjects: [
          {
            subject: manifestPath,
            kind: 'manifest',
            result: result.trusted ? 'pass' : 'fail',
            facts: {
              product: manifest.product,
              serial: manifest.serial,
              expires: manifest.expires,
              keys: result.validKeyIds.length,
              identities: result.validIdentities.length,
            },
          },
        ],
        findings: result.findings,
      });
      return emitReport(io, report, format);
    }
    case 'lint': {
      const loaded = await loadManifestFile(manifestPath);
      const findings = lintManifest(loaded, {
        now: io.now,
        expiryWarningDays:
          positiveInteger(command, 'expiry-days', values['expiry-days']) ?? defaults.expiryWarningDays,
      });
      const failing = findings.some((f) => f.severity !== 'info');
      const report = buildReport({
        command,
        now: io.now,
        failOn,
        subjects: [
          {
            subject: manifestPath,
            kind: 'manifest',
            result: failing ? 'fail' : 'pass',
            facts: { product: loaded.manifest.product, releases: loaded.manifest.releases.length },
          },
        ],
        findings,
      });
      return emitReport(io, report, format);
    }
    default:
      throw new UsageError(unknownAction('manifest', action, ['sign', 'verify', 'lint']));
  }
}

async function signKeyless(
  manifestPath: string,
  bundlePath: string,
  values: {
    readonly 'identity-token'?: string | undefined;
    readonly 'fulcio-url'?: string | undefined;
    readonly 'rekor-url'?: string | undefined;
    readonly 'timestamp-server-url'?: string | undefined;
  },
  io: CliIo,
): Promise<number> {
  const command = 'manifest sign';
  // Parse first: never sign something that is not a valid manifest.
  const loaded = await loadManifestFile(manifestPath);
  const insecure = io.env['RMM_VERIFY_INSECURE_LOOPBACK'] === '1';
  const url = (flag: 'fulcio-url' | 'rekor-url' | 'timestamp-server-url') => {
    const value = values[flag];
    if (value === undefined) return undefined;
    try {
      return checkUrl(value, insecure).href.replace(/\/+$/, '');
    } catch (error: unknown) {
      throw new UsageError(`${command}: --${flag}: ${errorMessage(error)}`);
    }
  };
  const fulcioUrl = url('fulcio-url');
  const rekorUrl = url('rekor-url');
  const timestampServerUrl = url('timestamp-server-url');
  const { resolveIdentityToken } = await import('../sigstore/identity-token.ts');
  const token = await resolveIdentityToken({
    explicit: values['identity-token'],
    env: io.env,
    allowInsecureLoopback: insecure,
  });
  const { signManifestKeyless, writeBundle } = await import('../manifest/sigstore-sign.ts');
  const signed = await signManifestKeyless(loaded.bytes, {
    identityToken: token.token,
    ...(fulcioUrl !== undefined ? { fulcioUrl } : {}),
    ...(rekorUrl !== undefined ? { rekorUrl } : {}),
    ...(timestampServerUrl !== undefined ? { timestampServerUrl } : {}),
  });
  await writeBundle(bundlePath, signed.bundle);
  write(
    io.stderr,
    `signed ${manifestPath} (${loaded.bytes.length} bytes) keylessly as ${signed.subject ?? 'an unknown subject'} (OIDC token from ${token.source}); wrote ${bundlePath}`,
  );
  return 0;
}
