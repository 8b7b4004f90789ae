import { UsageError } from '../errors.ts';
import { isSeverity, type Severity } from '../findings.ts';
import { REPORT_FORMATS } from '../report/render.ts';
import {
  ACTION_INPUTS,
  ACTION_MODES,
  type ActionInput,
  type ActionMode,
  type InputName,
} from './metadata.ts';
import type { ActionFormat } from './modes.ts';

/** Everything one run of the Action needs, read and checked once from the workflow's inputs. */
export interface RunInputs {
  readonly mode: ActionMode;
  /** Glob patterns relative to the workspace; `!pattern` excludes. */
  readonly paths: readonly string[];
  readonly manifests: readonly string[];
  readonly trust: string;
  /** Directories with bundles, attestations and SBOMs, relative to the workspace. */
  readonly evidence: readonly string[];
  /** Rollback state file; undefined skips the rollback check. */
  readonly state: string | undefined;
  /** Drift config path relative to the workspace (`drift` mode), or undefined. */
  readonly driftConfig: string | undefined;
  /** Refresh the Sigstore trusted root through TUF (`trust update`) before verifying. */
  readonly refreshTrustedRoot: boolean;
  /** TUF mirror for the refresh; undefined: the public-good one. */
  readonly tufMirror: string | undefined;
  /** TUF root.json to start from, relative to the workspace; undefined: the vendored one. */
  readonly tufRoot: string | undefined;
  readonly failOn: Severity;
  readonly format: ActionFormat;
  readonly reportFile: string;
  readonly sarifFile: string;
  /** Never printed; masked by the entry point before anything else runs. */
  readonly githubToken: string | undefined;
  /** GITHUB_WORKSPACE: relative paths resolve against it, and reports name files relative to it. */
  readonly workspace: string;
}

/** Report formats the Action can write; `html` only where the mode renders it (drift). */
export const ACTION_FORMATS: readonly ActionFormat[] = [
  ...REPORT_FORMATS,
  ...(REPORT_FORMATS.some((f: string) => f === 'html') ? [] : (['html'] as const)),
];

/** Reads one input by its declared name (the runner's `INPUT_<NAME>` variable). */
export type InputReader = (name: InputName) => string;

/** One value per line, trimmed, blank lines and `#` comments dropped. */
function lines(value: string): string[] {
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
}

const EXTENSIONS: Readonly<Record<string, string>> = {
  text: 'txt',
  json: 'json',
  sarif: 'sarif',
  junit: 'xml',
  markdown: 'md',
  csv: 'csv',
  html: 'html',
};

export function reportExtension(format: ActionFormat): string {
  return EXTENSIONS[format] ?? format;
}

/**
 * Reads the Action's inputs into a typed RunInputs. An input left empty takes its default from
 * metadata.ts (as the runner does from action.yml), so a test that sets only some INPUT_*
 * variables sees what a workflow would. Bad values throw UsageError naming the input.
 */
export function readInputs(read: InputReader, workspace: string): RunInputs {
  const get = (name: InputName): string => {
    const value = read(name).trim();
    const input: ActionInput = ACTION_INPUTS[name];
    return value === '' ? (input.default ?? '') : value;
  };
  const oneOf = <T extends string>(name: InputName, allowed: readonly T[]): T => {
    const value = get(name);
    if ((allowed as readonly string[]).includes(value)) return value as T;
    throw new UsageError(`input '${name}' must be one of ${allowed.join(', ')}; got '${value}'`);
  };

  const mode = oneOf('mode', ACTION_MODES);
  const paths = lines(get('paths'));
  if (paths.length === 0) throw new UsageError("input 'paths' is required: one glob per line");
  if (paths.every((p) => p.startsWith('!'))) {
    throw new UsageError("input 'paths' has only exclusions ('!pattern'); add a pattern to include");
  }
  const manifests = lines(get('manifest'));
  const failOnValue = get('fail-on');
  if (!isSeverity(failOnValue) || failOnValue === 'info') {
    throw new UsageError(`input 'fail-on' must be one of critical, high, medium, low; got '${failOnValue}'`);
  }
  const format = oneOf('format', ACTION_FORMATS);
  const state = get('state');
  const driftConfig = get('drift-config');
  const token = read('github-token').trim();
  const refresh = oneOf('refresh-trusted-root', ['true', 'false'] as const);
  const tufMirror = get('tuf-mirror');
  if (tufMirror !== '' && !/^https?:\/\//.test(tufMirror))
    throw new UsageError(`input 'tuf-mirror' must be an http(s) URL; got '${tufMirror}'`);
  const tufRoot = get('tuf-root');
  if (refresh === 'false' && (tufMirror !== '' || tufRoot !== ''))
    throw new UsageError("inputs 'tuf-mirror' and 'tuf-root' need 'refresh-trusted-root: true'");
  return {
    mode,
    paths,
    manifests,
    trust: get('trust'),
    evidence: lines(get('evidence')),
    state: state === '' ? undefined : state,
    driftConfig: driftConfig === '' ? undefined : driftConfig,
    refreshTrustedRoot: refresh === 'true',
    tufMirror: tufMirror === '' ? undefined : tufMirror,
    tufRoot: tufRoot === '' ? undefined : tufRoot,
    failOn: failOnValue,
    format,
    reportFile: get('report-file') || `rmm-verify-report.${reportExtension(format)}`,
    sarifFile: get('sarif-file'),
    // The default `${{ github.token }}` is a runner expression; outside a runner it stays literal.
    githubToken: token === '' || token.startsWith('${{') ? undefined : token,
    workspace,
  };
}
