import type { DriftReport } from '../fleet/report.ts';
import { driftTables } from './drift-tables.ts';
import { escapeMarkdown, renderMarkdown } from './markdown.ts';

function mdTable(rows: readonly (readonly string[])[], numericFrom: number): string[] {
  const [header, ...body] = rows;
  if (header === undefined) return [];
  return [
    `| ${header.map(escapeMarkdown).join(' | ')} |`,
    `| ${header.map((_, i) => (i >= numericFrom ? '---:' : '---')).join(' | ')} |`,
    ...body.map((row) => `| ${row.map(escapeMarkdown).join(' | ')} |`),
  ];
}

/**
 * `drift --format markdown`: sized for a GitHub job summary (1 MiB cap): the fleet summary,
 * the worst tenants and rollup rows (capped), then the common findings report.
 */
export function renderDriftMarkdown(report: DriftReport): string {
  const t = driftTables(report, { tenants: 50, rollups: 100 });
  const out: string[] = ['## Fleet drift', ''];
  out.push(...mdTable([['Measure', 'Value'], ...t.summary], 1), '');
  if (t.history.length > 0)
    out.push('### History', '', ...mdTable([['Measure', 'Value'], ...t.history], 1), '');
  out.push('### Tenants (worst first)', '', ...mdTable(t.tenants, 1));
  if (t.tenantsHidden > 0) out.push('', `_${t.tenantsHidden} more tenant(s) in the JSON or HTML report._`);
  out.push('', '### Tenant × product × primary status', '', ...mdTable(t.rollups, 4));
  if (t.rollupsHidden > 0) out.push('', `_${t.rollupsHidden} more row(s) in the JSON or HTML report._`);
  out.push('', renderMarkdown(report, { maxFindings: 200, maxSubjects: 200 }));
  return `${out.join('\n')}\n`;
}
