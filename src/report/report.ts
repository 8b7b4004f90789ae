import { VERSION } from '../version.ts';
import {
  countBySeverity,
  exitCodeFor,
  sortFindings,
  type EvidenceValue,
  type Finding,
  type Severity,
} from '../findings.ts';

/** One thing that was checked (an artifact, a manifest, an SBOM, an endpoint) and its outcome. */
export interface SubjectResult {
  readonly subject: string;
  /** What kind of thing: `artifact`, `manifest`, `sbom`, `bundle`, `endpoint`, ... */
  readonly kind: string;
  readonly result: 'pass' | 'fail';
  /** Facts worth showing even when all is well: version, platform, digests, signer. */
  readonly facts: Readonly<Record<string, EvidenceValue>>;
}

/**
 * What every command produces and every format renders. The JSON form of this object is the
 * documented, stable `--format json` output (`reportVersion` changes on incompatible edits).
 */
export interface Report {
  readonly reportVersion: 1;
  readonly tool: { readonly name: 'rmm-verify'; readonly version: string };
  readonly command: string;
  readonly generatedAt: string;
  readonly result: 'pass' | 'fail';
  readonly failOn: Severity;
  readonly summary: {
    /** What the subjects are (`tenants` for drift); absent means `subjects`. */
    readonly subjectNoun?: string;
    /** A sentence of what else was counted (drift: agents, each once by its primary status). */
    readonly counted?: string;
    readonly subjects: number;
    readonly passed: number;
    readonly failed: number;
    readonly findings: Readonly<Record<Severity, number>>;
  };
  readonly subjects: readonly SubjectResult[];
  readonly findings: readonly Finding[];
  /**
   * Conditions of the run a reader must know, in every format (for example that manifest
   * signatures were not checked).
   */
  readonly notices?: readonly string[];
}

export interface ReportInit {
  readonly command: string;
  readonly now: Date;
  readonly subjects: readonly SubjectResult[];
  readonly findings: readonly Finding[];
  readonly failOn?: Severity;
  readonly subjectNoun?: string;
  readonly counted?: string;
  readonly notices?: readonly string[];
}

export function buildReport(init: ReportInit): Report {
  const failOn = init.failOn ?? 'low';
  const passed = init.subjects.filter((s) => s.result === 'pass').length;
  return {
    reportVersion: 1,
    tool: { name: 'rmm-verify', version: VERSION },
    command: init.command,
    generatedAt: init.now.toISOString(),
    result: exitCodeFor(init.findings, failOn) === 0 ? 'pass' : 'fail',
    failOn,
    summary: {
      ...(init.subjectNoun !== undefined ? { subjectNoun: init.subjectNoun } : {}),
      ...(init.counted !== undefined ? { counted: init.counted } : {}),
      subjects: init.subjects.length,
      passed,
      failed: init.subjects.length - passed,
      findings: countBySeverity(init.findings),
    },
    subjects: init.subjects,
    findings: sortFindings(init.findings),
    ...(init.notices !== undefined && init.notices.length > 0 ? { notices: init.notices } : {}),
  };
}
