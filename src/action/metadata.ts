/**
 * The GitHub Action's interface in one place: action.yml is rendered from this object
 * (scripts/build-action.ts), inputs are read by these names only (inputs.ts), outputs are set
 * by these names only (run.ts), and the tests check all three against each other.
 */
export interface ActionInput {
  readonly description: string;
  readonly required: boolean;
  /** The runner substitutes this when the workflow leaves the input out; inputs.ts does too. */
  readonly default?: string;
}

export interface ActionOutput {
  readonly description: string;
}

export const ACTION_MODES = ['verify', 'drift', 'attest', 'sbom'] as const;
export type ActionMode = (typeof ACTION_MODES)[number];

export const ACTION_INPUTS = {
  mode: {
    description: 'What to run: verify | drift | attest | sbom.',
    required: false,
    default: 'verify',
  },
  paths: {
    description:
      'Files to check, one glob per line, relative to the workspace (`dist/*.msi`, `inventories/**/*.csv`); a line starting with `!` excludes. Directories are walked. A pattern that matches nothing fails the step.',
    required: true,
  },
  manifest: {
    description:
      'Pinned, signed manifest (JSON), relative to the workspace; `drift` takes one per line. Its detached signatures are read from `<manifest>.sig`.',
    required: false,
  },
  trust: {
    description: 'Trust root that must have signed the manifest (keys and threshold).',
    required: false,
    default: 'keys/trust.json',
  },
  evidence: {
    description:
      'Directories holding Sigstore bundles, attestations (as `gh attestation download` names them) and SBOMs for the files, one per line, relative to the workspace. The directory of each file is always searched too.',
    required: false,
    default: '',
  },
  state: {
    description:
      'Rollback state file (last accepted manifest serials), e.g. restored with actions/cache. Empty skips the rollback check.',
    required: false,
    default: '',
  },
  'drift-config': {
    description:
      'Drift config (JSON, as `rmm-verify drift --config`): the RMM and remote-access tools each tenant may run. Empty allows none. `drift` only.',
    required: false,
    default: '',
  },
  'refresh-trusted-root': {
    description:
      "`true`: before verifying, refresh the Sigstore trusted root through TUF exactly as `rmm-verify trust update` does (chain of trust from the vendored TUF root, or the newest root in the runner's cache) and verify every bundle against it; a failed refresh fails the step. `false`: the vendored public-good root.",
    required: false,
    default: 'false',
  },
  'tuf-mirror': {
    description:
      'TUF repository for `refresh-trusted-root`; empty: the public-good one (https://tuf-repo-cdn.sigstore.dev).',
    required: false,
    default: '',
  },
  'tuf-root': {
    description:
      "TUF root.json, relative to the workspace, to start `tuf-mirror`'s chain of trust from; empty: the vendored public-good TUF root.",
    required: false,
    default: '',
  },
  'fail-on': {
    description:
      'Lowest severity that fails the step: critical | high | medium | low. `info` findings never fail.',
    required: false,
    default: 'low',
  },
  format: {
    description:
      'Format of the report file: json | markdown | sarif | junit | csv | text, or html (drift only).',
    required: false,
    default: 'json',
  },
  'report-file': {
    description: 'Where to write the report in `format`; default `rmm-verify-report.<ext>` in the workspace.',
    required: false,
    default: '',
  },
  'sarif-file': {
    description: 'Where to write the SARIF 2.1.0 log for github/codeql-action/upload-sarif.',
    required: false,
    default: 'rmm-verify.sarif',
  },
  'github-token': {
    description: 'Token for GitHub API calls (attestations, releases). Masked in the log and never printed.',
    required: false,
    default: '${{ github.token }}',
  },
} as const satisfies Record<string, ActionInput>;

export type InputName = keyof typeof ACTION_INPUTS;

export const ACTION_OUTPUTS = {
  result: { description: '`pass` or `fail` (by `fail-on`).' },
  findings: { description: 'Number of findings of every severity.' },
  critical: { description: 'Number of critical findings.' },
  high: { description: 'Number of high findings.' },
  medium: { description: 'Number of medium findings.' },
  low: { description: 'Number of low findings.' },
  info: { description: 'Number of info findings (never fail).' },
  'sarif-file': { description: 'Path of the SARIF log written.' },
  'report-file': { description: 'Path of the report written in `format`.' },
} as const satisfies Record<string, ActionOutput>;

export type OutputName = keyof typeof ACTION_OUTPUTS;

export const ACTION_METADATA = {
  name: 'rmm-verify',
  description:
    'Verify RMM agent installers against pinned, signed manifests and scan fleet inventories for version drift; job summary, annotations and SARIF.',
  author: 'rmm-verify',
  branding: { icon: 'shield', color: 'blue' },
  inputs: ACTION_INPUTS,
  outputs: ACTION_OUTPUTS,
  runs: { using: 'node24', main: 'dist/action/index.js' },
} as const;

/**
 * A YAML single-quoted scalar (YAML 1.2 §7.3.2: `'` doubles, nothing else is special), the
 * style the repository's formatter keeps. Our values are one line of printable text.
 */
function yamlString(value: string): string {
  // eslint-disable-next-line no-control-regex -- the point is to reject control characters
  if (/[\u0000-\u001f\u007f]/.test(value))
    throw new Error(`action.yml value has a control character: ${value}`);
  // Double quotes when that needs no escape and single quotes would (the formatter's choice).
  if (value.includes("'") && !/["\\]/.test(value)) return `"${value}"`;
  return `'${value.replace(/'/g, "''")}'`;
}

/** Renders action.yml. Every scalar is quoted, so no value can change the structure. */
export function renderActionYaml(): string {
  const m = ACTION_METADATA;
  const lines = [
    '# Generated from src/action/metadata.ts by `npm run build:action`; do not edit by hand.',
    `name: ${yamlString(m.name)}`,
    `description: ${yamlString(m.description)}`,
    `author: ${yamlString(m.author)}`,
    'branding:',
    `  icon: ${yamlString(m.branding.icon)}`,
    `  color: ${yamlString(m.branding.color)}`,
    'inputs:',
  ];
  for (const [name, input] of Object.entries(m.inputs) as [string, ActionInput][]) {
    lines.push(`  ${name}:`);
    lines.push(`    description: ${yamlString(input.description)}`);
    lines.push(`    required: ${input.required}`);
    if (input.default !== undefined) lines.push(`    default: ${yamlString(input.default)}`);
  }
  lines.push('outputs:');
  for (const [name, output] of Object.entries(m.outputs) as [string, ActionOutput][]) {
    lines.push(`  ${name}:`);
    lines.push(`    description: ${yamlString(output.description)}`);
  }
  lines.push('runs:', `  using: ${yamlString(m.runs.using)}`, `  main: ${yamlString(m.runs.main)}`);
  return `${lines.join('\n')}\n`;
}
