import { resolve } from 'node:path';

import { defaults } from '../defaults.ts';
import { UsageError } from '../errors.ts';
import {
  failOnOption,
  formatOption,
  helpOption,
  lockWaitSeconds,
  parseCommandArgs,
  requireFlag,
  severityFlag,
} from './args.ts';
import { write, type CliIo } from './io.ts';
import { progressOn } from './progress.ts';
import { statePath, trustFlags, trustRootPath } from './trust-options.ts';

// Not `import … from 'node:fs'`: that loads all of node:fs at start-up (see cli/args.ts).
const { statSync } = process.getBuiltinModule('node:fs');

const HELP = `Usage: rmm-verify verify <file|dir|github:owner/repo@tag>... --manifest M [options]

Checks each artifact against a pinned, signed manifest: the manifest must be signed by the
trust root's threshold of keys, unexpired and not rolled back; each file is identified by its
digest (never its name), then its size, every pinned digest, platform and version policy
(target, minimum, revoked, advisories) are checked, and Authenticode, provenance and SBOM
checks run where the manifest asks for them. Directories are verified recursively.

Options:
  -m, --manifest FILE      pinned manifest (required)
  -t, --trust FILE         trust root (default: keys/trust.json)
      --signature FILE     detached manifest signatures (default: <manifest>.sig)
      --state FILE         rollback state (default: $RMM_VERIFY_STATE or ~/.local/state/rmm-verify/manifest-state.json)
      --no-state           skip the rollback check (not recommended)
      --lock-wait SECONDS  wait this long for another run updating the state file, then exit 2
                           naming it (default ${defaults.stateLockWaitSeconds})
      --platform P         require artifacts built for this platform, e.g. windows-x64
      --evidence DIR       also look here for bundles, attestations and SBOMs (repeatable)
      --trusted-root FILE  Sigstore trusted_root.json for offline bundle verification
      --offline            never use the network
      --system-roots       also trust the system certificate store for Authenticode
      --token TOKEN        GitHub token for github:owner/repo@tag (default: $GITHUB_TOKEN; never printed)
      --github-api-url URL GitHub Enterprise API, e.g. https://ghe.example.com/api/v3 (default:
                           $GITHUB_API_URL, else https://api.github.com)
  -f, --format F           text | json | sarif | junit | markdown | csv (default text)
      --fail-on S          critical | high | medium | low (default low)
  -h, --help               show this help`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('verify', args, {
    ...helpOption,
    ...formatOption,
    ...failOnOption,
    ...trustFlags,
    manifest: { type: 'string', short: 'm' },
    platform: { type: 'string' },
    evidence: { type: 'string', multiple: true },
    'trusted-root': { type: 'string' },
    offline: { type: 'boolean' },
    'system-roots': { type: 'boolean' },
    token: { type: 'string' },
    'lock-wait': { type: 'string' },
    'github-api-url': { type: 'string' },
  });
  if (values.help) {
    write(io.stdout, HELP);
    return 0;
  }
  // Modules load after the arguments are understood (cold start): --help and usage errors
  // never load the manifest, report or GitHub code.
  const { parseReportFormat } = await import('../report/render.ts');
  const format = parseReportFormat('verify', values.format);
  const failOn = severityFlag('verify', values['fail-on']);
  const manifestPath = resolve(io.cwd, requireFlag('verify', 'manifest', values.manifest));
  if (positionals.length === 0) throw new UsageError('verify: name at least one file or directory to verify');
  const [{ loadTrustRoot }, { loadManifestFile }, { verifyArtifacts }] = await Promise.all([
    import('../manifest/trust-root.ts'),
    import('../manifest/load.ts'),
    import('../artifact/verify-artifacts-report.ts'),
  ]);
  const trust = await loadTrustRoot(trustRootPath('verify', values, io));
  const loaded = await loadManifestFile(manifestPath);
  const state = statePath('verify', values, io);
  const lockWait = lockWaitSeconds('verify', values['lock-wait']);

  // HOOK github: resolve `github:owner/repo@tag` arguments into downloaded files here.
  const github = positionals.some((p) => p.startsWith('github:'))
    ? await (
        await import('../github/cli-inputs.ts')
      ).resolveGithubInputs('verify', positionals, io, {
        token: values.token ?? io.env['GITHUB_TOKEN'],
        offline: values.offline === true,
        attestations: true,
        apiUrl: values['github-api-url'],
      })
    : localInputs(positionals, io.cwd);
  const inputs = github.inputs;
  const subjectOf = (path: string) => github.subjectOf(path);

  const progress = progressOn(io, 'bytes');
  let overall: FilesProgress | undefined;
  const sizes = new Map<string, number | undefined>();
  const sizeOf = (path: string): number | undefined => {
    if (!sizes.has(path)) {
      try {
        sizes.set(path, statSync(path).size);
      } catch {
        sizes.set(path, undefined); // the verification itself reports an unreadable file
      }
    }
    return sizes.get(path);
  };
  const report = await verifyArtifacts(inputs, {
    loaded,
    trust,
    now: io.now,
    env: io.env,
    failOn,
    ...(values.signature ? { signaturePath: resolve(io.cwd, values.signature) } : {}),
    ...(state !== undefined ? { statePath: state } : {}),
    ...(lockWait !== undefined ? { stateLockWaitMs: lockWait * 1000 } : {}),
    ...(values.platform ? { platform: values.platform } : {}),
    options: {
      offline: values.offline === true,
      evidenceDirs: (values.evidence ?? []).map((d) => resolve(io.cwd, d)),
      systemRoots: values['system-roots'] === true,
      ...(values['trusted-root'] ? { trustedRoot: resolve(io.cwd, values['trusted-root']) } : {}),
    },
    subjectOf,
    // Sizes are read for the display only, so only when it is shown.
    ...(progress.visible
      ? {
          onFiles: (files: readonly string[]) => {
            overall = filesProgress(files, sizeOf);
          },
          onProgress: (path: string, bytes: number) => {
            if (overall === undefined) progress.update(subjectOf(path), bytes, sizeOf(path));
            else progress.update(...overall.at(path, bytes));
          },
        }
      : {}),
  });
  progress.done();
  const { emitReport } = await import('./output.ts');
  return emitReport(io, report, format);
}

/** Local files and directories: resolved against the working directory, named as given. */
function localInputs(positionals: readonly string[], cwd: string) {
  const inputs = positionals.map((p) => resolve(cwd, p));
  const subjects = new Map(inputs.map((path, i) => [path, positionals[i] ?? path] as const));
  return { inputs, subjectOf: (path: string) => subjects.get(path) ?? path };
}

interface FilesProgress {
  /** The progress arguments (label, bytes done of all files, total bytes) at `bytes` into `path`. */
  at(path: string, bytes: number): [string, number, number];
}

/**
 * One line for a run over several files (a directory walk): bytes read of the total size of
 * every file, so percent, rate and time left cover the whole run.
 * Undefined for a single file, whose own line says as much.
 */
function filesProgress(
  files: readonly string[],
  sizeOf: (path: string) => number | undefined,
): FilesProgress | undefined {
  if (files.length < 2) return undefined;
  let total = 0;
  for (const file of files) total += sizeOf(file) ?? 0;
  // Several files are read at once: the bytes done are the sum of what each has read so far.
  const readOf = new Map<string, number>();
  let done = 0;
  // One label for the whole run: the display keeps one clock for rate and time left.
  const label = `verify: ${files.length} files`;
  return {
    at: (path, bytes) => {
      done += bytes - (readOf.get(path) ?? 0);
      readOf.set(path, bytes);
      return [label, done, total];
    },
  };
}
