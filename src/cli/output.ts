import { exitCodeFor } from '../findings.ts';
import type { Report } from '../report/report.ts';
import { renderReport, type ReportFormat } from '../report/render.ts';
import { useColor, type CliIo } from './io.ts';

/** Writes a report to stdout in the chosen format and returns the run's exit code. */
export function emitReport(io: CliIo, report: Report, format: ReportFormat): number {
  io.stdout.write(renderReport(report, format, { color: useColor(io) }));
  return exitCodeFor(report.findings, report.failOn);
}
