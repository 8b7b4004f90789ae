export { buildReport, type Report, type ReportInit, type SubjectResult } from './report.ts';
export {
  REPORT_FORMATS,
  parseReportFormat,
  renderReport,
  type RenderOptions,
  type ReportFormat,
} from './render.ts';
export { renderText, sanitizeForTerminal } from './text.ts';
export { escapeText, joinTextLines } from './escape-text.ts';
export { renderJson } from './json.ts';
export {
  SARIF_LEVEL,
  SARIF_SCHEMA_URI,
  SECURITY_SEVERITY,
  findingLocator,
  pathToSarifUri,
  renderSarif,
  renderSarifLog,
  type FindingPlace,
  type SarifLevel,
  type SarifLog,
  type SarifOptions,
} from './sarif.ts';
export { renderJunit, xmlAttribute, xmlText } from './junit.ts';
export { escapeMarkdown, renderMarkdown, type MarkdownOptions } from './markdown.ts';
export { CSV_COLUMNS, csvField, renderCsv } from './csv.ts';
