import { resolve } from 'node:path';

import { UsageError } from '../errors.ts';
import { ExitCode, finding, type Finding } from '../findings.ts';
import type { InventorySource } from '../fleet/inventory.ts';
import { PRESET_NAMES, parsePreset } from '../fleet/presets.ts';
import { DATE_ORDERS, type DateOrder } from '../fleet/timestamp.ts';
import type { TrustedManifest } from '../manifest/trusted.ts';
import type { DriftReport } from '../fleet/report.ts';
import {
  failOnOption,
  formatOption,
  helpOption,
  lockWaitSeconds,
  oneOf,
  parseCommandArgs,
  positiveInteger,
  requireFlag,
  severityFlag,
} from './args.ts';
import { useColor, write, type CliIo } from './io.ts';
import { progressOn } from './progress.ts';
import { trustRootPath } from './trust-options.ts';
import { defaults } from '../defaults.ts';

// Not `import … from 'node:fs'`: that loads all of node:fs at start-up (see cli/args.ts).
const { statSync } = process.getBuiltinModule('node:fs');

const FORMATS = ['text', 'json', 'csv', 'sarif', 'junit', 'markdown', 'html'] as const;

const HELP = `Usage: rmm-verify drift <inventory>... --manifest <file> [--manifest <file>...] [options]

Scans endpoint inventories from every customer tenant against pinned manifests and reports
version drift: agents behind, below the minimum, revoked, vulnerable, ahead of target, with an
unknown version, with a sha256 that matches no pinned artifact, on a platform the policy does
not allow, unapproved RMM / remote-access tools, agents and tools of an instance the allowlist
does not list (someone else's ScreenConnect or MeshCentral server), stale check-ins and
duplicate rows; with
--history also downgrades, new and vanished endpoints and the trend per tenant.

Inventories: CSV (RFC 4180, header detected; PowerShell Export-Csv), JSON Lines, JSON documents
and osquery JSON (programs, deb_packages, rpm_packages, apps; snapshot, differential and batched
results logs, osqueryi --json arrays), FleetDM and Defender API JSON, Intune and NinjaOne
exports; UTF-8 or UTF-16 with a byte-order mark; gzip accepted; '-' reads stdin.
Inventory paths must be regular files; a FIFO or character device is read only with --allow-fifo.

Options:
  -m, --manifest <file>    pinned manifest (repeat for several products; required)
      --trust <file>       trust root: each manifest must be signed (<manifest>.sig) by it
                           (default keys/trust.json)
      --state <file>       rollback state (last accepted serial per product)
      --allow-unsigned-manifests
                           use the manifests without checking their signatures (for
                           drafts and tests; anyone who can edit them can hide drift)
      --config <file>      drift config: RMM tools allowed per tenant (see README)
      --osv <file>         OSV advisories (JSON) for the products, added to the manifests' (repeat)
      --history <file>     SQLite scan history to compare with and to record this scan in
      --remember-scans <n> scans a vanished endpoint is remembered for in the history (default ${defaults.historyRememberScans})
      --lock-wait <s>      seconds to wait for another scan holding --history (default
                           ${defaults.historyLockWaitSeconds}) or another run holding --state (default ${defaults.stateLockWaitSeconds});
                           then exit 2 naming it
      --stale <days>       last_seen older than this is stale (default ${defaults.staleDays})
      --columns <map>      CSV/JSON column mapping, e.g. tenant=Customer,endpoint=DeviceId
                           (or 1-based positions for files without a header: tenant=1,...)
      --tenant <name>      tenant for rows that have none (e.g. osquery results of one customer)
      --preset <name>      read a named export exactly: ${PRESET_NAMES.join(', ')} (see README)
      --date-format <order>
                           day/month order of numeric last_seen dates: mdy (US) or dmy;
                           needed when a date does not show it (11/05/2026)
      --strict             a malformed row is an input error (exit 2) instead of a finding
      --allow-fifo         read inventory paths that are FIFOs or character devices (may wait
                           for a writer forever; '-' reads stdin without it)
      --max-findings <n>   findings listed per code (default ${defaults.maxDriftFindingsPerCode}); counts stay complete
  -f, --format <fmt>       ${FORMATS.join(' | ')} (default text)
  -o, --output <file>      write the report to a file instead of stdout
      --fail-on <sev>      lowest severity that fails the run (default low)
  -h, --help               show this help

Exit codes: 0 no finding at or above --fail-on, 1 drift found, 2 usage or input error;
130 / 143 when stopped by SIGINT / SIGTERM (no report written, history unchanged).`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseCommandArgs('drift', args, {
    ...formatOption,
    ...failOnOption,
    ...helpOption,
    manifest: { type: 'string', short: 'm', multiple: true },
    trust: { type: 'string' },
    state: { type: 'string' },
    'allow-unsigned-manifests': { type: 'boolean' },
    config: { type: 'string' },
    osv: { type: 'string', multiple: true },
    history: { type: 'string' },
    'remember-scans': { type: 'string' },
    'lock-wait': { type: 'string' },
    stale: { type: 'string' },
    columns: { type: 'string' },
    tenant: { type: 'string' },
    preset: { type: 'string' },
    'date-format': { type: 'string' },
    strict: { type: 'boolean' },
    'allow-fifo': { type: 'boolean' },
    'max-findings': { type: 'string' },
    output: { type: 'string', short: 'o' },
  });
  if (values.help === true) {
    write(io.stdout, HELP);
    return ExitCode.ok;
  }
  // Modules load after the arguments are understood (cold start): --help and usage errors
  // load none of the scanner, the manifest code or the renderers.
  const [
    { writeFileAtomic },
    { parseColumnMapping },
    { loadDriftConfig },
    { loadOsvFile, withOsvAdvisories },
    { scanDrift },
    { byteCounter, fileSource, streamSource },
    { buildDriftReport },
    { checkManifest, loadManifestFile, loadTrustRoot, uncheckedManifests },
  ] = await Promise.all([
    import('../fs/atomic-write.ts'),
    import('../fleet/columns.ts'),
    import('../fleet/config.ts'),
    import('../fleet/osv.ts'),
    import('../fleet/drift.ts'),
    import('../fleet/inventory.ts'),
    import('../fleet/report.ts'),
    import('../manifest/index.ts'),
  ]);
  const format = oneOf('drift', 'format', values.format, FORMATS, 'text');
  const failOn = severityFlag('drift', values['fail-on']);
  const manifestPaths = values.manifest ?? [];
  if (manifestPaths.length === 0) requireFlag('drift', 'manifest', undefined);
  const allowUnsigned = values['allow-unsigned-manifests'] === true;
  if (allowUnsigned && (values.trust !== undefined || values.state !== undefined))
    throw new UsageError('drift: --allow-unsigned-manifests excludes --trust and --state');
  // Like verify, drift trusts a manifest only through the trust root unless told otherwise.
  const trustPath = allowUnsigned ? undefined : trustRootPath('drift', values, io);
  if (positionals.length === 0)
    throw new UsageError("drift: give at least one inventory file (or '-' for stdin)");
  if (positionals.filter((p) => p === '-').length > 1)
    throw new UsageError("drift: stdin ('-') can be read only once");
  const staleDays = parseStale(values.stale);
  const maxFindings = positiveInteger('drift', 'max-findings', values['max-findings']);
  const rememberScans = positiveInteger('drift', 'remember-scans', values['remember-scans']);
  const lockWait = lockWaitSeconds('drift', values['lock-wait']);
  const columns = values.columns === undefined ? undefined : parseColumnMapping(values.columns);
  const preset = values.preset === undefined ? undefined : parsePreset(values.preset);
  const dateFormat =
    values['date-format'] === undefined
      ? undefined
      : (oneOf('drift', 'date-format', values['date-format'], DATE_ORDERS, 'mdy') satisfies DateOrder);

  const loaded = await Promise.all(manifestPaths.map((path) => loadManifestFile(resolve(io.cwd, path))));
  const products = new Set<string>();
  for (const m of loaded) {
    if (products.has(m.manifest.product))
      throw new UsageError(`drift: two manifests for product '${m.manifest.product}' (${m.path})`);
    products.add(m.manifest.product);
  }
  const trustFindings: Finding[] = [];
  let trusted: TrustedManifest[];
  if (trustPath === undefined) {
    trusted = uncheckedManifests(loaded.map((m) => m.manifest));
    write(io.stderr, 'drift: warning: manifest signatures are not checked (--allow-unsigned-manifests)');
  } else {
    // Fail closed: an untrusted manifest is reported and its policy is not applied (its agents
    // are then not judged at all), as in the Action's drift mode.
    const trust = await loadTrustRoot(trustPath);
    trusted = [];
    for (const m of loaded) {
      const check = await checkManifest(m, trust, {
        now: io.now,
        env: io.env,
        ...(values.state !== undefined ? { statePath: resolve(io.cwd, values.state) } : {}),
        stateLockWaitMs: (lockWait ?? defaults.stateLockWaitSeconds) * 1000,
      });
      trustFindings.push(...check.findings);
      if (check.manifest) trusted.push(check.manifest);
    }
  }
  const config =
    values.config === undefined ? undefined : await loadDriftConfig(resolve(io.cwd, values.config));
  const manifests = withOsvAdvisories(
    trusted,
    (await Promise.all((values.osv ?? []).map((path) => loadOsvFile(resolve(io.cwd, path))))).flat(),
  );
  const common = {
    staleDays,
    ...(config !== undefined ? { config } : {}),
    ...(columns !== undefined ? { columns } : {}),
    ...(values.tenant !== undefined ? { defaultTenant: values.tenant } : {}),
    ...(preset !== undefined ? { preset } : {}),
    ...(dateFormat !== undefined ? { dateFormat } : {}),
    ...(values.strict === true ? { strict: true } : {}),
    ...(maxFindings !== undefined ? { maxFindingsPerCode: maxFindings } : {}),
  };
  const allowSpecialFiles = values['allow-fifo'] === true;
  // Progress only for a person watching a terminal; never in machine-readable output. With
  // only regular files the total is known: bytes read of their total size, percent and time
  // left; otherwise (stdin, a FIFO) rows read, rate and time elapsed.
  const terminal = io.stderr.isTTY === true;
  const counters: BigInt64Array[] = [];
  const sources: InventorySource[] = positionals.map((p) => {
    // Reports name each file as it was given; it is read relative to the working directory.
    if (p === '-') return streamSource('<stdin>', io.stdin);
    const bytesRead = terminal ? byteCounter() : undefined;
    if (bytesRead !== undefined) counters.push(bytesRead);
    return {
      ...fileSource(resolve(io.cwd, p), undefined, {
        allowSpecialFiles,
        ...(bytesRead !== undefined ? { bytesRead } : {}),
      }),
      name: p,
    };
  });
  const totalBytes = terminal ? regularFilesSize(sources) : undefined;
  const progress = progressOn(io, totalBytes === undefined ? 'rows' : 'bytes');
  const onProgress = terminal
    ? (rows: number) => {
        if (totalBytes === undefined) progress.update('drift: reading', rows);
        else {
          let done = 0;
          for (const counter of counters) done += Number(Atomics.load(counter, 0));
          progress.update('drift: reading', done, totalBytes);
        }
      }
    : undefined;
  const history =
    values.history === undefined
      ? undefined
      : await (
          await import('../fleet/history.ts')
        ).DriftHistory.open(resolve(io.cwd, values.history), {
          lockWaitMs: (lockWait ?? defaults.historyLockWaitSeconds) * 1000,
          waitFlag: '--lock-wait',
          ...(io.signal !== undefined ? { signal: io.signal } : {}),
        });
  let report: DriftReport;
  try {
    const output = await scanDrift({
      manifests,
      sources,
      now: io.now,
      ...common,
      ...(history !== undefined ? { history } : {}),
      ...(rememberScans !== undefined ? { rememberScans } : {}),
      // Often enough for a line that moves (a few times a second at drift's speed).
      ...(onProgress !== undefined ? { onProgress, progressEvery: 50_000 } : {}),
      ...(io.signal !== undefined ? { signal: io.signal } : {}),
    });
    report = buildDriftReport(output, {
      now: io.now,
      failOn,
      extraFindings: trustPath === undefined ? [...trustFindings, unsignedFinding(loaded)] : trustFindings,
      ...(trustPath === undefined ? { notices: [UNSIGNED_NOTICE] } : {}),
    });
  } finally {
    progress.done();
    history?.close();
  }
  if (io.stderr.isTTY === true) {
    const f = report.drift.fleet;
    write(
      io.stderr,
      `drift: ${f.rows} rows, ${f.tenants} tenants, ${f.agents} agents (each counted once), ${f.onTarget} on target (${f.percentOnTarget}%)`,
    );
  }
  // Colour only for a terminal on stdout, never into a report file.
  const text = await render(report, format, values.output === undefined && useColor(io));
  io.signal?.throwIfAborted();
  if (values.output !== undefined) {
    // Written whole to a temp file and renamed: a reader never sees half a report.
    await writeFileAtomic(resolve(io.cwd, values.output), text);
  } else {
    write(io.stdout, text);
  }
  return report.result === 'pass' ? ExitCode.ok : ExitCode.failed;
}

/** The total size of the inputs when every one is a regular file; undefined otherwise. */
function regularFilesSize(sources: readonly InventorySource[]): number | undefined {
  let total = 0;
  for (const source of sources) {
    if (source.path === undefined) return undefined;
    try {
      const stats = statSync(source.path);
      if (!stats.isFile()) return undefined;
      total += stats.size;
    } catch {
      return undefined; // the scan itself reports the unreadable input
    }
  }
  return total;
}

async function render(
  report: DriftReport,
  format: (typeof FORMATS)[number],
  color: boolean,
): Promise<string> {
  switch (format) {
    case 'text':
      return (await import('../report/drift-text.ts')).renderDriftText(report, { color });
    case 'markdown':
      return (await import('../report/drift-markdown.ts')).renderDriftMarkdown(report);
    case 'html':
      return (await import('../report/html.ts')).renderDriftHtml(report);
    case 'json':
    case 'csv':
    case 'sarif':
    case 'junit':
      return (await import('../report/render.ts')).renderReport(report, format, { color });
  }
}

const UNSIGNED_NOTICE =
  'manifest signatures were not checked (--allow-unsigned-manifests): the policy applied is whatever the manifest files say';

/** Recorded as a finding too, so that the formats that carry only findings (CSV) show it. */
function unsignedFinding(loaded: readonly { readonly path: string }[]): Finding {
  return finding('MANIFEST_SIGNATURES_NOT_CHECKED', {
    subject: 'manifests',
    message: `${loaded.length} manifest(s) used without checking their signatures (--allow-unsigned-manifests): ${loaded.map((m) => m.path).join(', ')}`,
    evidence: { manifests: loaded.map((m) => m.path).join(', '), allowUnsignedManifests: true },
  });
}

/** `14`, `14d` or `36h`. */
function parseStale(value: string | undefined): number {
  if (value === undefined) return defaults.staleDays;
  const match = /^(\d+(?:\.\d+)?)([dh]?)$/.exec(value.trim());
  if (match === null || Number(match[1]) <= 0) {
    throw new UsageError(
      `drift: --stale must be a positive number of days (14, 14d) or hours (36h); got '${value}'`,
    );
  }
  return match[2] === 'h' ? Number(match[1]) / 24 : Number(match[1]);
}
