import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import { SIDECAR_SUFFIXES } from '../artifact/collect-files.ts';
import { verifyArtifacts } from '../artifact/verify-artifacts-report.ts';
import { defaults } from '../defaults.ts';
import { hashFile } from '../digest/multi-hash.ts';
import { InputError, UsageError } from '../errors.ts';
import { finding, type Finding } from '../findings.ts';
import { loadDriftConfig } from '../fleet/config.ts';
import { scanDrift } from '../fleet/drift.ts';
import { fileSource } from '../fleet/inventory.ts';
import { buildDriftReport, type DriftReport } from '../fleet/report.ts';
import { loadManifestFile } from '../manifest/load.ts';
import { loadTrustRoot } from '../manifest/trust-root.ts';
import { checkManifest } from '../manifest/verify-trust.ts';
import { resolveGithubInputs } from '../github/cli-inputs.ts';
import { renderDriftMarkdown } from '../report/drift-markdown.ts';
import { renderDriftText } from '../report/drift-text.ts';
import { renderDriftHtml } from '../report/html.ts';
import type { ReportFormat } from '../report/render.ts';
import { buildReport, type Report, type SubjectResult } from '../report/report.ts';
import { readSbomFile } from '../sbom/document.ts';
import { checkMinimumElements } from '../sbom/ntia.ts';
import { validateSbom } from '../sbom/validate.ts';
import { attestVerify } from '../sigstore/attest-report.ts';
import { exactIdentity } from '../sigstore/identity.ts';
import { BUNDLE_SUFFIXES } from '../sigstore/provenance-check.ts';
import { loadPublicGoodTrustedRoot, loadTrustedRoot } from '../sigstore/trusted-root.ts';
import type { BundlePolicy } from '../sigstore/verify-bundle.ts';
import type { RunInputs } from './inputs.ts';
import type { ActionMode } from './metadata.ts';
import type { TrustedManifest } from '../manifest/trusted.ts';
import { workspacePath } from './paths.ts';

/** What a mode gets: the checked inputs, the expanded files (absolute paths) and the run's clock. */
export interface ModeContext {
  readonly inputs: RunInputs;
  readonly files: readonly string[];
  readonly now: Date;
  /** A trusted_root.json refreshed by `refresh-trusted-root`; undefined: the vendored root. */
  readonly trustedRoot?: string;
}

/** A format the common renderers have, or `html`, which only some modes render. */
export type ActionFormat = ReportFormat | 'html';

/** What a mode produced: the report, and its own renderers for formats it shows better. */
export interface ModeOutput {
  readonly report: Report;
  /**
   * Used instead of the common renderer for these formats; `markdown` also becomes the job
   * summary. They receive the report with its paths made workspace-relative.
   */
  readonly renderers?: Partial<Record<ActionFormat, (report: Report) => string>>;
}

export type ModeRunner = (context: ModeContext) => Promise<ModeOutput>;

/** Formats a mode renders beyond the common ones; checked before any file is read. */
export const MODE_EXTRA_FORMATS: Readonly<Record<ActionMode, readonly ActionFormat[]>> = {
  verify: [],
  drift: ['html'],
  attest: [],
  sbom: [],
};

function oneManifest(mode: ActionMode, inputs: RunInputs): string {
  const [manifest, ...rest] = inputs.manifests;
  if (manifest === undefined || rest.length > 0) {
    throw new UsageError(`mode '${mode}' needs exactly one 'manifest'; got ${inputs.manifests.length}`);
  }
  return resolve(inputs.workspace, manifest);
}

function statePath(inputs: RunInputs): { statePath?: string } {
  return inputs.state === undefined ? {} : { statePath: resolve(inputs.workspace, inputs.state) };
}

function evidenceDirs(inputs: RunInputs): string[] {
  return inputs.evidence.map((dir) => resolve(inputs.workspace, dir));
}

/** `gh attestation download` names its output `sha256:<hex>.jsonl`. */
const ATTESTATION_FILE = /^sha256:[0-9a-f]{64}\.jsonl$/;

/**
 * Evidence that travels with artifacts (signatures, bundles, attestations, SBOMs) is not an
 * artifact: a glob such as `dist/*` that matches it leaves it out, as a directory walk does.
 */
export function isEvidenceFile(path: string): boolean {
  const name = basename(path);
  return (
    ATTESTATION_FILE.test(name) ||
    [...SIDECAR_SUFFIXES, ...BUNDLE_SUFFIXES].some((suffix) => name.endsWith(suffix))
  );
}

/** Modes that read each file on its own (inventories, SBOMs, signed files) take files, not directories. */
async function requireFiles(mode: ActionMode, files: readonly string[]): Promise<void> {
  for (const path of files) {
    if ((await stat(path)).isDirectory()) {
      throw new InputError('INPUT_UNSUPPORTED', `mode '${mode}' reads files; name them, not a directory`, {
        file: path,
      });
    }
  }
}

/** `verify`: the library's verifyArtifacts, exactly as `rmm-verify verify` runs it. */
async function verify({ inputs, files, now, trustedRoot }: ModeContext): Promise<ModeOutput> {
  const manifestPath = oneManifest('verify', inputs);
  const trust = await loadTrustRoot(resolve(inputs.workspace, inputs.trust));
  const loaded = await loadManifestFile(manifestPath);
  // `github:owner/repo@tag` paths: the release's assets are downloaded (with the workflow token)
  // and verified like local files, with their attestations written beside them.
  const github = await resolveGithubInputs(
    'verify',
    githubPaths(inputs),
    {
      // The runner sets GITHUB_API_URL (GitHub Enterprise Server included).
      env: {
        ...process.env,
        RMM_VERIFY_GITHUB_API: process.env['RMM_VERIFY_GITHUB_API'] ?? process.env['GITHUB_API_URL'],
      },
      cwd: inputs.workspace,
      stderr: process.stderr,
    },
    { token: inputs.githubToken, offline: false, attestations: true },
  );
  const report = await verifyArtifacts([...files.filter((f) => !isEvidenceFile(f)), ...github.inputs], {
    loaded,
    trust,
    now,
    failOn: inputs.failOn,
    ...statePath(inputs),
    options: {
      offline: false,
      evidenceDirs: evidenceDirs(inputs),
      systemRoots: false,
      ...(trustedRoot !== undefined ? { trustedRoot } : {}),
    },
    subjectOf: (path) => (github.inputs.includes(path) ? github.subjectOf(path) : path),
  });
  return { report };
}

/** `paths` lines naming a GitHub release rather than a glob. */
export function githubPaths(inputs: RunInputs): string[] {
  return inputs.paths.filter((p) => p.startsWith('github:'));
}

/** Bundles for one file: `<file><suffix>` and `sha256:<hex>.jsonl`, beside it and in each evidence directory. */
function bundleFilesFor(path: string, sha256: string, dirs: readonly string[]): string[] {
  const candidates: string[] = [];
  for (const dir of [dirname(path), ...dirs]) {
    for (const suffix of BUNDLE_SUFFIXES) candidates.push(join(dir, `${basename(path)}${suffix}`));
    candidates.push(join(dir, `sha256:${sha256}.jsonl`));
  }
  return [...new Set(candidates)].filter((file) => existsSync(file));
}

/**
 * `attest`: `rmm-verify attest verify` for every file, with the signer identities pinned in the
 * trusted manifest (`signers.sigstore`, matched exactly) and the vendored public-good Sigstore
 * trusted root (offline). A file passes when one of its bundles verifies; a file without a
 * bundle fails. For checking a vendor's signatures before pinning a release.
 */
async function attest({ inputs, files, now, trustedRoot }: ModeContext): Promise<ModeOutput> {
  const command = 'attest verify';
  const manifestPath = oneManifest('attest', inputs);
  const trustRoot = await loadTrustRoot(resolve(inputs.workspace, inputs.trust));
  const loaded = await loadManifestFile(manifestPath);
  const check = await checkManifest(loaded, trustRoot, {
    now,
    ...statePath(inputs),
    ...(trustedRoot !== undefined ? { trustedRoot } : {}),
  });
  const manifestSubject: SubjectResult = {
    subject: loaded.path,
    kind: 'manifest',
    result: check.trusted ? 'pass' : 'fail',
    facts: { product: loaded.manifest.product, serial: loaded.manifest.serial },
  };
  const failOn = inputs.failOn;
  if (!check.trusted) {
    // Fail closed: identities from an untrusted manifest vouch for nothing.
    return {
      report: buildReport({ command, now, subjects: [manifestSubject], findings: check.findings, failOn }),
    };
  }
  const signers = loaded.manifest.signers.sigstore ?? [];
  if (signers.length === 0) {
    throw new InputError('INPUT_INVALID', "mode 'attest' needs the signer identities in signers.sigstore", {
      file: loaded.path,
      pointer: '/signers/sigstore',
    });
  }
  const policy: BundlePolicy = {
    identities: signers.map((s) => ({ identity: exactIdentity(s.identity), issuer: s.issuer })),
    keyBased: false,
  };
  await requireFiles('attest', files);
  const trust =
    trustedRoot !== undefined ? await loadTrustedRoot(trustedRoot) : await loadPublicGoodTrustedRoot();
  const subjects: SubjectResult[] = [manifestSubject];
  const findings: Finding[] = [...check.findings];
  for (const path of files.filter((f) => !isEvidenceFile(f))) {
    const subject = workspacePath(path, inputs.workspace);
    const { digests } = await hashFile(path, {
      algorithms: ['sha256'],
      maxBytes: defaults.maxUnpinnedReadBytes,
    });
    const bundles = bundleFilesFor(path, digests.sha256 ?? '', evidenceDirs(inputs));
    if (bundles.length === 0) {
      const looked = BUNDLE_SUFFIXES.map((s) => `<file>${s}`).join(', ');
      findings.push(
        finding('PROVENANCE_MISSING', {
          subject,
          message: `no Sigstore bundle found (looked for ${looked} and sha256:<hex>.jsonl beside the file and in the evidence directories)`,
        }),
      );
      subjects.push({ subject, kind: 'artifact', result: 'fail', facts: { sha256: digests.sha256 ?? null } });
      continue;
    }
    const reports: Report[] = [];
    for (const bundlePath of bundles) {
      const artifact = { kind: 'file', path } as const;
      reports.push(await attestVerify({ bundlePath, artifact, subject, trust, policy, now, command }));
    }
    // One verified bundle is enough; otherwise every bundle's reasons are reported.
    const verified = reports.find((r) => r.result === 'pass');
    for (const r of verified ? [verified] : reports) {
      findings.push(...r.findings);
      subjects.push(...r.subjects);
    }
  }
  return { report: buildReport({ command, now, subjects, findings, failOn }) };
}

/** The drift renderers need the rollups, which run() keeps when it makes paths relative. */
function asDriftReport(report: Report): DriftReport {
  if (!('drift' in report)) throw new Error('internal error: a drift renderer got a report without rollups');
  return report as DriftReport;
}

/**
 * `drift`: every manifest must be trusted (signatures, threshold, expiry, rollback when `state`
 * is set); an untrusted one is reported and its policy is not applied. Then the fleet library
 * scans the inventories (`paths`) against the trusted manifests, as `rmm-verify drift` does.
 */
async function drift({ inputs, files, now, trustedRoot }: ModeContext): Promise<ModeOutput> {
  if (inputs.manifests.length === 0) {
    throw new UsageError("mode 'drift' needs at least one 'manifest' (one per line)");
  }
  await requireFiles('drift', files);
  const trust = await loadTrustRoot(resolve(inputs.workspace, inputs.trust));
  const trustFindings: Finding[] = [];
  const manifests: TrustedManifest[] = [];
  const products = new Set<string>();
  for (const manifest of inputs.manifests) {
    const loaded = await loadManifestFile(resolve(inputs.workspace, manifest));
    if (products.has(loaded.manifest.product)) {
      throw new UsageError(
        `input 'manifest': two manifests for product '${loaded.manifest.product}' (${manifest})`,
      );
    }
    products.add(loaded.manifest.product);
    const check = await checkManifest(loaded, trust, {
      now,
      ...statePath(inputs),
      ...(trustedRoot !== undefined ? { trustedRoot } : {}),
    });
    trustFindings.push(...check.findings);
    if (check.manifest) manifests.push(check.manifest);
  }
  const config =
    inputs.driftConfig === undefined
      ? undefined
      : await loadDriftConfig(resolve(inputs.workspace, inputs.driftConfig));
  const output = await scanDrift({
    manifests,
    sources: files.map((f) => fileSource(f)),
    now,
    ...(config !== undefined ? { config } : {}),
  });
  const report = buildDriftReport(output, { now, failOn: inputs.failOn, extraFindings: trustFindings });
  return {
    report,
    renderers: {
      markdown: (shown) => renderDriftMarkdown(asDriftReport(shown)),
      html: (shown) => renderDriftHtml(asDriftReport(shown)),
      text: (shown) => renderDriftText(asDriftReport(shown), { color: false }),
    },
  };
}

/**
 * `sbom`: what `rmm-verify sbom validate` does, over the sbom library: each file against the
 * bundled CycloneDX/SPDX schema, references, and NTIA minimum-elements coverage (as facts).
 */
async function sbom({ inputs, files, now }: ModeContext): Promise<ModeOutput> {
  const subjects: SubjectResult[] = [];
  const findings: Finding[] = [];
  await requireFiles('sbom', files);
  for (const path of files) {
    const file = workspacePath(path, inputs.workspace);
    const document = { ...(await readSbomFile(path)), file };
    const validation = await validateSbom(document);
    const own: Finding[] = [...validation.findings];
    const facts: Record<string, string | number> = {
      format:
        document.kind.format === 'unsupported'
          ? 'unsupported'
          : `${document.kind.format} ${document.kind.specVersion}`,
      sha256: document.sha256,
    };
    if (validation.sbom) {
      const ntia = checkMinimumElements(validation.sbom, { severity: 'info', maxFindings: 0 });
      own.push(...ntia.findings);
      facts['components'] = validation.sbom.components.length;
      facts['ntiaPercent'] = ntia.summary.percent;
    }
    findings.push(...own);
    const failed = own.some((f) => f.severity !== 'info');
    subjects.push({ subject: file, kind: 'sbom', result: failed ? 'fail' : 'pass', facts });
  }
  return {
    report: buildReport({ command: 'sbom validate', now, subjects, findings, failOn: inputs.failOn }),
  };
}

/**
 * Each mode's runner, or undefined when the library function it needs is not in this build:
 * such a mode fails the step with a clear message rather than pretending to check anything.
 */
export const MODE_RUNNERS: Readonly<Record<ActionMode, ModeRunner | undefined>> = {
  verify,
  drift,
  attest,
  sbom,
};

/** The runner for a mode, after checking it exists in this build and can write `format`. */
export function modeRunner(mode: ActionMode, format: ActionFormat): ModeRunner {
  const runner = MODE_RUNNERS[mode];
  if (!runner) {
    const available = Object.entries(MODE_RUNNERS)
      .filter(([, r]) => r !== undefined)
      .map(([m]) => m);
    throw new UsageError(
      `mode '${mode}' is not available in this build of rmm-verify; available: ${available.join(', ')}`,
    );
  }
  if (format === 'html' && !MODE_EXTRA_FORMATS[mode].includes('html')) {
    const modes = Object.entries(MODE_EXTRA_FORMATS)
      .filter(([, formats]) => formats.includes('html'))
      .map(([m]) => m);
    throw new UsageError(`input 'format': html is written by mode ${modes.join(', ')} only, not '${mode}'`);
  }
  return runner;
}
