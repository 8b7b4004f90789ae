import { defineCodes } from '../finding-codes.ts';

/** Finding codes owned by fleet/. Stable strings: never rename one, only add. */
export const FLEET_CODES = defineCodes({
  DRIFT_BEHIND: {
    severity: 'medium',
    title: 'Agent older than the target version',
    help: 'The endpoint runs a version older than policy.target but still at or above the minimum. Schedule the update.',
  },
  DRIFT_BELOW_MINIMUM: {
    severity: 'high',
    title: 'Agent below the minimum version',
    help: 'The version does not satisfy policy.minimum. Update the endpoint before anything else.',
  },
  DRIFT_REVOKED: {
    severity: 'critical',
    title: 'Agent runs a revoked version',
    help: 'The version is listed in policy.revoked (withdrawn or compromised build). Replace it now.',
  },
  DRIFT_VULNERABLE: {
    severity: 'high',
    title: 'Agent runs a version with a known advisory',
    help: "The version is in the affected range of an advisory in the manifest; the finding carries the advisory's severity.",
  },
  DRIFT_UNRELEASED_VERSION: {
    severity: 'high',
    title: 'Agent version the vendor never released',
    help: "The version is well-formed but not among the manifest's releases (below, between or above them; a pre-release too). For an RMM agent that is a counterfeit or side-loaded build until proven otherwise. The evidence names the nearest released versions.",
  },
  DRIFT_AHEAD_OF_TARGET: {
    severity: 'low',
    title: 'Agent newer than the target version',
    help: 'The version is newer than policy.target (a pre-release, a manual install, or a manifest that lags). Pin it or roll it back.',
  },
  DRIFT_UNKNOWN_VERSION: {
    severity: 'medium',
    title: 'Agent version cannot be understood',
    help: "The reported version is not a version of the product's version scheme (semver unless the manifest sets versionScheme: windows, debian, rpm or commit-date), so it cannot be compared with the policy. Check the inventory source or the manifest's versionScheme.",
  },
  DRIFT_HASH_MISMATCH: {
    severity: 'critical',
    title: 'Agent binary matches no pinned artifact',
    help: "The reported sha256 matches no pinned artifact of that version for the endpoint's platform (or the version has no pinned artifacts): the binary may have been tampered with.",
  },
  DRIFT_PLATFORM_NOT_ALLOWED: {
    severity: 'medium',
    title: 'Agent on a platform the policy does not allow',
    help: 'The endpoint platform is not in policy.platforms.',
  },
  DRIFT_UNAPPROVED_TOOL: {
    severity: 'high',
    title: 'Unapproved remote-access tool',
    help: "A known RMM or remote-access tool that is not on the tenant's allowlist: attackers install these for persistence. Remove it or allowlist it in the drift config.",
  },
  DRIFT_UNLISTED_INSTANCE: {
    severity: 'high',
    title: 'Agent of an instance the allowlist does not name',
    help: 'The agent answers to an instance of an allowed tool or managed product (a ScreenConnect instance id or relay host, a MeshCentral server or mesh id: the inventory\'s instance column or the id in the product name) that the tenant\'s allowlist does not list. Attackers bring their own instance of a tool the MSP already runs (AA23-025A). Allowing a tool does not allow every instance of it: list ours as { "name": ..., "instances": [...] } in the drift config ("*" accepts any); an instance with lookalike or invisible characters never matches and names the listed one it resembles.',
  },
  DRIFT_STALE: {
    severity: 'low',
    title: 'Endpoint has not checked in recently',
    help: 'last_seen is older than --stale (default 14 days). Its reported version may no longer be true.',
  },
  DRIFT_DUPLICATE: {
    severity: 'info',
    title: 'Duplicate inventory row',
    help: 'The same tenant, endpoint and product appear more than once; the row with the latest last_seen wins (the later row on a tie).',
  },
  DRIFT_MALFORMED_ROW: {
    severity: 'low',
    title: 'Inventory row could not be read',
    help: 'The row is malformed (bad quoting, missing tenant/endpoint/product/version, bad timestamp) and was skipped. With --strict it is an input error.',
  },
  DRIFT_DOWNGRADE: {
    severity: 'high',
    title: 'Agent version went down since the previous scan',
    help: 'The endpoint reported a newer version in the previous scan stored in the history database. Downgrades are a classic way to reintroduce a vulnerable build.',
  },
  DRIFT_NEW_ENDPOINT: {
    severity: 'info',
    title: 'Endpoint not present in the previous scan',
    help: 'First time this tenant/endpoint/product appears in the history database.',
  },
  DRIFT_VANISHED_ENDPOINT: {
    severity: 'info',
    title: 'Endpoint missing since the previous scan',
    help: 'The tenant/endpoint/product was in the previous scan but not in this one (decommissioned, or the agent stopped reporting). It is remembered for --remember-scans scans (default 5): if it comes back with a lower version that is a downgrade, not a new endpoint.',
  },
  DRIFT_TENANT_MISSING: {
    severity: 'medium',
    title: 'Tenant missing from the whole scan',
    help: 'A tenant that had agents in the previous scan has none in this one: its inventory export is missing or broken, or every agent was removed. Its endpoints are remembered (--remember-scans), so they are not reported as new when it returns.',
  },
  DRIFT_FUTURE_LAST_SEEN: {
    severity: 'medium',
    title: 'last_seen in the future',
    help: "The row's last_seen is later than the scan's clock allows (more than a day ahead, e.g. 2999): a broken clock or an edited inventory. Such a row never looks stale and wins every duplicate; check the source.",
  },
  DRIFT_FINDINGS_TRUNCATED: {
    severity: 'info',
    title: 'More findings of one kind than shown',
    help: 'Findings are capped per code (--max-findings); the rollups and the JSON `drift` section carry the full counts.',
  },
});
