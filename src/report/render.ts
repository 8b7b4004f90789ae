import { UsageError } from '../errors.ts';
import { renderCsv } from './csv.ts';
import { renderJson } from './json.ts';
import { renderJunit } from './junit.ts';
import { renderMarkdown } from './markdown.ts';
import type { Report } from './report.ts';
import { renderSarif } from './sarif.ts';
import { renderText } from './text.ts';

export const REPORT_FORMATS = ['text', 'json', 'sarif', 'junit', 'markdown', 'csv'] as const;
export type ReportFormat = (typeof REPORT_FORMATS)[number];

export interface RenderOptions {
  readonly color: boolean;
}

/** Renders a report in any format; every format comes from the same findings. */
export function renderReport(report: Report, format: ReportFormat, options: RenderOptions): string {
  switch (format) {
    case 'text':
      return renderText(report, options);
    case 'json':
      return renderJson(report);
    case 'sarif':
      return renderSarif(report);
    case 'junit':
      return renderJunit(report);
    case 'markdown':
      return renderMarkdown(report);
    case 'csv':
      return renderCsv(report);
  }
}

export function parseReportFormat(
  command: string,
  value: string | undefined,
  allowed: readonly ReportFormat[] = REPORT_FORMATS,
): ReportFormat {
  if (value === undefined) return 'text';
  if ((allowed as readonly string[]).includes(value)) return value as ReportFormat;
  throw new UsageError(`${command}: --format must be one of ${allowed.join(', ')}; got '${value}'`);
}
