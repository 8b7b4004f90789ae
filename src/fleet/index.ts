export {
  ProductCatalog,
  type ManagedProduct,
  type ProductRef,
  type ToolProduct,
  type VersionClass,
  type VersionInfo,
} from './catalog.ts';
export { FLEET_CODES } from './codes.ts';
export { COLUMN_ALIASES, parseColumnMapping, type ColumnMapping } from './columns.ts';
export { Allowlist, loadDriftConfig, parseDriftConfig, type DriftConfig } from './config.ts';
export { CsvParser, type CsvHandler, type CsvOptions } from './csv.ts';
export { scanDrift, type DriftScanInput, type DriftScanOutput } from './drift.ts';
export { DriftHistory, type HistoryDiff, type TenantTrend, type VersionPoint } from './history.ts';
export {
  fileSource,
  readInventory,
  streamSource,
  type InputSummary,
  type InventorySink,
  type InventorySource,
} from './inventory.ts';
export { buildDriftReport, type DriftReport } from './report.ts';
export { loadOsvFile, parseOsv, withOsvAdvisories, type OsvAdvisory } from './osv.ts';
export { nameKey, normaliseName, skeleton, type NormalName } from './product-name.ts';
export {
  RmmToolMatcher,
  bundledRmmTools,
  parseRmmTools,
  type InstanceKind,
  type RmmTool,
  type RmmToolMatcherOptions,
  type ToolMatch,
  type ToolSigner,
} from './rmm-tools.ts';
export {
  DriftScanner,
  type DriftResult,
  type RollupRow,
  type TenantRollup,
  type VersionCount,
} from './scan.ts';
export { parseTimestamp } from './timestamp.ts';
export { DRIFT_CLASSES, type DriftClass, type InventoryFormat, type InventoryRow } from './types.ts';
