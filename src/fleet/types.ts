/**
 * The canonical inventory row every reader produces, and the drift classes the scanner assigns.
 * Readers reuse one mutable row object per input to avoid an allocation per row: a consumer
 * copies the fields it keeps before returning.
 */
export interface InventoryRow {
  tenant: string;
  endpoint: string;
  hostname: string;
  product: string;
  version: string;
  /** Lower-case hex, or '' when the inventory does not report one. */
  sha256: string;
  platform: string;
  /** Milliseconds since the epoch; NaN when the inventory does not report one. */
  lastSeen: number;
  /**
   * The instance of the tool the row's agent answers to (a ScreenConnect relay host or
   * instance id, a MeshCentral server id or mesh id), raw from the inventory's `instance`
   * column; '' when it has none (instance-id.ts normalises it).
   */
  instance: string;
}

export const CANONICAL_FIELDS = [
  'tenant',
  'endpoint',
  'hostname',
  'product',
  'version',
  'sha256',
  'platform',
  'last_seen',
  'instance',
] as const;
export type CanonicalField = (typeof CANONICAL_FIELDS)[number];

/** Where a row came from, for findings and malformed-row reports. */
export interface RowPlace {
  readonly file: string;
  /** 1-based line of the row's first line. */
  readonly line: number;
}

export type InventoryFormat = 'csv' | 'jsonl' | 'osquery';

/**
 * The classes of an agent (a tenant × endpoint × product after deduplication), in precedence
 * order: an agent's primary status is the first of these it has, and every headline number
 * (fleet and tenant counts, percentages, the HTML chart, the history trend) counts primary
 * statuses only, so they add up to the agents. The classes it has after that stay secondary
 * findings. `on-target` means the target version, a reported sha256 (if any) pinned for that
 * version and the agent's platform, and an allowed platform.
 *
 * `unlisted-instance` (the agent answers to an instance of the product that the tenant's
 * allowlist does not name: someone else's server, AA23-025A) ranks below the two critical
 * integrity statuses and above every version status: an agent of a stranger's instance is not
 * ours, so its version says nothing about our deployment.
 */
export const AGENT_STATUSES = [
  'hash-mismatch',
  'revoked',
  'unlisted-instance',
  'vulnerable',
  'below-minimum',
  'unreleased-version',
  'behind',
  'platform-not-allowed',
  'ahead-of-target',
  'unknown-version',
  'on-target',
] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

/**
 * Every class: the agent statuses in precedence order, then `unapproved-tool` (known RMM tools
 * without a manifest, counted apart from agents) and `stale` (freshness, a separate dimension:
 * any agent or tool can be stale as well). A tool install's primary status is `unapproved-tool`
 * (the tenant may not run the tool at all), else `unlisted-instance` (the tool is allowed, this
 * instance of it is not), else none; tool installs are counted beside the agents, never in them.
 */
export const DRIFT_CLASSES = [...AGENT_STATUSES, 'unapproved-tool', 'stale'] as const;
export type DriftClass = (typeof DRIFT_CLASSES)[number];

export function driftClassRank(driftClass: DriftClass): number {
  return DRIFT_CLASSES.indexOf(driftClass);
}
