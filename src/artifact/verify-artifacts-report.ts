import { finding, type Finding, type Severity } from '../findings.ts';
import type { LoadedManifest } from '../manifest/load.ts';
import { defaultSignaturePath } from '../manifest/signature-file.ts';
import type { TrustRoot } from '../manifest/trust-root.ts';
import { checkManifest } from '../manifest/verify-trust.ts';
import { buildReport, type Report, type SubjectResult } from '../report/report.ts';
import type { ArtifactCheck, ArtifactVerifyOptions } from './check.ts';
import { collectFiles, type CollectedFiles } from './collect-files.ts';
import { verifyArtifactFiles } from './verify-artifacts.ts';

export interface VerifyArtifactsOptions {
  readonly loaded: LoadedManifest;
  /** The manifest is used only when this trust root's threshold of keys signed it. */
  readonly trust: TrustRoot;
  readonly now: Date;
  readonly options: ArtifactVerifyOptions;
  /** Detached signature file; default `<manifest>.sig`. */
  readonly signaturePath?: string;
  /** Rollback state; undefined skips the rollback check. */
  readonly statePath?: string;
  /** Environment for the default Sigstore trusted root of manifest bundles (`trust update` cache). */
  readonly env?: Readonly<Record<string, string | undefined>>;
  /** Wait for another run's lock on the state file, in milliseconds (default defaults.stateLockWaitSeconds). */
  readonly stateLockWaitMs?: number;
  readonly platform?: string;
  readonly failOn?: Severity;
  readonly checks?: readonly ArtifactCheck[];
  readonly subjectOf?: (path: string) => string;
  readonly onProgress?: (path: string, bytesRead: number) => void;
  /** Called once with the files a directory walk found, before any is read (for overall progress). */
  readonly onFiles?: (files: readonly string[]) => void;
}

/**
 * The `verify` command as a library call: trust the manifest first (signatures, threshold,
 * expiry, rollback), then verify every file (directories walked recursively). When the manifest
 * is not trusted no artifact is reported as verified.
 */
export async function verifyArtifacts(
  inputs: readonly string[],
  options: VerifyArtifactsOptions,
): Promise<Report> {
  const signaturePath = options.signaturePath ?? defaultSignaturePath(options.loaded.path);
  const manifestCheck = await checkManifest(options.loaded, options.trust, {
    now: options.now,
    signaturePath,
    ...(options.statePath !== undefined ? { statePath: options.statePath } : {}),
    // One trusted root for the manifest's bundle and the artifacts' provenance.
    ...(options.options.trustedRoot !== undefined ? { trustedRoot: options.options.trustedRoot } : {}),
    ...(options.env !== undefined ? { env: options.env } : {}),
    ...(options.stateLockWaitMs !== undefined ? { stateLockWaitMs: options.stateLockWaitMs } : {}),
  });
  const { manifest } = options.loaded;
  const manifestSubject: SubjectResult = {
    subject: options.loaded.path,
    kind: 'manifest',
    result: manifestCheck.trusted ? 'pass' : 'fail',
    facts: { product: manifest.product, serial: manifest.serial, expires: manifest.expires },
  };
  const collected = await collectFiles(inputs, [options.loaded.path, signaturePath]);
  const { files } = collected;
  options.onFiles?.(files);
  const inputFindings = collectionFindings(inputs, collected, options.subjectOf);
  if (!manifestCheck.trusted) {
    return buildReport({
      command: 'verify',
      now: options.now,
      subjects: [
        manifestSubject,
        ...files.map((f): SubjectResult => ({
          subject: options.subjectOf?.(f) ?? f,
          kind: 'artifact',
          result: 'fail',
          facts: { verified: false },
        })),
      ],
      findings: [...manifestCheck.findings, ...inputFindings],
      ...(options.failOn ? { failOn: options.failOn } : {}),
    });
  }
  const results = await verifyArtifactFiles(files, options);
  return buildReport({
    command: 'verify',
    now: options.now,
    subjects: [manifestSubject, ...results.map((r) => r.subject)],
    findings: [...manifestCheck.findings, ...inputFindings, ...results.flatMap((r) => r.findings)],
    ...(options.failOn ? { failOn: options.failOn } : {}),
  });
}

/**
 * What the walk found that is not an artifact: each FIFO, socket, device or dangling link is a
 * failing finding (it was in the release and was not verified), and a run that found no
 * artifact at all fails with ARTIFACT_NOTHING_VERIFIED: nothing verified is never a pass.
 */
function collectionFindings(
  inputs: readonly string[],
  collected: CollectedFiles,
  subjectOf: ((path: string) => string) | undefined,
): Finding[] {
  const name = (path: string) => subjectOf?.(path) ?? path;
  const out: Finding[] = collected.notRegular.map((entry) =>
    finding('ARTIFACT_NOT_REGULAR_FILE', {
      subject: name(entry.path),
      message: `${name(entry.path)}: ${entry.kind}; not opened and not verified (only regular files are)`,
      evidence: { kind: entry.kind },
      location: { file: entry.path },
    }),
  );
  if (collected.files.length === 0) {
    const named = inputs.map(name);
    const parts = [
      collected.skipped.length > 0 ? `${collected.skipped.length} evidence file(s) skipped` : '',
      collected.notRegular.length > 0 ? `${collected.notRegular.length} entry(ies) not regular files` : '',
    ].filter((part) => part !== '');
    out.push(
      finding('ARTIFACT_NOTHING_VERIFIED', {
        subject: named.join(', '),
        message: `${named.join(', ')}: no artifact to verify (${parts.length > 0 ? parts.join(', ') : 'empty'}); a run that verified nothing does not pass`,
        evidence: {
          inputs: named,
          evidenceFilesSkipped: collected.skipped.length,
          notRegularFiles: collected.notRegular.length,
        },
      }),
    );
  }
  return out;
}
