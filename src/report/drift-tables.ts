import { classSeverity, type DriftReport } from '../fleet/report.ts';
import { AGENT_STATUSES, type AgentStatus } from '../fleet/types.ts';

/**
 * The drift rollups as plain rows (header first), shared by the text and Markdown renderers so
 * both show the same numbers as the JSON `drift` section.
 */
export interface DriftTables {
  readonly summary: readonly (readonly [string, string])[];
  readonly tenants: readonly (readonly string[])[];
  readonly tenantsHidden: number;
  readonly rollups: readonly (readonly string[])[];
  readonly rollupsHidden: number;
  readonly history: readonly (readonly [string, string])[];
}

/** Primary statuses shown as tenant-table columns (the ones that need action, in precedence order). */
export const TENANT_COLUMNS: readonly AgentStatus[] = AGENT_STATUSES.filter((c) => c !== 'on-target');

export function driftTables(report: DriftReport, limits: { tenants: number; rollups: number }): DriftTables {
  const drift = report.drift;
  const fleet = drift.fleet;
  const summary: [string, string][] = [
    ['Tenants', String(fleet.tenants)],
    ['Agents (one primary status each)', String(fleet.agents)],
    ['On target', `${fleet.onTarget} (${fleet.percentOnTarget}%)`],
    ...TENANT_COLUMNS.filter((c) => fleet.status[c] > 0).map((c): [string, string] => [
      `${c} (${classSeverity(report, c) ?? ''})`,
      String(fleet.status[c]),
    ]),
    ['Stale agents (freshness, beside the status)', String(fleet.stale)],
    [
      'RMM tools without a manifest (unapproved, unlisted instance)',
      `${fleet.tools} (${fleet.unapprovedTools}, ${fleet.unlistedInstances})`,
    ],
    ['Rows read', String(fleet.rows)],
    ['Malformed rows', String(fleet.malformedRows)],
    ['Duplicate rows', String(fleet.duplicateRows)],
    ['Other products (not judged)', String(fleet.otherRows)],
    ['Stale after', `${drift.staleDays} days (before ${drift.staleBefore})`],
  ];
  const tenants = [
    [
      'Tenant',
      'Agents',
      'On target',
      '%',
      ...TENANT_COLUMNS,
      'stale',
      'unapproved-tool',
      'unlisted-instance tools',
    ],
    ...drift.tenants
      .slice(0, limits.tenants)
      .map((t) => [
        t.tenant,
        String(t.agents),
        String(t.onTarget),
        String(t.percentOnTarget),
        ...TENANT_COLUMNS.map((c) => String(t.status[c] ?? 0)),
        String(t.stale),
        String(t.unapprovedTools),
        String(t.unlistedInstances),
      ]),
  ];
  const problemRows = drift.rollups.filter((r) => r.class !== 'on-target');
  const rollups = [
    ['Tenant', 'Product', 'Status', 'Severity', 'Count', 'Stale'],
    ...problemRows
      .slice(0, limits.rollups)
      .map((r) => [r.tenant, r.product, r.class, r.severity ?? '', String(r.count), String(r.stale)]),
  ];
  const history: [string, string][] = [];
  if (drift.history !== null) {
    const h = drift.history;
    history.push([
      'Scan',
      `${h.scanId}${h.previousScanId === null ? ' (first)' : ` (previous ${h.previousScanId})`}`,
    ]);
    history.push(
      ['Downgrades', String(h.downgrades)],
      ['New endpoints', String(h.newEndpoints)],
      ['Vanished endpoints', String(h.vanishedEndpoints)],
    );
    const changed = h.trend
      .filter((t) => t.change !== null && t.change !== 0)
      .sort((a, b) => (a.change ?? 0) - (b.change ?? 0));
    for (const t of changed.slice(0, 5))
      history.push([
        `Trend ${t.tenant}`,
        `${(t.change ?? 0) > 0 ? '+' : ''}${t.change ?? 0} points on target`,
      ]);
  }
  return {
    summary,
    tenants,
    tenantsHidden: Math.max(0, drift.tenants.length - limits.tenants),
    rollups,
    rollupsHidden: Math.max(0, problemRows.length - limits.rollups),
    history,
  };
}
