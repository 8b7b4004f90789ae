import type { DatabaseSync, StatementSync } from 'node:sqlite';

import { InputError, errorMessage } from '../errors.ts';
import { finding, type Finding } from '../findings.ts';
import { acquireLock, type HeldLock } from '../fs/lock-file.ts';
import { versionScheme, type VersionScheme } from '../versions/index.ts';
import type { HistoryStage, DriftResult } from './scan.ts';
import { truncate } from './row-normalise.ts';

/**
 * Scan history in an embedded SQLite database (node:sqlite).
 *
 * Tables: `scans` (one row per committed scan), `tenant_scans` (agents and on-target per tenant
 * per scan: the trend; on-target is the primary status, so it never exceeds agents),
 * `version_counts` (agents per product and version per scan: versions over time), and `endpoints`
 * (the latest state per tenant × endpoint × product with the scan it was last seen in; an
 * endpoint missing from a scan is kept for `rememberScans` scans, so that one that returns with
 * a lower version is a downgrade, not a new endpoint). Versions are stored normalised and
 * compared in their product's version scheme.
 *
 * One scan is one transaction: rows are staged into a temporary table (deduplicated by the
 * primary key, latest last_seen wins), compared with `endpoints`, and `endpoints` is replaced
 * only at COMMIT. A crash or error before COMMIT rolls everything back, leaving the previous
 * history as it was. Per-endpoint state lives on disk, not in memory, but costs a SQLite write
 * per row: history makes a 10-million-row scan several times slower (see README).
 *
 * One scan at a time: `open` takes `<history>.lock` (fs/lock-file.ts) for the whole scan, and a
 * second scan waits for it a bounded time, then fails naming the first (pid, host, start).
 * A database that is not a history (other tables, or another application id) is refused
 * before anything is written to it: no table is added and its journal mode is not changed.
 */
export interface HistoryDiff {
  readonly scanId: number;
  readonly previousScanId: number | null;
  readonly downgrades: number;
  readonly newEndpoints: number;
  /** Endpoints missing from the previous scan (within the remembered scans) seen again. */
  readonly returnedEndpoints: number;
  readonly vanishedEndpoints: number;
  /** Tenants with agents in the previous scan and none in this one. */
  readonly missingTenants: readonly string[];
  /** Per tenant, oldest scan first, the current scan last. */
  readonly trend: readonly TenantTrend[];
  /** Fleet-wide agents per product and version in each of the last scans, oldest first. */
  readonly versionsOverTime: readonly VersionPoint[];
  readonly scans: readonly { readonly scanId: number; readonly at: string }[];
}

export interface TenantTrend {
  readonly tenant: string;
  readonly points: readonly {
    readonly scanId: number;
    readonly agents: number;
    readonly onTarget: number;
    readonly percentOnTarget: number;
  }[];
  /** Change in percentage points since the previous scan the tenant appeared in; null when new. */
  readonly change: number | null;
}

export interface VersionPoint {
  readonly scanId: number;
  readonly product: string;
  readonly version: string;
  readonly count: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scans (
  id INTEGER PRIMARY KEY, at TEXT NOT NULL, rows INTEGER NOT NULL, agents INTEGER NOT NULL, on_target INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS tenant_scans (
  scan_id INTEGER NOT NULL REFERENCES scans(id), tenant TEXT NOT NULL, agents INTEGER NOT NULL, on_target INTEGER NOT NULL,
  PRIMARY KEY (scan_id, tenant)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS version_counts (
  scan_id INTEGER NOT NULL REFERENCES scans(id), product TEXT NOT NULL, version TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (scan_id, product, version)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS endpoints (
  tenant TEXT NOT NULL, endpoint TEXT NOT NULL, product TEXT NOT NULL, version TEXT NOT NULL, hostname TEXT NOT NULL,
  last_seen REAL NOT NULL, scan_id INTEGER NOT NULL, PRIMARY KEY (tenant, endpoint, product)) WITHOUT ROWID;
`;

/** `PRAGMA application_id` of a history database: 'RMMV'. */
export const HISTORY_APPLICATION_ID = 0x524d4d56;
const HISTORY_TABLES = new Set(['meta', 'scans', 'tenant_scans', 'version_counts', 'endpoints']);

export interface HistoryOpenOptions {
  /** How long to wait for another scan's lock, in milliseconds (default defaults.historyLockWaitSeconds). */
  readonly lockWaitMs: number;
  /** How the user changes the wait, for the busy message (e.g. `--lock-wait`). */
  readonly waitFlag?: string;
  /** Stops waiting for the lock at once when aborted (its reason is thrown). */
  readonly signal?: AbortSignal;
}

export interface HistoryOptions {
  readonly maxFindingsPerCode: number;
  readonly trendScans: number;
  /** Scans an endpoint is remembered for after it was last seen (at least 1). */
  readonly rememberScans: number;
  /** Version scheme per product id (default semver), for downgrades. */
  readonly schemes?: ReadonlyMap<string, VersionScheme>;
  /** Test hook: runs after all writes, just before COMMIT (throwing simulates a crash). */
  readonly beforeCommit?: () => void;
}

export class DriftHistory implements HistoryStage {
  readonly path: string;
  private readonly db: DatabaseSync;
  private insert: StatementSync | undefined;
  private open = false;
  /** The schemes of the scan being committed (read by the SQL function version_compare). */
  private schemes: ReadonlyMap<string, VersionScheme> = new Map();

  private lock: HeldLock | undefined;

  private constructor(path: string, db: DatabaseSync) {
    this.path = path;
    this.db = db;
    // version_compare(product, a, b): the product's scheme order of two stored (normalised)
    // versions; NULL when either is not a version of that scheme.
    db.function('version_compare', { deterministic: true }, (product: unknown, a: unknown, b: unknown) => {
      if (typeof product !== 'string' || typeof a !== 'string' || typeof b !== 'string') return null;
      const scheme = this.schemes.get(product) ?? versionScheme(undefined);
      const left = scheme.normalise(a);
      const right = scheme.normalise(b);
      return left === undefined || right === undefined ? null : scheme.compare(left, right);
    });
  }

  /**
   * Opens a history for one scan: refuses a database that is not a history, then takes its
   * lock (waiting up to `lockWaitMs` for a scan already running), then prepares it.
   */
  static async open(path: string, options: HistoryOpenOptions): Promise<DriftHistory> {
    checkIsHistory(path);
    const lock = await acquireLock(path, {
      waitMs: options.lockWaitMs,
      purpose: 'rmm-verify drift scan',
      what: 'history database',
      ...(options.waitFlag !== undefined ? { waitFlag: options.waitFlag } : {}),
      ...(options.signal !== undefined ? { signal: options.signal } : {}),
    });
    try {
      const history = DriftHistory.openFile(path);
      history.lock = lock;
      return history;
    } catch (error: unknown) {
      lock.release();
      throw error;
    }
  }

  /** Opens (or creates) a history without taking its lock (one process, e.g. tests). */
  static openFile(path: string): DriftHistory {
    checkIsHistory(path);
    let db: DatabaseSync;
    try {
      // Loaded on first use: importing the library or running drift without --history does not
      // load SQLite (on Node 22 that also prints an ExperimentalWarning).
      const sqlite = process.getBuiltinModule('node:sqlite');
      db = new sqlite.DatabaseSync(path);
      // The busy timeout first: switching to WAL takes a lock that another process may hold.
      db.exec('PRAGMA busy_timeout = 5000; PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
      db.exec(SCHEMA);
      db.exec(`PRAGMA application_id = ${HISTORY_APPLICATION_ID}`);
      const version = db.prepare(`SELECT value FROM meta WHERE key = 'schema'`).get() as
        { value: string } | undefined;
      if (version === undefined) db.exec(`INSERT INTO meta VALUES ('schema', '1')`);
      else if (version.value !== '1') {
        db.close();
        throw new InputError(
          'INPUT_UNSUPPORTED',
          `history database schema ${version.value} is not supported (expected 1)`,
          { file: path },
        );
      }
    } catch (error: unknown) {
      if (error instanceof InputError) throw error;
      throw new InputError('INPUT_UNREADABLE', `cannot open history database: ${errorMessage(error)}`, {
        file: path,
        cause: error,
      });
    }
    return new DriftHistory(path, db);
  }

  /** Starts the scan's transaction and the staging table. */
  begin(): void {
    try {
      this.db.exec('BEGIN IMMEDIATE');
    } catch (error: unknown) {
      // Held by a process that does not take our lock file (an sqlite3 shell, a backup tool).
      throw new InputError(
        'INPUT_BUSY',
        `history database is locked by another process (not an rmm-verify scan): ${errorMessage(error)}`,
        { file: this.path, cause: error },
      );
    }
    this.open = true;
    this.db.exec(`CREATE TEMP TABLE IF NOT EXISTS staged (
      tenant TEXT NOT NULL, endpoint TEXT NOT NULL, product TEXT NOT NULL, version TEXT NOT NULL, hostname TEXT NOT NULL,
      last_seen REAL NOT NULL, PRIMARY KEY (tenant, endpoint, product)) WITHOUT ROWID; DELETE FROM staged;`);
    this.insert = this.db.prepare(
      `INSERT INTO staged VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (tenant, endpoint, product) DO UPDATE SET
         version = excluded.version, hostname = excluded.hostname, last_seen = excluded.last_seen
       WHERE excluded.last_seen >= staged.last_seen`,
    );
  }

  stage(
    tenant: string,
    endpoint: string,
    product: string,
    version: string,
    hostname: string,
    lastSeen: number,
  ): void {
    (this.insert as StatementSync).run(
      tenant,
      endpoint,
      product,
      version,
      hostname,
      Number.isNaN(lastSeen) ? -1 : lastSeen,
    );
  }

  /** Compares with the previous scan, writes this one, and commits. */
  commit(result: DriftResult, options: HistoryOptions): { diff: HistoryDiff; findings: Finding[] } {
    const db = this.db;
    const cap = options.maxFindingsPerCode;
    this.schemes = options.schemes ?? new Map();
    const findings: Finding[] = [];
    const previous = db.prepare('SELECT max(id) AS id FROM scans').get() as { id: number | null };
    const previousScanId = previous.id;
    let downgrades = 0;
    let newEndpoints = 0;
    let returnedEndpoints = 0;
    let vanishedEndpoints = 0;
    const missingTenants: string[] = [];
    if (previousScanId !== null) {
      // Against every remembered endpoint: one back after missing scans is compared too.
      for (const row of db
        .prepare(
          `SELECT s.tenant, s.endpoint, s.product, s.version, s.hostname, e.version AS previous, e.scan_id AS lastSeenScanId
           FROM staged s JOIN endpoints e USING (tenant, endpoint, product)
           WHERE s.version <> e.version AND version_compare(s.product, s.version, e.version) < 0
           ORDER BY s.tenant, s.endpoint, s.product`,
        )
        .iterate() as Iterable<{
        tenant: string;
        endpoint: string;
        product: string;
        version: string;
        hostname: string;
        previous: string;
        lastSeenScanId: number;
      }>) {
        downgrades++;
        if (downgrades <= cap) {
          findings.push(
            finding('DRIFT_DOWNGRADE', {
              subject: `${row.tenant}/${row.endpoint}`,
              message: `${truncate(row.product)} on ${truncate(row.tenant)}/${truncate(row.endpoint)} went from ${truncate(row.previous)} to ${truncate(row.version)} since scan ${row.lastSeenScanId}${row.lastSeenScanId === previousScanId ? '' : ` (it was missing from the scans after it)`}`,
              evidence: { ...row, previousScanId },
            }),
          );
        }
      }
      const count = (sql: string, ...params: number[]): number =>
        (db.prepare(sql).get(...params) as { n: number }).n;
      newEndpoints = count(`SELECT count(*) AS n FROM staged s WHERE NOT EXISTS
        (SELECT 1 FROM endpoints e WHERE e.tenant = s.tenant AND e.endpoint = s.endpoint AND e.product = s.product)`);
      returnedEndpoints = count(
        `SELECT count(*) AS n FROM staged s JOIN endpoints e USING (tenant, endpoint, product) WHERE e.scan_id < ?`,
        previousScanId,
      );
      // Vanished: in the previous scan, not in this one (reported once, when it goes missing).
      vanishedEndpoints = count(
        `SELECT count(*) AS n FROM endpoints e WHERE e.scan_id = ? AND NOT EXISTS
          (SELECT 1 FROM staged s WHERE e.tenant = s.tenant AND e.endpoint = s.endpoint AND e.product = s.product)`,
        previousScanId,
      );
      const present = new Set(result.tenants.filter((t) => t.agents > 0).map((t) => t.tenant));
      for (const row of db
        .prepare('SELECT tenant, agents FROM tenant_scans WHERE scan_id = ? AND agents > 0 ORDER BY tenant')
        .all(previousScanId) as { tenant: string; agents: number }[]) {
        if (present.has(row.tenant)) continue;
        missingTenants.push(row.tenant);
        findings.push(
          finding('DRIFT_TENANT_MISSING', {
            subject: row.tenant,
            message: `tenant ${truncate(row.tenant)} had ${row.agents} agent(s) in scan ${previousScanId} and none in this scan: is its inventory missing?`,
            evidence: { tenant: row.tenant, previousAgents: row.agents, previousScanId },
          }),
        );
      }
      const sample = (
        sql: string,
        code: 'DRIFT_NEW_ENDPOINT' | 'DRIFT_VANISHED_ENDPOINT',
        verb: string,
        ...params: number[]
      ) => {
        for (const row of db.prepare(sql).all(...params, cap) as {
          tenant: string;
          endpoint: string;
          product: string;
          version: string;
        }[]) {
          findings.push(
            finding(code, {
              subject: `${row.tenant}/${row.endpoint}`,
              message: `${truncate(row.product)} ${truncate(row.version)} on ${truncate(row.tenant)}/${truncate(row.endpoint)} ${verb} since scan ${previousScanId}`,
              evidence: { ...row, previousScanId },
            }),
          );
        }
      };
      sample(
        `SELECT tenant, endpoint, product, version FROM staged s WHERE NOT EXISTS
          (SELECT 1 FROM endpoints e WHERE e.tenant = s.tenant AND e.endpoint = s.endpoint AND e.product = s.product)
         ORDER BY tenant, endpoint, product LIMIT ?`,
        'DRIFT_NEW_ENDPOINT',
        'is new',
      );
      sample(
        `SELECT tenant, endpoint, product, version FROM endpoints e WHERE e.scan_id = ? AND NOT EXISTS
          (SELECT 1 FROM staged s WHERE e.tenant = s.tenant AND e.endpoint = s.endpoint AND e.product = s.product)
         ORDER BY tenant, endpoint, product LIMIT ?`,
        'DRIFT_VANISHED_ENDPOINT',
        'has vanished',
        previousScanId,
      );
      for (const [code, total] of [
        ['DRIFT_DOWNGRADE', downgrades],
        ['DRIFT_NEW_ENDPOINT', newEndpoints],
        ['DRIFT_VANISHED_ENDPOINT', vanishedEndpoints],
      ] as const) {
        if (total > cap) {
          findings.push(
            finding('DRIFT_FINDINGS_TRUNCATED', {
              subject: code,
              message: `${total} ${code} finding(s); ${cap} listed`,
              evidence: { code, total, listed: cap },
            }),
          );
        }
      }
    }
    const fleet = result.fleet;
    const scan = db
      .prepare('INSERT INTO scans (at, rows, agents, on_target) VALUES (?, ?, ?, ?) RETURNING id')
      .get(result.generatedAt, fleet.rows, fleet.agents, fleet.onTarget) as { id: number };
    const scanId = scan.id;
    const tenantInsert = db.prepare('INSERT INTO tenant_scans VALUES (?, ?, ?, ?)');
    for (const t of result.tenants)
      if (t.agents > 0) tenantInsert.run(scanId, t.tenant, t.agents, t.onTarget);
    const versionInsert = db.prepare('INSERT INTO version_counts VALUES (?, ?, ?, ?)');
    for (const v of result.versions) versionInsert.run(scanId, v.product, v.version, v.count);
    db.prepare(
      `INSERT INTO endpoints SELECT tenant, endpoint, product, version, hostname, last_seen, ? FROM staged WHERE true
       ON CONFLICT (tenant, endpoint, product) DO UPDATE SET version = excluded.version,
         hostname = excluded.hostname, last_seen = excluded.last_seen, scan_id = excluded.scan_id`,
    ).run(scanId);
    // Forget endpoints not seen in the last rememberScans scans (this one included).
    db.prepare(
      `DELETE FROM endpoints WHERE scan_id < (SELECT min(id) FROM (SELECT id FROM scans ORDER BY id DESC LIMIT ?))`,
    ).run(Math.max(1, options.rememberScans));
    db.exec('DELETE FROM staged');
    options.beforeCommit?.();
    db.exec('COMMIT');
    this.open = false;

    const scans = (
      db.prepare('SELECT id AS scanId, at FROM scans ORDER BY id DESC LIMIT ?').all(options.trendScans) as {
        scanId: number;
        at: string;
      }[]
    ).reverse();
    const firstScan = scans[0]?.scanId ?? scanId;
    const trendRows = db
      .prepare(
        'SELECT scan_id AS scanId, tenant, agents, on_target AS onTarget FROM tenant_scans WHERE scan_id >= ? ORDER BY tenant, scan_id',
      )
      .all(firstScan) as { scanId: number; tenant: string; agents: number; onTarget: number }[];
    const byTenant = new Map<string, TenantTrend['points'][number][]>();
    for (const row of trendRows) {
      const points = byTenant.get(row.tenant) ?? [];
      points.push({
        scanId: row.scanId,
        agents: row.agents,
        onTarget: row.onTarget,
        percentOnTarget: pct(row.onTarget, row.agents),
      });
      byTenant.set(row.tenant, points);
    }
    const trend: TenantTrend[] = [...byTenant].map(([tenant, points]) => {
      const last = points.at(-1);
      const before = points.at(-2);
      const change =
        last !== undefined && before !== undefined && last.scanId === scanId
          ? Math.round((last.percentOnTarget - before.percentOnTarget) * 10) / 10
          : null;
      return { tenant, points, change };
    });
    const versionsOverTime = db
      .prepare(
        'SELECT scan_id AS scanId, product, version, count FROM version_counts WHERE scan_id >= ? ORDER BY scan_id, product, count DESC',
      )
      .all(firstScan) as unknown as VersionPoint[];
    return {
      diff: {
        scanId,
        previousScanId,
        downgrades,
        newEndpoints,
        returnedEndpoints,
        vanishedEndpoints,
        missingTenants,
        trend,
        versionsOverTime,
        scans,
      },
      findings,
    };
  }

  /** Abandons the scan: nothing staged reaches the history. */
  rollback(): void {
    if (this.open) {
      this.db.exec('ROLLBACK');
      this.open = false;
    }
  }

  close(): void {
    try {
      this.rollback();
      this.db.close();
    } finally {
      this.lock?.release();
      this.lock = undefined;
    }
  }
}

/**
 * Refuses a file that is an SQLite database but not a scan history (another application's id,
 * or tables of its own), reading only: nothing is created, migrated or switched to WAL in it.
 * A missing or empty file, or a database without tables, becomes a history.
 */
function checkIsHistory(path: string): void {
  const fs = process.getBuiltinModule('node:fs');
  let size: number;
  try {
    size = fs.statSync(path).size;
  } catch {
    return; // missing: created as a history (an unreadable path fails when it is opened)
  }
  if (size === 0) return;
  const sqlite = process.getBuiltinModule('node:sqlite');
  let db: DatabaseSync;
  try {
    db = new sqlite.DatabaseSync(path, { readOnly: true });
  } catch (error: unknown) {
    throw new InputError('INPUT_UNREADABLE', `cannot open history database: ${errorMessage(error)}`, {
      file: path,
      cause: error,
    });
  }
  let applicationId: number;
  let tables: string[];
  try {
    applicationId = (db.prepare('PRAGMA application_id').get() as { application_id: number }).application_id;
    tables = (
      db.prepare(`SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name`).all() as {
        name: string;
      }[]
    ).map((t) => t.name);
  } catch (error: unknown) {
    throw new InputError(
      'INPUT_INVALID',
      `cannot open history database: ${errorMessage(error)} (expected an rmm-verify scan history)`,
      { file: path, cause: error },
    );
  } finally {
    db.close();
  }
  const foreign = tables.filter((t) => !HISTORY_TABLES.has(t));
  if (applicationId !== 0 && applicationId !== HISTORY_APPLICATION_ID)
    throw new InputError(
      'INPUT_INVALID',
      `not an rmm-verify scan history: the database's application id is 0x${applicationId.toString(16)} (a history has 0x${HISTORY_APPLICATION_ID.toString(16)}); refusing to change it`,
      { file: path },
    );
  if (foreign.length > 0)
    throw new InputError(
      'INPUT_INVALID',
      `not an rmm-verify scan history: it has table(s) ${foreign.slice(0, 5).join(', ')}${foreign.length > 5 ? ', …' : ''} (a history has only ${[...HISTORY_TABLES].join(', ')}); refusing to change it`,
      { file: path },
    );
}

function pct(part: number, whole: number): number {
  return whole === 0 ? 100 : Math.round((part / whole) * 1000) / 10;
}
