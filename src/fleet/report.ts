import { severityRank, type Finding, type Severity } from '../findings.ts';
import { buildReport, type Report, type SubjectResult } from '../report/report.ts';
import type { DriftScanOutput } from './drift.ts';
import type { HistoryDiff } from './history.ts';
import { codeSeverity, type DriftResult } from './scan.ts';
import type { DriftClass } from './types.ts';

/** The drift command's report: the common Report plus the rollups (`drift`), history included. */
export interface DriftReport extends Report {
  readonly drift: DriftResult & { readonly history: HistoryDiff | null };
}

export interface DriftReportOptions {
  readonly now: Date;
  readonly failOn: Severity;
  /** Findings from outside the scan (manifest trust). */
  readonly extraFindings?: readonly Finding[];
  /** Conditions of the run recorded in every format (see Report.notices). */
  readonly notices?: readonly string[];
}

/**
 * One subject per tenant; a tenant fails when any of its classes (primary or secondary) has a
 * severity at or above failOn: the severity its findings carry (an advisory's own for vulnerable).
 */
export function buildDriftReport(output: DriftScanOutput, options: DriftReportOptions): DriftReport {
  const subjects: SubjectResult[] = output.result.tenants.map((t) => {
    const failing =
      t.severity !== null &&
      t.severity !== 'info' &&
      severityRank(t.severity) >= severityRank(options.failOn);
    return {
      subject: t.tenant,
      kind: 'tenant',
      result: failing ? 'fail' : 'pass',
      facts: {
        agents: t.agents,
        onTarget: t.onTarget,
        percentOnTarget: t.percentOnTarget,
        tools: t.tools,
        unapprovedTools: t.unapprovedTools,
        unlistedInstances: t.unlistedInstances,
        stale: t.stale,
        worst: t.worst,
        severity: t.severity,
      },
    };
  });
  const fleet = output.result.fleet;
  const report = buildReport({
    command: 'drift',
    now: options.now,
    subjects,
    subjectNoun: 'tenants',
    counted:
      `${fleet.agents} agents, each counted once by its primary status: ${fleet.onTarget} on target (${fleet.percentOnTarget}%)` +
      `, ${fleet.stale} stale; ${fleet.unapprovedTools} unapproved RMM tool install(s)` +
      (fleet.unlistedInstances > 0
        ? `, ${fleet.unlistedInstances} install(s) of an allowed tool at an unlisted instance`
        : ''),
    findings: [...(options.extraFindings ?? []), ...output.findings],
    failOn: options.failOn,
    ...(options.notices !== undefined ? { notices: options.notices } : {}),
  });
  return { ...report, drift: { ...output.result, history: output.history ?? null } };
}

/**
 * Severity of a drift class in this report: the one its findings carry (for vulnerable, the
 * worst advisory's among the fleet's vulnerable agents); null for on-target.
 */
export function classSeverity(report: DriftReport, driftClass: DriftClass): Severity | null {
  return report.drift.fleet.severities[driftClass] ?? codeSeverity(driftClass);
}
