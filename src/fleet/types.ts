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
 * Worst first. A managed agent has exactly one version class (`on-target`, `behind`,
 * `below-minimum`, `ahead-of-target`, `unknown-version`) and any number of the others.
 */
export const DRIFT_CLASSES = [
  'revoked',
  'hash-mismatch',
  'vulnerable',
  'below-minimum',
  'unapproved-tool',
  'behind',
  'unknown-version',
  'platform-not-allowed',
  'ahead-of-target',
  'stale',
  'on-target',
] as const;
export type DriftClass = (typeof DRIFT_CLASSES)[number];

export function driftClassRank(driftClass: DriftClass): number {
  return DRIFT_CLASSES.indexOf(driftClass);
}
