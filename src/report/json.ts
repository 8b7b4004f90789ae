import type { Report } from './report.ts';

/** `--format json`: the Report object, pretty-printed, keys in a stable order. */
export function renderJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
