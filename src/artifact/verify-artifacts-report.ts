import type { Severity } from '../findings.ts';
import type { LoadedManifest } from '../manifest/load.ts';
import { defaultSignaturePath } from '../manifest/signature-file.ts';
import type { TrustRoot } from '../manifest/trust-root.ts';
import { checkManifest } from '../manifest/verify-trust.ts';
import { buildReport, type Report, type SubjectResult } from '../report/report.ts';
import type { ArtifactCheck, ArtifactVerifyOptions } from './check.ts';
import { collectFiles } from './collect-files.ts';
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
  readonly platform?: string;
  readonly failOn?: Severity;
  readonly checks?: readonly ArtifactCheck[];
  readonly subjectOf?: (path: string) => string;
  readonly onProgress?: (path: string, bytesRead: number) => void;
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
  });
  const { manifest } = options.loaded;
  const manifestSubject: SubjectResult = {
    subject: options.loaded.path,
    kind: 'manifest',
    result: manifestCheck.trusted ? 'pass' : 'fail',
    facts: { product: manifest.product, serial: manifest.serial, expires: manifest.expires },
  };
  const { files } = await collectFiles(inputs, [options.loaded.path, signaturePath]);
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
      findings: manifestCheck.findings,
      ...(options.failOn ? { failOn: options.failOn } : {}),
    });
  }
  const results = await verifyArtifactFiles(files, options);
  return buildReport({
    command: 'verify',
    now: options.now,
    subjects: [manifestSubject, ...results.map((r) => r.subject)],
    findings: [...manifestCheck.findings, ...results.flatMap((r) => r.findings)],
    ...(options.failOn ? { failOn: options.failOn } : {}),
  });
}
