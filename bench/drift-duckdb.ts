/**
 * The peer for bench/drift.ts: DuckDB running the same classification as SQL over the same CSV
 * (dedup latest-wins per tenant/endpoint/product; each agent's primary status by the scanner's
 * precedence (src/fleet/types.ts AGENT_STATUSES) and its overlapping classes: a sha256 that is
 * not a pinned artifact of that version for the agent's platform, revoked, vulnerable, below
 * the minimum, unreleased, behind, a platform the policy does not allow, ahead, unknown; stale;
 * unapproved tools; rolled up per tenant × product). Product-name resolution and the
 * per-version policy verdicts are computed once in JS and loaded as small tables, as rmm-verify
 * also does them once per distinct name and version. Runs as its own process.
 */
import { DuckDBInstance } from '@duckdb/node-api';

import { ProductCatalog } from '../src/fleet/catalog.ts';
import type { AllowItem } from '../src/fleet/config.ts';
import { RmmToolMatcher, bundledRmmTools } from '../src/fleet/rmm-tools.ts';
import { AGENT_STATUSES, DRIFT_CLASSES } from '../src/fleet/types.ts';
import { defaults } from '../src/defaults.ts';
import { BENCH_NOW, PRODUCT_NAMES, VERSIONS, benchConfig, benchManifests } from './drift-data.ts';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: drift-duckdb.ts <inventory.csv>');

const catalog = new ProductCatalog(benchManifests(), new RmmToolMatcher(bundledRmmTools()), 1000);
const products: string[] = [];
const verdicts: string[] = [];
const pinned: string[] = [];
const platforms: string[] = [];
const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
for (const name of PRODUCT_NAMES) {
  const ref = catalog.resolve(name);
  if (ref === null) continue;
  products.push(`(${q(name.toLowerCase())}, ${q(ref.id)}, ${q(ref.kind)})`);
  if (ref.kind !== 'managed') continue;
  for (const version of VERSIONS) {
    const info = ref.info(version);
    verdicts.push(
      `(${q(ref.id)}, ${q(version)}, ${q(info.normalised)}, ${q(info.versionClass)}, ${info.revokedBy !== undefined}, ${info.advisories.length > 0}, ${info.unreleased !== undefined})`,
    );
  }
  for (const release of ref.manifest.releases) {
    const version = ref.scheme.normalise(release.version) ?? release.version;
    for (const artifact of release.artifacts)
      pinned.push(
        `(${q(ref.id)}, ${q(version)}, ${q(artifact.digests.sha256?.toLowerCase() ?? '')}, ${q(artifact.platform.toLowerCase())})`,
      );
  }
  for (const platform of ref.platforms ?? []) platforms.push(`(${q(ref.id)}, ${q(platform)})`);
}
const config = benchConfig();
const allow: string[] = [];
const toolIds = (items: readonly AllowItem[]) =>
  items
    .map((item) => (typeof item === 'string' ? item : item.name))
    .flatMap((n) =>
      bundledRmmTools()
        .filter((t) => [t.id, t.name, ...t.aliases].some((x) => x.toLowerCase() === n.toLowerCase()))
        .map((t) => t.id),
    );
for (const id of toolIds(config.allow)) allow.push(`('*', ${q(id)})`);
for (const [tenant, entry] of Object.entries(config.tenants))
  for (const id of toolIds(entry.allow)) allow.push(`(${q(tenant)}, ${q(id)})`);
// DRIFT_NOW: the reference time of the scan it is compared with (bench/drift-process.ts runs the
// real command, which uses the clock).
const now = process.env['DRIFT_NOW'] ? new Date(process.env['DRIFT_NOW']) : BENCH_NOW;
const staleBefore = new Date(now.getTime() - defaults.staleDays * 86_400_000).toISOString();

const values = (rows: readonly string[], empty: string) => (rows.length > 0 ? rows.join(',') : empty);
const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run(`CREATE TABLE products (name VARCHAR, product VARCHAR, kind VARCHAR); INSERT INTO products VALUES ${products.join(',')};
  CREATE TABLE verdicts (product VARCHAR, version VARCHAR, normalised VARCHAR, vclass VARCHAR, revoked BOOLEAN, vulnerable BOOLEAN, unreleased BOOLEAN); INSERT INTO verdicts VALUES ${verdicts.join(',')};
  CREATE TABLE pinned (product VARCHAR, version VARCHAR, sha256 VARCHAR, platform VARCHAR); INSERT INTO pinned VALUES ${pinned.join(',')};
  CREATE TABLE platforms (product VARCHAR, platform VARCHAR); INSERT INTO platforms VALUES ${values(platforms, "('', '')")};
  CREATE TABLE allow (tenant VARCHAR, product VARCHAR); INSERT INTO allow VALUES ${allow.join(',')};`);
// A row's platform names an artifact's or the policy's platform exactly or as its family
// (`windows` for `windows-x64`), case-insensitively (src/fleet/managed-product.ts).
const platformMatches = (column: string) =>
  `(${column} = latest.platform OR starts_with(${column}, latest.platform || '-'))`;
// The primary status: the first class in the scanner's precedence.
const primary = `CASE
    WHEN mismatch THEN 'hash-mismatch' WHEN revoked THEN 'revoked' WHEN vulnerable THEN 'vulnerable'
    WHEN vclass = 'below-minimum' THEN 'below-minimum' WHEN unreleased THEN 'unreleased-version'
    WHEN vclass = 'behind' THEN 'behind' WHEN platform_not_allowed THEN 'platform-not-allowed'
    WHEN vclass = 'ahead-of-target' THEN 'ahead-of-target' WHEN vclass = 'on-target' THEN 'on-target'
    ELSE 'unknown-version' END`;
const classTest: Record<(typeof DRIFT_CLASSES)[number], string> = {
  'hash-mismatch': 'mismatch',
  revoked: 'revoked',
  // The bench inventory names no instance.
  'unlisted-instance': 'false',
  vulnerable: 'vulnerable',
  'below-minimum': "vclass = 'below-minimum'",
  'unreleased-version': 'unreleased',
  behind: "vclass = 'behind'",
  'platform-not-allowed': 'platform_not_allowed',
  'ahead-of-target': "vclass = 'ahead-of-target'",
  'unknown-version': "vclass = 'unknown-version'",
  'on-target': "vclass = 'on-target'",
  'unapproved-tool': 'unapproved',
  stale: 'stale',
};
const column = (prefix: string, name: string) => `${prefix}_${name.replaceAll('-', '_')}`;
const rollupCounts = [
  ...AGENT_STATUSES.map((s) => `count(*) FILTER (WHERE status = ${q(s)}) AS ${column('status', s)}`),
  ...DRIFT_CLASSES.map((c) => `count(*) FILTER (WHERE ${classTest[c]}) AS ${column('class', c)}`),
];
const sums = [
  ...AGENT_STATUSES.map((s) => column('status', s)),
  ...DRIFT_CLASSES.map((c) => column('class', c)),
]
  .map((c) => `sum(${c}) AS ${c}`)
  .join(', ');
const sql = `
WITH inv AS (
  SELECT * FROM read_csv(${q(file)}, header = true, auto_detect = false,
    columns = {'tenant': 'VARCHAR', 'endpoint_id': 'VARCHAR', 'hostname': 'VARCHAR', 'product': 'VARCHAR',
               'version': 'VARCHAR', 'sha256': 'VARCHAR', 'platform': 'VARCHAR', 'last_seen': 'TIMESTAMPTZ'})
), resolved AS (
  SELECT inv.*, p.product AS pid, p.kind FROM inv JOIN products p ON p.name = lower(inv.product)
), latest_rows AS (
  -- Latest row per endpoint and product: one GROUP BY with arg_max (no row numbering, no window).
  SELECT tenant, endpoint_id, pid, any_value(kind) AS kind, max(last_seen) AS last_seen,
    arg_max({'version': version, 'sha256': sha256, 'platform': platform}, last_seen) AS row
  FROM resolved GROUP BY tenant, endpoint_id, pid
), latest AS (
  SELECT tenant, pid, kind, last_seen, row.version AS version, lower(coalesce(row.sha256, '')) AS sha256,
    lower(trim(coalesce(row.platform, ''))) AS platform, coalesce(row.platform, '') = '' AS no_platform
  FROM latest_rows
), classified AS (
  SELECT latest.tenant, latest.pid, latest.kind,
    CASE WHEN latest.kind = 'managed' THEN coalesce(v.vclass, 'unknown-version') END AS vclass, coalesce(v.revoked, false) AS revoked,
    coalesce(v.vulnerable, false) AS vulnerable, coalesce(v.unreleased, false) AS unreleased,
    latest.kind = 'managed' AND latest.sha256 <> '' AND NOT EXISTS (
      SELECT 1 FROM pinned pn WHERE pn.product = latest.pid AND pn.version = v.normalised
        AND pn.sha256 = latest.sha256 AND (latest.no_platform OR ${platformMatches('pn.platform')})) AS mismatch,
    latest.kind = 'managed' AND NOT latest.no_platform
      AND EXISTS (SELECT 1 FROM platforms pl WHERE pl.product = latest.pid)
      AND NOT EXISTS (SELECT 1 FROM platforms pl WHERE pl.product = latest.pid AND ${platformMatches('pl.platform')})
      AS platform_not_allowed,
    latest.last_seen < TIMESTAMPTZ ${q(staleBefore)} AS stale,
    latest.kind = 'tool' AND NOT EXISTS (SELECT 1 FROM allow a WHERE a.product = latest.pid AND (a.tenant = latest.tenant OR a.tenant = '*')) AS unapproved
  FROM latest
  LEFT JOIN verdicts v ON v.product = latest.pid AND v.version = latest.version
), statused AS (
  SELECT classified.*, CASE WHEN kind = 'managed' THEN ${primary} END AS status FROM classified
), rollup AS (
  SELECT tenant, pid,
    count(*) FILTER (WHERE kind = 'managed') AS agents, count(*) FILTER (WHERE kind = 'tool') AS tools,
    count(*) FILTER (WHERE kind = 'tool' AND unapproved) AS unapproved,
    count(*) FILTER (WHERE stale) AS stale,
    ${rollupCounts.join(',\n    ')}
  FROM statused GROUP BY tenant, pid
)
SELECT count(*) AS rollup_rows, sum(agents) AS agents, sum(tools) AS tools, sum(status_on_target) AS on_target,
  sum(stale) AS stale, sum(unapproved) AS unapproved, ${sums} FROM rollup`;
const cpu = process.cpuUsage();
const start = performance.now();
const reader = await connection.runAndReadAll(sql);
const ms = performance.now() - start;
const cpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
const row = reader.getRowObjectsJson()[0] ?? {};
console.log(JSON.stringify({ ms, cpuMs, maxRssMb: process.resourceUsage().maxRSS / 1024, counts: row }));
connection.closeSync();
instance.closeSync();
