/**
 * The peer for bench/drift.ts: DuckDB running the same classification as SQL over the same CSV
 * (dedup latest-wins per tenant/endpoint/product, version classes, revoked, vulnerable, hash
 * mismatch, stale, unapproved tools; rolled up per tenant × product). Product-name resolution
 * and the per-version policy verdicts are computed once in JS and loaded as small tables, as
 * rmm-verify also does them once per distinct name and version. Runs as its own process.
 */
import { DuckDBInstance } from '@duckdb/node-api';

import { ProductCatalog } from '../src/fleet/catalog.ts';
import { RmmToolMatcher, bundledRmmTools } from '../src/fleet/rmm-tools.ts';
import { defaults } from '../src/defaults.ts';
import { BENCH_NOW, PRODUCT_NAMES, VERSIONS, benchConfig, benchManifests } from './drift-data.ts';

const file = process.argv[2];
if (file === undefined) throw new Error('usage: drift-duckdb.ts <inventory.csv>');

const catalog = new ProductCatalog(benchManifests(), new RmmToolMatcher(bundledRmmTools()), 1000);
const products: string[] = [];
const verdicts: string[] = [];
const pinned: string[] = [];
const q = (s: string) => `'${s.replaceAll("'", "''")}'`;
for (const name of PRODUCT_NAMES) {
  const ref = catalog.resolve(name);
  if (ref === null) continue;
  products.push(`(${q(name.toLowerCase())}, ${q(ref.id)}, ${q(ref.kind)})`);
  if (ref.kind !== 'managed') continue;
  for (const version of VERSIONS) {
    const info = ref.info(version);
    verdicts.push(
      `(${q(ref.id)}, ${q(version)}, ${q(info.versionClass)}, ${info.revokedBy !== undefined}, ${info.advisories.length > 0})`,
    );
  }
  for (const release of ref.manifest.releases) {
    for (const artifact of release.artifacts)
      pinned.push(`(${q(ref.id)}, ${q(release.version)}, ${q(artifact.digests.sha256 ?? '')})`);
  }
}
const config = benchConfig();
const allow: string[] = [];
const toolIds = (names: readonly string[]) =>
  names.flatMap((n) =>
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

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
await connection.run(`CREATE TABLE products (name VARCHAR, product VARCHAR, kind VARCHAR); INSERT INTO products VALUES ${products.join(',')};
  CREATE TABLE verdicts (product VARCHAR, version VARCHAR, vclass VARCHAR, revoked BOOLEAN, vulnerable BOOLEAN); INSERT INTO verdicts VALUES ${verdicts.join(',')};
  CREATE TABLE pinned (product VARCHAR, version VARCHAR, sha256 VARCHAR); INSERT INTO pinned VALUES ${pinned.join(',')};
  CREATE TABLE allow (tenant VARCHAR, product VARCHAR); INSERT INTO allow VALUES ${allow.join(',')};`);
const sql = `
WITH inv AS (
  SELECT * FROM read_csv(${q(file)}, header = true, auto_detect = false,
    columns = {'tenant': 'VARCHAR', 'endpoint_id': 'VARCHAR', 'hostname': 'VARCHAR', 'product': 'VARCHAR',
               'version': 'VARCHAR', 'sha256': 'VARCHAR', 'platform': 'VARCHAR', 'last_seen': 'TIMESTAMPTZ'})
), resolved AS (
  SELECT inv.*, p.product AS pid, p.kind FROM inv JOIN products p ON p.name = lower(inv.product)
), latest AS (
  -- Latest row per endpoint and product: one GROUP BY with arg_max (no row numbering, no window).
  SELECT tenant, endpoint_id, pid, any_value(kind) AS kind, max(last_seen) AS last_seen,
    arg_max({'version': version, 'sha256': sha256}, last_seen) AS row
  FROM resolved GROUP BY tenant, endpoint_id, pid
), classified AS (
  SELECT latest.tenant, latest.pid, latest.kind, v.vclass, v.revoked, v.vulnerable,
    latest.row.sha256 IS NOT NULL AND latest.row.sha256 <> '' AND pn.sha256 IS NULL AS mismatch,
    latest.last_seen < TIMESTAMPTZ ${q(staleBefore)} AS stale,
    latest.kind = 'tool' AND NOT EXISTS (SELECT 1 FROM allow a WHERE a.product = latest.pid AND (a.tenant = latest.tenant OR a.tenant = '*')) AS unapproved
  FROM latest
  LEFT JOIN verdicts v ON v.product = latest.pid AND v.version = latest.row.version
  LEFT JOIN pinned pn ON pn.product = latest.pid AND pn.version = latest.row.version AND pn.sha256 = lower(latest.row.sha256)
), rollup AS (
  SELECT tenant, pid,
    count(*) FILTER (WHERE kind = 'managed') AS agents, count(*) FILTER (WHERE kind = 'tool') AS tools,
    count(*) FILTER (WHERE vclass = 'on-target') AS on_target, count(*) FILTER (WHERE vclass = 'behind') AS behind,
    count(*) FILTER (WHERE vclass = 'below-minimum') AS below_minimum, count(*) FILTER (WHERE vclass = 'ahead-of-target') AS ahead,
    count(*) FILTER (WHERE revoked) AS revoked, count(*) FILTER (WHERE vulnerable) AS vulnerable,
    count(*) FILTER (WHERE kind = 'managed' AND mismatch) AS hash_mismatch, count(*) FILTER (WHERE stale) AS stale,
    count(*) FILTER (WHERE unapproved) AS unapproved
  FROM classified GROUP BY tenant, pid
)
SELECT count(*) AS rollup_rows, sum(agents) AS agents, sum(tools) AS tools, sum(on_target) AS on_target, sum(behind) AS behind,
  sum(below_minimum) AS below_minimum, sum(ahead) AS ahead, sum(revoked) AS revoked, sum(vulnerable) AS vulnerable,
  sum(hash_mismatch) AS hash_mismatch, sum(stale) AS stale, sum(unapproved) AS unapproved FROM rollup`;
const cpu = process.cpuUsage();
const start = performance.now();
const reader = await connection.runAndReadAll(sql);
const ms = performance.now() - start;
const cpuMs = (process.cpuUsage(cpu).user + process.cpuUsage(cpu).system) / 1000;
const row = reader.getRowObjectsJson()[0] ?? {};
console.log(JSON.stringify({ ms, cpuMs, maxRssMb: process.resourceUsage().maxRSS / 1024, counts: row }));
connection.closeSync();
instance.closeSync();
