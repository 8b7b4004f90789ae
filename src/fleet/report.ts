import { FINDING_CODES, failsAt, finding, type Finding, type Severity } from '../findings.ts';
import { buildReport, type Report, type SubjectResult } from '../report/report.ts';
import type { DriftScanOutput } from './drift.ts';
import type { HistoryDiff } from './history.ts';
import { CLASS_CODE, type DriftResult } from './scan.ts';
import { DRIFT_CLASSES } from './types.ts';

/** The drift command's report: the common Report plus the rollups (`drift`), history included. */
export interface DriftReport extends Report {
  readonly drift: DriftResult & { readonly history: HistoryDiff | null };
}

export interface DriftReportOptions {
  readonly now: Date;
  readonly failOn: Severity;
  /** Findings from outside the scan (manifest trust). */
  readonly extraFindings?: readonly Finding[];
}

/** One subject per tenant; a tenant fails when it has agents in a class whose code fails at failOn. */
export function buildDriftReport(output: DriftScanOutput, options: DriftReportOptions): DriftReport {
  const subjects: SubjectResult[] = output.result.tenants.map((t) => {
    const failing = DRIFT_CLASSES.some((c) => {
      const code = CLASS_CODE[c];
      return (
        code !== undefined &&
        (t.classes[c] ?? 0) > 0 &&
        failsAt(finding(code, { subject: '', message: '' }), options.failOn)
      );
    });
    return {
      subject: t.tenant,
      kind: 'tenant',
      result: failing ? 'fail' : 'pass',
      facts: {
        agents: t.agents,
        onTarget: t.onTarget,
        percentOnTarget: t.percentOnTarget,
        tools: t.tools,
        worst: t.worst,
      },
    };
  });
  const report = buildReport({
    command: 'drift',
    now: options.now,
    subjects,
    findings: [...(options.extraFindings ?? []), ...output.findings],
    failOn: options.failOn,
  });
  return { ...report, drift: { ...output.result, history: output.history ?? null } };
}

/** Severity of a drift class's finding code (for tables). */
export function classSeverity(driftClass: (typeof DRIFT_CLASSES)[number]): Severity | null {
  const code = CLASS_CODE[driftClass];
  return code === undefined ? null : FINDING_CODES[code].severity;
}
