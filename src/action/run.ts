import { statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

import { UsageError } from '../errors.ts';
import { SEVERITIES, failsAt, type Finding, type Severity } from '../findings.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { renderMarkdown } from '../report/markdown.ts';
import { renderReport } from '../report/render.ts';
import type { Report } from '../report/report.ts';
import { findingLocator, isInside, renderSarif, subjectAndMessage } from '../report/sarif.ts';
import type { RunInputs } from './inputs.ts';
import type { OutputName } from './metadata.ts';
import { githubPaths, modeRunner } from './modes.ts';
import { expandPaths, workspacePath } from './paths.ts';

export type AnnotationLevel = 'error' | 'warning' | 'notice';

export interface Annotation {
  readonly level: AnnotationLevel;
  readonly title: string;
  readonly message: string;
  /** Workspace-relative file the annotation is tied to, when there is one. */
  readonly file?: string;
  readonly startLine?: number;
}

/** What the Action touches of the runner; main.ts backs it with @actions/core. */
export interface ActionHost {
  setOutput(name: OutputName, value: string): void;
  /** Escapes its text as a workflow command; never write untrusted text another way. */
  annotate(annotation: Annotation): void;
  appendSummary(markdown: string): Promise<void>;
  /** For trusted text only (counts, our own paths): stdout lines starting `::` are commands. */
  info(message: string): void;
  setFailed(message: string): void;
}

export interface RunContext {
  readonly host: ActionHost;
  /** The run's reference time, fixed once. */
  readonly now: Date;
  /** Where `refresh-trusted-root` keeps its cache (XDG_CACHE_HOME, HOME); default process.env. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

const ANNOTATION_LEVEL: Readonly<Record<Severity, AnnotationLevel>> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'warning',
  info: 'notice',
};

/** Shows every path in the report relative to the workspace, as annotations and code scanning need. */
function relativeTo(report: Report, workspace: string): Report {
  const show = (path: string) => workspacePath(path, workspace);
  // Messages name files too (`/home/runner/work/x/x/manifests/a.json: signed by ...`).
  const prefix = workspace.endsWith(sep) ? workspace : `${workspace}${sep}`;
  const relocate = (f: Finding): Finding => ({
    ...f,
    subject: show(f.subject),
    message: f.message.split(prefix).join(''),
    ...(f.location ? { location: { ...f.location, file: show(f.location.file) } } : {}),
  });
  return {
    ...report,
    subjects: report.subjects.map((s) => ({ ...s, subject: show(s.subject) })),
    findings: report.findings.map(relocate),
  };
}

function isFileInWorkspace(subject: string, workspace: string): boolean {
  if (
    isAbsolute(subject) ||
    subject.includes('\0') ||
    !isInside(relative(workspace, resolve(workspace, subject)))
  ) {
    return false;
  }
  try {
    return statSync(resolve(workspace, subject)).isFile();
  } catch {
    // Not a path, or nothing there: the subject is a name (tenant/endpoint), not a file.
    return false;
  }
}

/** GitHub refuses a step summary over 1 MiB; leave room for what other steps append. */
const MAX_SUMMARY_BYTES = 900 * 1024;

/** The Markdown report, with fewer rows listed when the full one would not fit a job summary. */
export function jobSummary(report: Report, modeMarkdown?: (report: Report) => string): string {
  // The mode's own Markdown (drift: fleet rollups first) when it fits, else the common one.
  if (modeMarkdown) {
    const own = modeMarkdown(report);
    if (Buffer.byteLength(own) <= MAX_SUMMARY_BYTES) return own;
  }
  let markdown = renderMarkdown(report);
  for (const rows of [200, 50, 10]) {
    if (Buffer.byteLength(markdown) <= MAX_SUMMARY_BYTES) break;
    markdown = renderMarkdown(report, { maxFindings: rows, maxSubjects: rows });
  }
  return markdown;
}

/**
 * `refresh-trusted-root`: the same code as `rmm-verify trust update` (TUF from the vendored or
 * cached TUF root, the trusted root replaced only after every check), into the runner's cache
 * (restorable with actions/cache). Returns the refreshed trusted_root.json for the mode.
 */
async function refreshTrustedRoot(inputs: RunInputs, context: RunContext): Promise<string> {
  const { defaultSigstoreCache, updateTrustedRoot, updatedTrustedRootPath } =
    await import('../sigstore/trust-update.ts');
  const cacheDir = defaultSigstoreCache(context.env ?? process.env);
  const record = await updateTrustedRoot({
    cacheDir,
    now: context.now,
    ...(inputs.tufMirror !== undefined ? { mirrorUrl: inputs.tufMirror } : {}),
    ...(inputs.tufRoot !== undefined ? { tufRootPath: resolve(inputs.workspace, inputs.tufRoot) } : {}),
  });
  context.host.info(
    `rmm-verify: updated the Sigstore trusted root from ${record.mirror} (sha256 ${record.sha256})`,
  );
  return updatedTrustedRootPath(cacheDir);
}

/**
 * One run of the Action: expand `paths`, run the mode, then write the SARIF log, the report
 * file, the job summary, one annotation per finding and the outputs, and fail the step when a
 * finding is at or above `fail-on`. Input errors propagate to the entry point (setFailed).
 */
export async function run(inputs: RunInputs, context: RunContext): Promise<Report> {
  const { host } = context;
  // A mode that is not in this build, or cannot write `format`, fails before any file is read.
  const runner = modeRunner(inputs.mode, inputs.format);
  const releases = githubPaths(inputs);
  if (releases.length > 0 && inputs.mode !== 'verify') {
    throw new UsageError(
      `input 'paths': github: releases (${releases.join(', ')}) are only for mode 'verify'`,
    );
  }
  const globs = inputs.paths.filter((p) => !releases.includes(p));
  const files = globs.length === 0 ? [] : await expandPaths(globs, inputs.workspace);
  const trustedRoot = inputs.refreshTrustedRoot ? await refreshTrustedRoot(inputs, context) : undefined;
  host.info(`rmm-verify ${inputs.mode}: checking ${files.length} path${files.length === 1 ? '' : 's'}`);
  const output = await runner({
    inputs,
    files,
    now: context.now,
    ...(trustedRoot !== undefined ? { trustedRoot } : {}),
  });
  const report = relativeTo(output.report, inputs.workspace);
  const renderers = output.renderers ?? {};

  // Code scanning rejects a result without a location: findings about no file (an endpoint, a
  // tenant) point at the first manifest, whose policy they are measured against.
  const [firstManifest] = inputs.manifests;
  const sarifOptions = {
    baseDir: inputs.workspace,
    ...(firstManifest === undefined
      ? {}
      : { fallbackFile: workspacePath(resolve(inputs.workspace, firstManifest), inputs.workspace) }),
  };
  const sarifPath = resolve(inputs.workspace, inputs.sarifFile);
  await writeFileAtomic(sarifPath, renderSarif(report, sarifOptions));
  const reportPath = resolve(inputs.workspace, inputs.reportFile);
  const own = renderers[inputs.format];
  let reportText: string;
  if (own) reportText = own(report);
  else if (inputs.format === 'sarif') reportText = renderSarif(report, sarifOptions);
  else if (inputs.format === 'html')
    throw new Error(`internal error: mode '${inputs.mode}' has no html renderer`);
  else reportText = renderReport(report, inputs.format, { color: false });
  await writeFileAtomic(reportPath, reportText);

  await host.appendSummary(jobSummary(report, renderers.markdown));

  const locate = findingLocator(report);
  for (const f of report.findings) {
    // A subject that names a file in the workspace (a manifest in a drift run) is its place too.
    const place =
      locate(f) ?? (isFileInWorkspace(f.subject, inputs.workspace) ? { file: f.subject } : undefined);
    host.annotate({
      level: ANNOTATION_LEVEL[f.severity],
      title: `${f.code} (${f.severity})`,
      message: subjectAndMessage(f),
      ...(place ? { file: place.file } : {}),
      ...(place?.line === undefined ? {} : { startLine: place.line }),
    });
  }

  host.setOutput('result', report.result);
  host.setOutput('findings', String(report.findings.length));
  for (const severity of SEVERITIES) host.setOutput(severity, String(report.summary.findings[severity]));
  host.setOutput('sarif-file', workspacePath(sarifPath, inputs.workspace));
  host.setOutput('report-file', workspacePath(reportPath, inputs.workspace));

  const failing = report.findings.filter((f) => failsAt(f, report.failOn)).length;
  host.info(
    `rmm-verify ${inputs.mode}: ${report.result}; ${report.summary.passed} of ${report.summary.subjects} passed, ` +
      `${failing} finding${failing === 1 ? '' : 's'} at or above ${report.failOn}`,
  );
  if (report.result === 'fail') {
    host.setFailed(
      `rmm-verify ${inputs.mode}: ${failing} finding${failing === 1 ? '' : 's'} at or above fail-on '${report.failOn}' (see the job summary and annotations)`,
    );
  }
  return report;
}
