export { buildReport, type Report, type ReportInit, type SubjectResult } from './report.ts';
export {
  REPORT_FORMATS,
  parseReportFormat,
  renderReport,
  type RenderOptions,
  type ReportFormat,
} from './render.ts';
export { renderText, sanitizeForTerminal } from './text.ts';
export { renderJson } from './json.ts';
