import type { DriftReport } from '../fleet/report.ts';
import { driftTables } from './drift-tables.ts';
import { joinTextLines } from './escape-text.ts';
import { renderText } from './text.ts';

export interface DriftTextOptions {
  readonly color: boolean;
  readonly maxTenants?: number;
  readonly maxRollups?: number;
}

function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) =>
    row
      .map((cell, i) =>
        i === 0 || i === 1 || i === 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0),
      )
      .join('  ')
      .trimEnd(),
  );
}

/** `drift --format text`: fleet summary, tenants worst first, tenant × product × class counts, then findings. */
export function renderDriftText(report: DriftReport, options: DriftTextOptions): string {
  const t = driftTables(report, { tenants: options.maxTenants ?? 25, rollups: options.maxRollups ?? 40 });
  const lines: string[] = ['Fleet drift', ''];
  const width = Math.max(...t.summary.map(([k]) => k.length));
  for (const [k, v] of t.summary) lines.push(`  ${k.padEnd(width)}  ${v}`);
  if (t.history.length > 0) {
    lines.push('', 'History');
    const w = Math.max(...t.history.map(([k]) => k.length));
    for (const [k, v] of t.history) lines.push(`  ${k.padEnd(w)}  ${v}`);
  }
  lines.push('', 'Tenants (worst first)');
  lines.push(...table(t.tenants).map((l) => `  ${l}`));
  if (t.tenantsHidden > 0) lines.push(`  ... ${t.tenantsHidden} more tenant(s) in --format json or html`);
  lines.push('', 'Tenant x product x primary status (worst first)');
  lines.push(...table(t.rollups).map((l) => `  ${l}`));
  if (t.rollupsHidden > 0) lines.push(`  ... ${t.rollupsHidden} more row(s) in --format json or html`);
  lines.push('');
  // Subjects (tenants) are already in the table above: the common renderer lists findings only.
  const findingsOnly = renderText({ ...report, subjects: [] }, { color: options.color });
  return `${joinTextLines(lines)}${findingsOnly}`;
}
