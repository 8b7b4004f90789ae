import { ARTIFACT_CODES } from './artifact/codes.ts';
import { AUTHENTICODE_CODES } from './authenticode/codes.ts';
import type { FindingCodeInfo, Severity } from './finding-codes.ts';
import { FLEET_CODES } from './fleet/codes.ts';
import { MANIFEST_CODES } from './manifest/codes.ts';
import { OPENPGP_CODES } from './openpgp/codes.ts';
import { SBOM_CODES } from './sbom/codes.ts';
import { SIGSTORE_CODES } from './sigstore/codes.ts';

export type { FindingCodeInfo, Severity } from './finding-codes.ts';

/**
 * The one registry of finding codes. Each domain owns its table; this is their union, and every
 * output format (text, JSON, SARIF rules, Action annotations, README) is rendered from it.
 */
export const FINDING_CODES = {
  ...MANIFEST_CODES,
  ...ARTIFACT_CODES,
  ...AUTHENTICODE_CODES,
  ...SIGSTORE_CODES,
  ...OPENPGP_CODES,
  ...SBOM_CODES,
  ...FLEET_CODES,
} as const satisfies Record<string, FindingCodeInfo>;

export type FindingCode = keyof typeof FINDING_CODES;

export type EvidenceValue = string | number | boolean | null | readonly EvidenceValue[];

export interface Finding {
  readonly code: FindingCode;
  readonly severity: Severity;
  /** What the finding is about: a file path, `tenant/endpoint`, a manifest, a key id. */
  readonly subject: string;
  /** A sentence with numbers and places. */
  readonly message: string;
  /** Machine-readable facts behind the message (expected/actual digests, offsets, counts). */
  readonly evidence: Readonly<Record<string, EvidenceValue>>;
  /** File the finding points into, when there is one (for annotations and SARIF). */
  readonly location?: { readonly file: string; readonly line?: number; readonly pointer?: string };
}

export interface FindingInit {
  readonly subject: string;
  readonly message: string;
  readonly evidence?: Readonly<Record<string, EvidenceValue>>;
  readonly severity?: Severity;
  readonly location?: Finding['location'];
}

/** Builds a finding with its registry severity unless one is given. */
export function finding(code: FindingCode, init: FindingInit): Finding {
  return {
    code,
    severity: init.severity ?? FINDING_CODES[code].severity,
    subject: init.subject,
    message: init.message,
    evidence: init.evidence ?? {},
    ...(init.location ? { location: init.location } : {}),
  };
}

export const SEVERITIES: readonly Severity[] = ['critical', 'high', 'medium', 'low', 'info'];

export function severityRank(severity: Severity): number {
  return SEVERITIES.length - SEVERITIES.indexOf(severity);
}

export function isSeverity(value: string): value is Severity {
  return (SEVERITIES as readonly string[]).includes(value);
}

/** True when a finding is at or above the threshold (`info` never fails). */
export function failsAt(f: Finding, threshold: Severity): boolean {
  return f.severity !== 'info' && severityRank(f.severity) >= severityRank(threshold);
}

export const ExitCode = { ok: 0, failed: 1, input: 2 } as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** Exit status for a completed run: 1 when any finding is at or above `failOn`. */
export function exitCodeFor(findings: readonly Finding[], failOn: Severity = 'low'): ExitCode {
  return findings.some((f) => failsAt(f, failOn)) ? ExitCode.failed : ExitCode.ok;
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const f of findings) counts[f.severity] += 1;
  return counts;
}

/** Worst first, then by code and subject, so every report lists findings in the same order. */
export function sortFindings(findings: readonly Finding[]): Finding[] {
  return [...findings].sort(
    (a, b) =>
      severityRank(b.severity) - severityRank(a.severity) ||
      a.code.localeCompare(b.code) ||
      a.subject.localeCompare(b.subject),
  );
}
