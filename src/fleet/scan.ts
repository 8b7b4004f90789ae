import { InterruptedError } from '../errors.ts';
import { FINDING_CODES, finding, type Finding, type FindingCode } from '../findings.ts';
import type { Severity } from '../finding-codes.ts';
import type { Allowlist } from './config.ts';
import type { ManagedProduct, ProductCatalog, ProductRef, VersionInfo } from './catalog.ts';
import { Deduplicator, keyFingerprint, stringHash } from './dedup.ts';
import type { InputSummary, InventorySink } from './inventory.ts';
import { escapeInstance, isPrintableAscii, normaliseInstance, resemblance } from './instance-id.ts';
import { ownString } from './own-string.ts';
import {
  AGENT_STATUSES,
  DRIFT_CLASSES,
  driftClassRank,
  type AgentStatus,
  type DriftClass,
  type InventoryRow,
} from './types.ts';
import { truncate } from './row-normalise.ts';

/** Per-row history staging (the SQLite store implements it); optional. */
export interface HistoryStage {
  stage(
    tenant: string,
    endpoint: string,
    product: string,
    version: string,
    hostname: string,
    lastSeen: number,
  ): void;
}

export interface DriftScanOptions {
  readonly now: Date;
  /** Endpoints whose last_seen is older than this many days are stale. */
  readonly staleDays: number;
  /** A last_seen more than this many hours after `now` is a DRIFT_FUTURE_LAST_SEEN finding (default 24). */
  readonly futureLastSeenHours?: number;
  readonly maxFindingsPerCode: number;
  readonly dedupMemoryKeys: number;
  readonly dedupSpillPartitions: number;
  readonly history?: HistoryStage;
  /** Called every `progressEvery` rows with the rows read so far (for a TTY progress line). */
  readonly onProgress?: (rows: number) => void;
  readonly progressEvery?: number;
  /** Stops the scan at the next row (its reason, an InterruptedError, is thrown). */
  readonly signal?: AbortSignal;
}

export const CLASS_CODE: Readonly<Record<DriftClass, FindingCode | undefined>> = {
  'hash-mismatch': 'DRIFT_HASH_MISMATCH',
  revoked: 'DRIFT_REVOKED',
  'unlisted-instance': 'DRIFT_UNLISTED_INSTANCE',
  vulnerable: 'DRIFT_VULNERABLE',
  'below-minimum': 'DRIFT_BELOW_MINIMUM',
  'unreleased-version': 'DRIFT_UNRELEASED_VERSION',
  behind: 'DRIFT_BEHIND',
  'platform-not-allowed': 'DRIFT_PLATFORM_NOT_ALLOWED',
  'ahead-of-target': 'DRIFT_AHEAD_OF_TARGET',
  'unknown-version': 'DRIFT_UNKNOWN_VERSION',
  'on-target': undefined,
  'unapproved-tool': 'DRIFT_UNAPPROVED_TOOL',
  stale: 'DRIFT_STALE',
};

/** Severity of a class's finding code; null for on-target. */
export function codeSeverity(driftClass: DriftClass): Severity | null {
  const code = CLASS_CODE[driftClass];
  return code === undefined ? null : FINDING_CODES[code].severity;
}

/** Bits of the agent statuses: the lowest set bit of a managed cell's mask is its primary status. */
const STATUS_BITS = (1 << AGENT_STATUSES.length) - 1;

const BIT: Readonly<Record<DriftClass, number>> = Object.fromEntries(
  DRIFT_CLASSES.map((c, i) => [c, 1 << i]),
) as Record<DriftClass, number>;

export interface TenantRollup {
  readonly tenant: string;
  /** Managed agents (tenant × endpoint × product rows after deduplication). */
  readonly agents: number;
  /** Agents whose primary status is on-target. */
  readonly onTarget: number;
  readonly percentOnTarget: number;
  /** Agents per primary status: adds up to `agents`. */
  readonly status: Readonly<Partial<Record<AgentStatus, number>>>;
  /** Agents (and tools) with each class, primary or secondary: these overlap. */
  readonly classes: Readonly<Partial<Record<DriftClass, number>>>;
  /** Installs of known RMM tools without a manifest (approved or not). */
  readonly tools: number;
  readonly unapprovedTools: number;
  /** Installs of allowed tools at an instance the allowlist does not list (beside unapprovedTools). */
  readonly unlistedInstances: number;
  /** Agents not seen within the stale window (freshness, beside the status). */
  readonly stale: number;
  /** The worst primary status other than on-target (or unapproved-tool), or null. */
  readonly worst: DriftClass | null;
  /** The highest severity among the tenant's classes (an advisory's own for vulnerable), or null. */
  readonly severity: Severity | null;
}

/**
 * Agents of one tenant and product with one primary status (or the tenant's unapproved
 * installs of one tool: class `unapproved-tool`), and how many of them are stale.
 */
export interface RollupRow {
  readonly tenant: string;
  readonly product: string;
  readonly class: DriftClass;
  readonly count: number;
  /** Of `count`, how many are stale. */
  readonly stale: number;
  /** The class's severity; for vulnerable the worst advisory's; null for on-target. */
  readonly severity: Severity | null;
}

export interface VersionCount {
  readonly product: string;
  readonly version: string;
  readonly versionClass: DriftClass;
  readonly count: number;
}

/** Everything a drift scan found; the JSON report's `drift` section. */
export interface DriftResult {
  readonly generatedAt: string;
  readonly staleDays: number;
  readonly staleBefore: string;
  readonly inputs: readonly InputSummary[];
  readonly fleet: {
    readonly rows: number;
    readonly malformedRows: number;
    readonly duplicateRows: number;
    /** Rows for products with no manifest that are not known RMM tools (not judged). */
    readonly otherRows: number;
    readonly tenants: number;
    /** Managed agents after deduplication; the sum of `status`. */
    readonly agents: number;
    /** Agents whose primary status is on-target. */
    readonly onTarget: number;
    readonly percentOnTarget: number;
    /** Agents per primary status (precedence in types.ts): adds up to `agents`. */
    readonly status: Readonly<Record<AgentStatus, number>>;
    /** Agents (and tools) with each class, primary or secondary (what the findings count): overlapping. */
    readonly classes: Readonly<Record<DriftClass, number>>;
    readonly tools: number;
    readonly unapprovedTools: number;
    /** Installs of allowed tools at an unlisted instance (primary unlisted-instance; not agents). */
    readonly unlistedInstances: number;
    /** Agents not seen within the stale window (freshness, beside the status). */
    readonly stale: number;
    /** Severity of each class with agents in it (an advisory's own for vulnerable). */
    readonly severities: Readonly<Partial<Record<DriftClass, Severity>>>;
  };
  readonly tenants: readonly TenantRollup[];
  readonly rollups: readonly RollupRow[];
  readonly versions: readonly VersionCount[];
  /** Total findings per code before the per-code cap. */
  readonly findingTotals: Readonly<Partial<Record<FindingCode, number>>>;
}

/** Gives the whole row of the row being counted; only called when it is needed. */
export interface RowSource {
  row(): InventoryRow;
}

class DirectRow implements RowSource {
  current: InventoryRow | undefined;

  row(): InventoryRow {
    if (this.current === undefined) throw new Error('no current row');
    return this.current;
  }
}

interface TenantState {
  readonly name: string;
  readonly index: number;
}

const SHA_ABSENT = 0;
const SHA_MATCH = 1;
const SHA_MISMATCH = 2;
const FLAG_STALE = 4;
const FLAG_PLATFORM = 8;
/** For tools: the flag bits mean allowed(1) and stale(4). */
const FLAG_ALLOWED = 1;
/** Metadata slots of a group's line in `cells`: offsets whose sha256 bits are 3 (unused). */
const META_TENANT = 3; // tenant index
const META_PRODUCT = 7; // product key
const META_MASK = 11; // class bits of the group's version
const META_VERSION = 15; // version index << 1 | FLAG_ALLOWED (a tool the tenant may run)

/**
 * The classifier. Rows stream in through `row()`; each is resolved to a product, classified
 * once per distinct (tenant, product, version) group and counted in one of its 16 cells (sha256
 * state, stale, platform flags): cell id = group × 16 + flags. Memory grows with the number of
 * groups (about 100 bytes each), not rows; per-endpoint state exists
 * only in the deduplicator (bounded, spills to disk) and the optional history store (SQLite).
 */
export class DriftScanner implements InventorySink {
  private readonly catalog: ProductCatalog;
  private readonly allowlist: Allowlist;
  private readonly options: DriftScanOptions;
  private readonly staleBefore: number;
  private readonly futureAfter: number;
  private readonly tenants = new Map<string, TenantState>();
  private readonly dedup: Deduplicator;
  private readonly hash = new Int32Array(2);

  // Groups, as parallel arrays; counts per cell (group × 16 + flags) in a growable typed array.
  private readonly groupTenant: TenantState[] = [];
  private readonly groupProduct: ProductRef[] = [];
  private readonly groupVersion: string[] = [];
  /** Per group: the normalised instance its rows name ('' for none). */
  private readonly groupInstance: string[] = [];
  /**
   * Per group: a small number per distinct instance (0 for none), mixed into the dedup key so
   * that two instances of one product on an endpoint are two agents (a stranger's instance
   * must not hide behind ours as a duplicate). Only read once any row names an instance.
   */
  private groupInstanceNumber = new Int32Array(1024);
  private readonly instanceNumbers = new Map<string, number>();
  /**
   * Per group, 16 int32 (one 64-byte cache line): the counts of its cells, indexed by flags,
   * and in the four slots no flags value uses (sha256 state 3) the group's hot metadata, so
   * that counting a row touches one line of memory however many groups there are.
   */
  private cells = new Int32Array(16 * 1024);
  /** Policy verdicts per product key and version index (managed products). */
  private readonly versionInfos: VersionInfo[][] = [];
  /** (tenant index, product key, version index, group id + 1) per slot. */
  private groupTable = new Int32Array(4 * 4096);
  /** Per product key: version string → small index. */
  private readonly versionIndexes: (Map<string, number> | undefined)[] = [];
  /** The row source of `row()`: the row itself. */
  private readonly direct = new DirectRow();

  private rows = 0;
  private malformedRows = 0;
  private duplicateRows = 0;
  private otherRows = 0;
  private readonly inputs: InputSummary[] = [];
  private readonly samples = new Map<FindingCode, Finding[]>();
  private readonly totals = new Map<FindingCode, number>();
  /** Class bits that still want sample findings. */
  private wanted = 0;
  /** Dedup key (`hi:lo`) of each sample finding per class code, and how many samples each key has. */
  private readonly sampleKeys = new Map<FindingCode, string[]>();
  private readonly sampledKeys = new Map<string, number>();
  private readonly progressEvery: number;
  /** Set by the deduplicator when the row being added duplicates one held in memory. */
  private duplicateSeen = false;
  /** Set by the deduplicator when the row that lost a duplicate had a future last_seen. */
  private futureLost = false;
  /** Dedup key (`hi:lo`) of each listed DRIFT_FUTURE_LAST_SEEN sample. */
  private readonly futureSampleKeys: string[] = [];
  /** Set when `options.signal` aborts: the next row throws (one field read per row). */
  private stopped = false;
  /** Set once a row names an instance: the dedup key then includes the group's instance. */
  private hasInstances = false;

  constructor(catalog: ProductCatalog, allowlist: Allowlist, options: DriftScanOptions) {
    this.catalog = catalog;
    this.allowlist = allowlist;
    this.options = options;
    this.staleBefore = options.now.getTime() - options.staleDays * 86_400_000;
    this.futureAfter = options.now.getTime() + (options.futureLastSeenHours ?? 24) * 3_600_000;
    this.progressEvery = options.progressEvery ?? 1_000_000;
    const signal = options.signal;
    if (signal !== undefined) {
      if (signal.aborted) this.stopped = true;
      else
        signal.addEventListener(
          'abort',
          () => {
            this.stopped = true;
          },
          { once: true },
        );
    }
    for (const c of DRIFT_CLASSES) if (CLASS_CODE[c] !== undefined) this.wanted |= BIT[c];
    this.dedup = new Deduplicator(
      { memoryKeys: options.dedupMemoryKeys, partitions: options.dedupSpillPartitions },
      {
        uncount: (cell, lastSeen) => {
          this.cells[cell] = (this.cells[cell] as number) - 1;
          // The losing row's DRIFT_FUTURE_LAST_SEEN (made when it counted) no longer describes
          // the endpoint: withdrawn from the total here, and its sample in countRow.
          if (lastSeen > this.futureAfter) {
            const left = (this.totals.get('DRIFT_FUTURE_LAST_SEEN') ?? 1) - 1;
            if (left > 0) this.totals.set('DRIFT_FUTURE_LAST_SEEN', left);
            else this.totals.delete('DRIFT_FUTURE_LAST_SEEN');
            this.futureLost = true;
          }
        },
        duplicate: (inMemory) => {
          this.duplicateRows++;
          if (inMemory) this.duplicateSeen = true;
          else this.bump('DRIFT_DUPLICATE');
        },
      },
    );
  }

  addInput(summary: InputSummary): void {
    this.inputs.push(summary);
  }

  malformed(file: string, line: number, text: string): void {
    this.malformedRows++;
    const reason = ownString(text);
    this.sample('DRIFT_MALFORMED_ROW', () =>
      finding('DRIFT_MALFORMED_ROW', {
        subject: `${file}:${line}`,
        message: `${file}:${line}: ${reason}; row skipped`,
        evidence: { file, line, reason },
        location: { file, line },
      }),
    );
  }

  row(row: InventoryRow, file: string, line: number): void {
    const group = this.groupFor(row.tenant, row.product, row.version, row.instance);
    if (group === -1) {
      this.countOther();
      return;
    }
    stringHash(row.endpoint, 0, row.endpoint.length, this.hash);
    this.direct.current = row;
    this.countRow(
      group,
      this.rowFlags(group, row.sha256, row.platform),
      this.hash[0] as number,
      this.hash[1] as number,
      row.lastSeen,
      this.direct,
      file,
      line,
    );
  }

  /**
   * The group of a row's tenant, product name, version and instance (made on first sight), or
   * -1 when the product is neither managed nor a known tool (not ours to judge). The instance is
   * the row's `instance` column, else the one its product name carries (instance-id.ts).
   */
  groupFor(tenantName: string, productName: string, version: string, instanceColumn = ''): number {
    const product = this.catalog.resolve(productName);
    if (product === null) return -1;
    let tenant = this.tenants.get(tenantName);
    if (tenant === undefined) {
      tenant = { name: ownString(tenantName), index: this.tenants.size };
      this.tenants.set(tenant.name, tenant);
    }
    const instance = this.instanceOf(productName, instanceColumn);
    const managedVersion = product.kind === 'managed' ? version : '';
    // Tools have no version: their groups are per instance. Managed: per version and instance.
    const key =
      product.kind === 'tool' ? instance : instance === '' ? version : `${version}\u0000${instance}`;
    return this.groupOf(tenant, product, managedVersion, instance, this.versionIndexOf(product, key));
  }

  /** The normalised instance of a row: its instance column, else the id its product name carries. */
  instanceOf(productName: string, instanceColumn: string): string {
    const column = instanceColumn === '' ? '' : normaliseInstance(instanceColumn);
    return column !== '' ? column : normaliseInstance(this.catalog.instanceOf(productName));
  }

  /**
   * The sha256 and platform flags of a row in a managed product's group (0 for tools): sha256
   * '' when the row reports none.
   */
  rowFlags(group: number, sha256: string, platform: string): number {
    const at = group * 16;
    const product = this.catalog.products[this.cells[at + META_PRODUCT] as number] as ProductRef;
    if (product.kind !== 'managed') return 0;
    const info = (this.versionInfos[product.key] as VersionInfo[])[
      (this.cells[at + META_VERSION] as number) >> 1
    ] as VersionInfo;
    return (
      (sha256 === '' ? SHA_ABSENT : info.isPinned(sha256, platform) ? SHA_MATCH : SHA_MISMATCH) |
      (product.platforms === undefined || product.platformAllowed(platform) ? 0 : FLAG_PLATFORM)
    );
  }

  /** The managed product or known tool an inventory product name stands for, or null. */
  resolveProduct(name: string): ProductRef | null {
    return this.catalog.resolve(name);
  }

  /** Counts a row whose product is neither managed nor a known tool (not judged). */
  countOther(): void {
    if (this.stopped) this.stop();
    this.rows++;
    if (this.rows % this.progressEvery === 0) this.options.onProgress?.(this.rows);
    this.otherRows++;
  }

  /**
   * Counts one row of a group. `flags` are its `rowFlags`; (endpointHash1, endpointHash2) is
   * `stringHash(endpoint)`; `source` gives the whole row, only when a finding or the history
   * needs it.
   */
  countRow(
    group: number,
    flags: number,
    endpointHash1: number,
    endpointHash2: number,
    lastSeen: number,
    source: RowSource,
    file: string,
    line: number,
  ): void {
    if (this.stopped) this.stop();
    this.rows++;
    if (this.rows % this.progressEvery === 0) this.options.onProgress?.(this.rows);
    if (lastSeen < this.staleBefore) flags |= FLAG_STALE;
    const at = group * 16;
    const cells = this.cells;
    flags |= (cells[at + META_VERSION] as number) & FLAG_ALLOWED;
    const productKey = cells[at + META_PRODUCT] as number;
    const product = this.catalog.products[productKey] as ProductRef;
    const cell = at + flags;
    keyFingerprint(
      endpointHash1,
      endpointHash2,
      cells[at + META_TENANT] as number,
      this.hasInstances ? productKey + (this.groupInstanceNumber[group] as number) * 0x10000 : productKey,
      this.hash,
    );
    const hi = this.hash[0] as number;
    const lo = this.hash[1] as number;
    const counted = this.dedup.add(hi, lo, cell, lastSeen);
    if (counted) cells[cell] = (cells[cell] as number) + 1;
    if (this.duplicateSeen) {
      this.duplicateSeen = false;
      this.duplicateFinding(source.row(), file, line);
      // The earlier row lost: its sample findings no longer describe the endpoint.
      const key = `${hi}:${lo}`;
      if (counted && this.sampledKeys.has(key)) this.dropSamples(key);
      if (this.futureLost) this.dropFutureSample(key);
    }
    this.futureLost = false;
    if (!counted) return;
    // Only a row that counts says something about the endpoint (a losing duplicate does not).
    if (lastSeen > this.futureAfter) this.futureFinding(source.row(), file, line, `${hi}:${lo}`);
    const mask = cellMask(product, cells[at + META_MASK] as number, flags);
    if ((mask & this.wanted) !== 0)
      this.sampleRow(source.row(), file, line, product, mask, `${hi}:${lo}`, group);
    if (this.options.history !== undefined && product.kind === 'managed') {
      const row = source.row();
      const normalised = product.info(row.version).normalised;
      this.options.history.stage(
        row.tenant,
        row.endpoint,
        // A stranger's instance keeps its own history: its versions are not our agent's.
        (mask & BIT['unlisted-instance']) === 0
          ? product.id
          : `${product.id}@${this.groupInstance[group] as string}`,
        normalised === '' ? row.version : normalised,
        row.hostname,
        row.lastSeen,
      );
    }
  }

  /** Throws the abort reason of `options.signal`. */
  private stop(): never {
    const reason: unknown = this.options.signal?.reason;
    throw reason instanceof Error ? reason : new InterruptedError('SIGINT', 'the scan was stopped');
  }

  /** Small per-product index of a version string (one Map lookup per row). */
  private versionIndexOf(product: ProductRef, version: string): number {
    let versions = this.versionIndexes[product.key];
    if (versions === undefined) {
      versions = new Map();
      this.versionIndexes[product.key] = versions;
    }
    let versionIndex = versions.get(version);
    if (versionIndex === undefined) {
      versionIndex = versions.size;
      versions.set(ownString(version), versionIndex);
    }
    return versionIndex;
  }

  /**
   * Group id of (tenant, product, version). One probe into an integer hash table keyed by
   * (tenant index, product key, version index) — nested Maps per tenant cost a cache miss each.
   */
  private groupOf(
    tenant: TenantState,
    product: ProductRef,
    version: string,
    instance: string,
    versionIndex: number,
  ): number {
    const t = tenant.index;
    const p = product.key;
    let table = this.groupTable;
    let mask = table.length / 4 - 1;
    let slot =
      (Math.imul(t, 0x9e3779b1) ^ Math.imul(p + 1, 0x85ebca6b) ^ Math.imul(versionIndex + 1, 0xc2b2ae35)) &
      mask;
    for (;;) {
      const at = slot * 4;
      const id = table[at + 3] as number;
      if (id === 0) break;
      if (table[at] === t && table[at + 1] === p && table[at + 2] === versionIndex) return id - 1;
      slot = (slot + 1) & mask;
    }
    const id = this.groupVersion.length;
    this.groupTenant.push(tenant);
    this.groupProduct.push(product);
    this.groupVersion.push(ownString(version));
    this.groupInstance.push(instance === '' ? '' : ownString(instance));
    if (instance !== '') {
      let number = this.instanceNumbers.get(instance);
      if (number === undefined) {
        number = this.instanceNumbers.size + 1;
        this.instanceNumbers.set(this.groupInstance[id] as string, number);
      }
      if (id >= this.groupInstanceNumber.length) {
        const grown = new Int32Array(Math.max(id + 1, this.groupInstanceNumber.length * 2));
        grown.set(this.groupInstanceNumber);
        this.groupInstanceNumber = grown;
      }
      this.groupInstanceNumber[id] = number;
      this.hasInstances = true;
    }
    if ((id + 1) * 16 > this.cells.length) {
      const grown = new Int32Array(this.cells.length * 2);
      grown.set(this.cells);
      this.cells = grown;
    }
    let classBits = 0;
    let allowed = 0;
    if (product.kind === 'managed') {
      const info = product.info(version);
      (this.versionInfos[product.key] ??= [])[versionIndex] = info;
      classBits = versionMask(info);
    } else if (this.allowlist.allows(tenant.name, product.tool)) allowed = FLAG_ALLOWED;
    // An instance of a managed product or an allowed tool must be listed (an unapproved tool
    // is unapproved whatever its instance).
    if (
      instance !== '' &&
      (product.kind === 'managed' || allowed !== 0) &&
      !this.allowlist.instance(tenant.name, productNames(product), instance).listed
    )
      classBits |= BIT['unlisted-instance'];
    const meta = id * 16;
    this.cells[meta + META_TENANT] = tenant.index;
    this.cells[meta + META_PRODUCT] = product.key;
    this.cells[meta + META_MASK] = classBits;
    this.cells[meta + META_VERSION] = (versionIndex << 1) | allowed;
    if ((id + 1) * 2 > mask + 1) {
      // Keep the load at most one half: rebuild at twice the size.
      const old = table;
      table = this.groupTable = new Int32Array(old.length * 2);
      mask = table.length / 4 - 1;
      for (let at = 0; at < old.length; at += 4) {
        if (old[at + 3] === 0) continue;
        let s =
          (Math.imul(old[at] as number, 0x9e3779b1) ^
            Math.imul((old[at + 1] as number) + 1, 0x85ebca6b) ^
            Math.imul((old[at + 2] as number) + 1, 0xc2b2ae35)) &
          mask;
        while (table[s * 4 + 3] !== 0) s = (s + 1) & mask;
        table.set(old.subarray(at, at + 4), s * 4);
      }
      slot =
        (Math.imul(t, 0x9e3779b1) ^ Math.imul(p + 1, 0x85ebca6b) ^ Math.imul(versionIndex + 1, 0xc2b2ae35)) &
        mask;
      while (table[slot * 4 + 3] !== 0) slot = (slot + 1) & mask;
    }
    const at = slot * 4;
    table[at] = t;
    table[at + 1] = p;
    table[at + 2] = versionIndex;
    table[at + 3] = id + 1;
    return id;
  }

  private sample(code: FindingCode, make: () => Finding): void {
    const list = this.samples.get(code) ?? [];
    if (list.length < this.options.maxFindingsPerCode) {
      list.push(make());
      this.samples.set(code, list);
    }
    this.bump(code);
  }

  private bump(code: FindingCode): void {
    this.totals.set(code, (this.totals.get(code) ?? 0) + 1);
  }

  private sampleRow(
    row: InventoryRow,
    file: string,
    line: number,
    product: ProductRef,
    mask: number,
    key: string,
    group: number,
  ): void {
    for (const driftClass of DRIFT_CLASSES) {
      if ((mask & this.wanted & BIT[driftClass]) === 0) continue;
      const code = CLASS_CODE[driftClass];
      if (code === undefined) continue;
      const list = this.samples.get(code) ?? [];
      list.push(
        driftClass === 'unlisted-instance'
          ? this.instanceFinding(row, file, line, product, mask, group)
          : rowFinding(code, driftClass, row, file, line, product, mask, this.options.now.getTime()),
      );
      this.samples.set(code, list);
      const keys = this.sampleKeys.get(code) ?? [];
      keys.push(key);
      this.sampleKeys.set(code, keys);
      this.sampledKeys.set(key, (this.sampledKeys.get(key) ?? 0) + 1);
      if (list.length >= this.options.maxFindingsPerCode) this.wanted &= ~BIT[driftClass];
    }
  }

  /** Removes the sample findings of one dedup key (after a later row of the key won). */
  private dropSamples(key: string): void {
    this.sampledKeys.delete(key);
    for (const driftClass of DRIFT_CLASSES) {
      const code = CLASS_CODE[driftClass];
      if (code === undefined) continue;
      const keys = this.sampleKeys.get(code);
      const list = this.samples.get(code);
      if (keys === undefined || list === undefined) continue;
      for (let i = keys.length - 1; i >= 0; i--) {
        if (keys[i] !== key) continue;
        keys.splice(i, 1);
        list.splice(i, 1);
        this.wanted |= BIT[driftClass];
      }
    }
  }

  /** Resolves spilled duplicates and builds the rollups and findings. */
  finish(): { result: DriftResult; findings: Finding[] } {
    this.dedup.finish();
    const classes = Object.fromEntries(DRIFT_CLASSES.map((c) => [c, 0])) as Record<DriftClass, number>;
    const status = Object.fromEntries(AGENT_STATUSES.map((c) => [c, 0])) as Record<AgentStatus, number>;
    const severities: Partial<Record<DriftClass, Severity>> = {};
    interface TenantCounts {
      agents: number;
      tools: number;
      unapprovedTools: number;
      unlistedInstances: number;
      stale: number;
      status: Partial<Record<AgentStatus, number>>;
      classes: Partial<Record<DriftClass, number>>;
      severity: Severity | null;
    }
    const perTenant = new Map<TenantState, TenantCounts>();
    /** Per (tenant, product): count and stale per primary class, and the worst advisory severity. */
    const rollup = new Map<
      number,
      { counts: Float64Array; stale: Float64Array; advisory: Severity | null }
    >();
    const rollupOwners = new Map<number, [TenantState, ProductRef]>();
    const versions = new Map<string, VersionCount & { count: number }>();
    let agents = 0;
    let tools = 0;
    let unapprovedTools = 0;
    let unlistedInstances = 0;
    let stale = 0;
    const cellClasses = new Float64Array(DRIFT_CLASSES.length);
    const cellPrimary = new Float64Array(DRIFT_CLASSES.length);
    const cellPrimaryStale = new Float64Array(DRIFT_CLASSES.length);
    const unapprovedRank = driftClassRank('unapproved-tool');
    const unlistedRank = driftClassRank('unlisted-instance');
    const vulnerableRank = driftClassRank('vulnerable');
    for (let group = 0; group < this.groupVersion.length; group++) {
      const tenant = this.groupTenant[group] as TenantState;
      const product = this.groupProduct[group] as ProductRef;
      const groupMask = this.cells[group * 16 + META_MASK] as number;
      let count = 0;
      let staleCount = 0;
      cellClasses.fill(0);
      cellPrimary.fill(0);
      cellPrimaryStale.fill(0);
      for (let flags = 0; flags < 16; flags++) {
        if ((flags & 3) === 3) continue; // metadata
        const n = this.cells[group * 16 + flags] as number;
        if (n === 0) continue;
        count += n;
        const isStale = (flags & FLAG_STALE) !== 0;
        if (isStale) staleCount += n;
        const mask = cellMask(product, groupMask, flags);
        for (let c = 0; c < DRIFT_CLASSES.length; c++)
          if ((mask & (1 << c)) !== 0) cellClasses[c] = (cellClasses[c] as number) + n;
        // Primary: an agent's first status in precedence order; a tool's unapproved-tool, else
        // unlisted-instance, if it is either.
        const primary =
          product.kind === 'managed'
            ? driftClassRank(primaryStatus(mask))
            : (mask & BIT['unapproved-tool']) !== 0
              ? unapprovedRank
              : (mask & BIT['unlisted-instance']) !== 0
                ? unlistedRank
                : -1;
        if (primary >= 0) {
          cellPrimary[primary] = (cellPrimary[primary] as number) + n;
          if (isStale) cellPrimaryStale[primary] = (cellPrimaryStale[primary] as number) + n;
        }
      }
      if (count === 0) continue;
      let t = perTenant.get(tenant);
      if (t === undefined) {
        t = {
          agents: 0,
          tools: 0,
          unapprovedTools: 0,
          unlistedInstances: 0,
          stale: 0,
          status: {},
          classes: {},
          severity: null,
        };
        perTenant.set(tenant, t);
      }
      let advisory: Severity | null = null;
      if (product.kind === 'managed') {
        agents += count;
        t.agents += count;
        stale += staleCount;
        t.stale += staleCount;
        const version = this.groupVersion[group] as string;
        const info = product.info(version);
        for (const a of info.advisories)
          if (advisory === null || ADVISORY_RANK[a.severity] > ADVISORY_RANK[advisory]) advisory = a.severity;
        // Spellings of one version (`v7.4.2`, `7.4.2+build.7`) count as one.
        const shown = info.normalised === '' ? version : info.normalised;
        const key = `${product.id}\u0000${shown}`;
        const entry = versions.get(key);
        if (entry) entry.count += count;
        else
          versions.set(key, {
            product: product.id,
            version: shown,
            versionClass: info.versionClass,
            count,
          });
      } else {
        tools += count;
        t.tools += count;
        const unapproved = cellClasses[unapprovedRank] as number;
        unapprovedTools += unapproved;
        t.unapprovedTools += unapproved;
        const unlisted = cellPrimary[unlistedRank] as number;
        unlistedInstances += unlisted;
        t.unlistedInstances += unlisted;
      }
      // Rollup cells keyed by (tenant index, product key): one counter per primary class.
      const rollupKey = tenant.index * this.catalog.products.length + product.key;
      let counters = rollup.get(rollupKey);
      if (counters === undefined) {
        counters = {
          counts: new Float64Array(DRIFT_CLASSES.length),
          stale: new Float64Array(DRIFT_CLASSES.length),
          advisory: null,
        };
        rollup.set(rollupKey, counters);
        rollupOwners.set(rollupKey, [tenant, product]);
      }
      if (advisory !== null && (cellClasses[vulnerableRank] as number) > 0) {
        counters.advisory = worse(counters.advisory, advisory);
        severities.vulnerable = worse(severities.vulnerable ?? null, advisory);
        t.severity = worse(t.severity, advisory);
      }
      for (let c = 0; c < DRIFT_CLASSES.length; c++) {
        const n = cellClasses[c] as number;
        const driftClass = DRIFT_CLASSES[c] as DriftClass;
        if (n > 0) {
          classes[driftClass] += n;
          t.classes[driftClass] = (t.classes[driftClass] ?? 0) + n;
          const severity = codeSeverity(driftClass);
          if (driftClass !== 'vulnerable' && severity !== null) {
            severities[driftClass] = severity;
            t.severity = worse(t.severity, severity);
          }
        }
        const p = cellPrimary[c] as number;
        if (p > 0) {
          counters.counts[c] = (counters.counts[c] as number) + p;
          counters.stale[c] = (counters.stale[c] as number) + (cellPrimaryStale[c] as number);
          if (c < AGENT_STATUSES.length && product.kind === 'managed') {
            const agentStatus = driftClass as AgentStatus;
            status[agentStatus] += p;
            t.status[agentStatus] = (t.status[agentStatus] ?? 0) + p;
          }
        }
      }
    }
    const rollupRows: RollupRow[] = [];
    for (const [key, counters] of rollup) {
      const [tenant, product] = rollupOwners.get(key) as [TenantState, ProductRef];
      for (let c = 0; c < DRIFT_CLASSES.length; c++) {
        const count = counters.counts[c] as number;
        const driftClass = DRIFT_CLASSES[c] as DriftClass;
        if (count > 0)
          rollupRows.push({
            tenant: tenant.name,
            product: product.id,
            class: driftClass,
            count,
            stale: counters.stale[c] as number,
            severity:
              driftClass === 'vulnerable' && counters.advisory !== null
                ? counters.advisory
                : codeSeverity(driftClass),
          });
      }
    }
    for (const driftClass of DRIFT_CLASSES) {
      const code = CLASS_CODE[driftClass];
      if (code !== undefined && classes[driftClass] > 0) this.totals.set(code, classes[driftClass]);
    }
    const tenants: TenantRollup[] = [...perTenant].map(([tenant, t]) => {
      const onTarget = t.status['on-target'] ?? 0;
      const worst =
        AGENT_STATUSES.find(
          (c) =>
            c !== 'on-target' &&
            ((t.status[c] ?? 0) > 0 || (c === 'unlisted-instance' && t.unlistedInstances > 0)),
        ) ?? (t.unapprovedTools > 0 ? 'unapproved-tool' : null);
      return {
        tenant: tenant.name,
        agents: t.agents,
        onTarget,
        percentOnTarget: percent(onTarget, t.agents),
        status: t.status,
        classes: t.classes,
        tools: t.tools,
        unapprovedTools: t.unapprovedTools,
        unlistedInstances: t.unlistedInstances,
        stale: t.stale,
        worst,
        severity: t.severity,
      };
    });
    const severityRank = (s: Severity | null) => (s === null ? -1 : ADVISORY_RANK[s]);
    tenants.sort(
      (a, b) =>
        severityRank(b.severity) - severityRank(a.severity) ||
        (a.worst === null ? 99 : driftClassRank(a.worst)) -
          (b.worst === null ? 99 : driftClassRank(b.worst)) ||
        a.percentOnTarget - b.percentOnTarget ||
        compareText(a.tenant, b.tenant),
    );
    const rank = new Map(DRIFT_CLASSES.map((c, i) => [c, i]));
    const rollups = rollupRows.sort(
      (a, b) =>
        (rank.get(a.class) ?? 0) - (rank.get(b.class) ?? 0) ||
        b.count - a.count ||
        compareText(a.tenant, b.tenant) ||
        compareText(a.product, b.product),
    );
    const versionList = [...versions.values()].sort(
      (a, b) => compareText(a.product, b.product) || b.count - a.count || compareText(a.version, b.version),
    );
    const findings: Finding[] = [];
    const findingTotals: Partial<Record<FindingCode, number>> = {};
    for (const [code, total] of this.totals) {
      findingTotals[code] = total;
      const list = this.samples.get(code) ?? [];
      findings.push(...list);
      if (total > list.length) {
        findings.push(
          finding('DRIFT_FINDINGS_TRUNCATED', {
            subject: code,
            message: `${total} ${code} finding(s); ${list.length} listed (see the rollups for every count)`,
            evidence: { code, total, listed: list.length },
          }),
        );
      }
    }
    for (const code of this.samples.keys())
      if (!this.totals.has(code)) findings.push(...(this.samples.get(code) ?? []));
    const onTarget = status['on-target'];
    return {
      result: {
        generatedAt: this.options.now.toISOString(),
        staleDays: this.options.staleDays,
        staleBefore: new Date(this.staleBefore).toISOString(),
        inputs: this.inputs,
        fleet: {
          rows: this.rows,
          malformedRows: this.malformedRows,
          duplicateRows: this.duplicateRows,
          otherRows: this.otherRows,
          tenants: perTenant.size,
          agents,
          onTarget,
          percentOnTarget: percent(onTarget, agents),
          status,
          classes,
          tools,
          unapprovedTools,
          unlistedInstances,
          stale,
          severities,
        },
        tenants,
        rollups,
        versions: versionList,
        findingTotals,
      },
      findings,
    };
  }

  /** DRIFT_UNLISTED_INSTANCE for a row of a tool or managed product (the group's instance). */
  private instanceFinding(
    original: InventoryRow,
    file: string,
    line: number,
    product: ProductRef,
    mask: number,
    group: number,
  ): Finding {
    const row = ownRow(original);
    const instance = this.groupInstance[group] as string;
    const { known } = this.allowlist.instance(row.tenant, productNames(product), instance);
    const resembles = resemblance(instance, known) ?? null;
    const suspect = !isPrintableAscii(instance);
    const subject = `${row.tenant}/${row.endpoint}`;
    const where = row.hostname !== '' && row.hostname !== row.endpoint ? ` (${row.hostname})` : '';
    const name = product.kind === 'tool' ? `${product.tool.name} (${product.tool.vendor})` : product.id;
    const shown = escapeInstance(instance);
    return finding('DRIFT_UNLISTED_INSTANCE', {
      subject,
      message:
        `${name} on ${subject}${where} answers to instance '${shown}', which tenant ${row.tenant}'s allowlist does not list` +
        (known.length === 0
          ? ` (no instance of ${product.id} is listed: allowing a tool does not allow every instance of it)`
          : ` (listed: ${known.map((k) => `'${k}'`).join(', ')})`) +
        (resembles !== null
          ? `; it looks like the listed '${resembles}' but is not it${suspect ? ' (lookalike or invisible characters)' : ''}`
          : suspect
            ? '; it holds characters outside printable ASCII'
            : ''),
      evidence: {
        tenant: row.tenant,
        endpoint: row.endpoint,
        hostname: row.hostname,
        product: product.id,
        reportedProduct: row.product,
        version: row.version,
        instance: shown,
        listedInstances: known,
        resembles,
        lastSeen: Number.isNaN(row.lastSeen) ? null : new Date(row.lastSeen).toISOString(),
        ...(product.kind === 'tool' ? { tool: product.tool.id } : { primaryStatus: primaryStatus(mask) }),
        file,
        line,
      },
      location: { file, line },
    });
  }

  /** Releases temp files after an error. */
  close(): void {
    this.dedup.close();
  }

  /** Withdraws the listed DRIFT_FUTURE_LAST_SEEN sample of a dedup key (its row lost). */
  private dropFutureSample(key: string): void {
    const at = this.futureSampleKeys.indexOf(key);
    if (at < 0) return;
    this.futureSampleKeys.splice(at, 1);
    this.samples.get('DRIFT_FUTURE_LAST_SEEN')?.splice(at, 1);
  }

  /** A last_seen later than the clock allows (a 2999 date would win every duplicate). */
  private futureFinding(original: InventoryRow, file: string, line: number, key: string): void {
    const row = ownRow(original);
    const listed = this.samples.get('DRIFT_FUTURE_LAST_SEEN')?.length ?? 0;
    if (listed < this.options.maxFindingsPerCode) this.futureSampleKeys.push(key);
    this.sample('DRIFT_FUTURE_LAST_SEEN', () =>
      finding('DRIFT_FUTURE_LAST_SEEN', {
        subject: `${row.tenant}/${row.endpoint}`,
        message: `${truncate(row.product)} on ${truncate(row.tenant)}/${truncate(row.endpoint)} has last_seen ${new Date(row.lastSeen).toISOString()}, after the scan's clock ${this.options.now.toISOString()}: it never looks stale and wins every duplicate`,
        evidence: {
          tenant: row.tenant,
          endpoint: row.endpoint,
          product: row.product,
          lastSeen: new Date(row.lastSeen).toISOString(),
          file,
          line,
        },
        location: { file, line },
      }),
    );
  }

  /** Records an in-memory duplicate as a sample finding. */
  private duplicateFinding(original: InventoryRow, file: string, line: number): void {
    const row = ownRow(original);
    this.sample('DRIFT_DUPLICATE', () =>
      finding('DRIFT_DUPLICATE', {
        subject: `${row.tenant}/${row.endpoint}`,
        message: `${truncate(row.product)} on ${truncate(row.tenant)}/${truncate(row.endpoint)} appears more than once; the latest last_seen wins`,
        evidence: { tenant: row.tenant, endpoint: row.endpoint, product: row.product, file, line },
        location: { file, line },
      }),
    );
  }
}

/** Code-unit order: stable across locales and much cheaper than localeCompare on 100k rows. */
function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Percentage with one decimal, 100 for an empty set (nothing is off target). */
export function percent(part: number, whole: number): number {
  return whole === 0 ? 100 : Math.round((part / whole) * 1000) / 10;
}

/** A copy of the row whose strings do not pin the inventory chunk they were sliced from. */
function ownRow(row: InventoryRow): InventoryRow {
  return {
    tenant: ownString(row.tenant),
    endpoint: ownString(row.endpoint),
    hostname: ownString(row.hostname),
    product: ownString(row.product),
    version: ownString(row.version),
    sha256: ownString(row.sha256),
    platform: ownString(row.platform),
    lastSeen: row.lastSeen,
    instance: ownString(row.instance),
  };
}

/** The names an allowlist entry may use for a product: a tool's id, name and aliases, or a manifest's product and aliases. */
function productNames(product: ProductRef): readonly string[] {
  return product.kind === 'tool'
    ? [product.tool.id, product.tool.name, ...product.tool.aliases]
    : [product.manifest.product, ...(product.manifest.aliases ?? [])];
}

function versionMask(info: VersionInfo): number {
  let mask = BIT[info.versionClass];
  if (info.revokedBy !== undefined) mask |= BIT.revoked;
  if (info.advisories.length > 0) mask |= BIT.vulnerable;
  if (info.unreleased !== undefined) mask |= BIT['unreleased-version'];
  return mask;
}

/** An agent's primary status from its cell's class bits (managed products only). */
export function primaryStatus(mask: number): AgentStatus {
  const bits = mask & STATUS_BITS;
  return AGENT_STATUSES[31 - Math.clz32(bits & -bits)] ?? 'unknown-version';
}

function worse(a: Severity | null, b: Severity): Severity {
  return a === null || ADVISORY_RANK[b] > ADVISORY_RANK[a] ? b : a;
}

/** Class bits of one cell: the group's version bits plus what its flags say. */
function cellMask(product: ProductRef, groupMask: number, flags: number): number {
  if (product.kind === 'tool')
    return (
      groupMask |
      ((flags & FLAG_ALLOWED) === 0 ? BIT['unapproved-tool'] : 0) |
      ((flags & FLAG_STALE) !== 0 ? BIT.stale : 0)
    );
  let mask = groupMask;
  if ((flags & 3) === SHA_MISMATCH) mask |= BIT['hash-mismatch'];
  if ((flags & FLAG_STALE) !== 0) mask |= BIT.stale;
  if ((flags & FLAG_PLATFORM) !== 0) mask |= BIT['platform-not-allowed'];
  return mask;
}

const ADVISORY_RANK: Readonly<Record<Severity, number>> = {
  critical: 4,
  high: 3,
  medium: 2,
  low: 1,
  info: 0,
};

function rowFinding(
  code: FindingCode,
  driftClass: DriftClass,
  row: InventoryRow,
  file: string,
  line: number,
  product: ProductRef,
  mask: number,
  now: number,
): Finding {
  row = ownRow(row);
  const subject = `${row.tenant}/${row.endpoint}`;
  const where = row.hostname !== '' && row.hostname !== row.endpoint ? ` (${truncate(row.hostname)})` : '';
  const evidence = {
    tenant: row.tenant,
    endpoint: row.endpoint,
    hostname: row.hostname,
    product: product.id,
    reportedProduct: row.product,
    version: row.version,
    lastSeen: Number.isNaN(row.lastSeen) ? null : new Date(row.lastSeen).toISOString(),
    file,
    line,
  };
  const location = { file, line };
  if (product.kind === 'tool') {
    if (driftClass === 'unapproved-tool') {
      return finding(code, {
        subject,
        message: `${product.tool.name} (${product.tool.vendor}) on ${truncate(subject)}${where} is not on tenant ${truncate(row.tenant)}'s allowlist`,
        evidence: { ...evidence, tool: product.tool.id },
        location,
      });
    }
    return staleFinding(code, row, subject, where, evidence, location, now);
  }
  return managedFinding(code, driftClass, row, product, mask, subject, where, evidence, location, now);
}

function staleFinding(
  code: FindingCode,
  row: InventoryRow,
  subject: string,
  where: string,
  evidence: Record<string, string | number | null>,
  location: { file: string; line: number },
  now: number,
): Finding {
  const days = Math.floor((now - row.lastSeen) / 86_400_000);
  return finding(code, {
    subject,
    message: `${truncate(row.product)} on ${truncate(subject)}${where} last seen ${new Date(row.lastSeen).toISOString()} (${days} days ago)`,
    evidence,
    location,
  });
}

function managedFinding(
  code: FindingCode,
  driftClass: DriftClass,
  row: InventoryRow,
  product: ManagedProduct,
  mask: number,
  subject: string,
  where: string,
  evidence: Record<string, string | number | null>,
  location: { file: string; line: number },
  now: number,
): Finding {
  const policy = product.manifest.policy;
  const info = product.info(row.version);
  const on = `${product.id} ${truncate(row.version)} on ${truncate(subject)}${where}`;
  const base = {
    ...evidence,
    normalisedVersion: info.normalised === '' ? null : info.normalised,
    target: policy.target,
    minimum: policy.minimum ?? null,
    primaryStatus: primaryStatus(mask),
  };
  switch (driftClass) {
    case 'revoked':
      return finding(code, {
        subject,
        message: `${on} is revoked (policy.revoked entry '${info.revokedBy ?? ''}')`,
        evidence: { ...base, revokedBy: info.revokedBy ?? null },
        location,
      });
    case 'vulnerable': {
      const worst = [...info.advisories].sort(
        (a, b) => ADVISORY_RANK[b.severity] - ADVISORY_RANK[a.severity],
      )[0];
      return finding(code, {
        subject,
        message: `${on} is affected by ${info.advisories.map((a) => a.id).join(', ')}`,
        evidence: { ...base, advisories: info.advisories.map((a) => a.id) },
        location,
        ...(worst !== undefined ? { severity: worst.severity } : {}),
      });
    }
    case 'hash-mismatch':
      return finding(code, {
        subject,
        message:
          info.pinnedSha256 === undefined
            ? `${on} reports sha256 ${row.sha256}, but the manifest pins no artifact for ${row.version}`
            : `${on} reports sha256 ${row.sha256}, which matches none of the ${info.pinnedSha256.size} pinned artifact(s) of ${row.version}${row.platform === '' ? '' : ` for platform ${row.platform}`}: possibly tampered`,
        evidence: {
          ...base,
          sha256: row.sha256,
          platform: row.platform,
          pinned: info.pinnedSha256 === undefined ? [] : [...info.pinnedSha256],
        },
        location,
      });
    case 'unreleased-version': {
      const near = info.unreleased;
      const nearest =
        [near?.below == null ? '' : `${near.below} below`, near?.above == null ? '' : `${near.above} above`]
          .filter((x) => x !== '')
          .join(', ') || 'none';
      return finding(code, {
        subject,
        message: `${on} is not a version the manifest lists as released (nearest: ${nearest}): counterfeit or side-loaded until proven otherwise`,
        evidence: { ...base, releasedBelow: near?.below ?? null, releasedAbove: near?.above ?? null },
        location,
      });
    }
    case 'below-minimum':
      return finding(code, {
        subject,
        message: `${on} does not satisfy the minimum ${policy.minimum ?? ''} (target ${policy.target})`,
        evidence: base,
        location,
      });
    case 'behind':
      return finding(code, {
        subject,
        message: `${on} is behind the target ${policy.target}`,
        evidence: base,
        location,
      });
    case 'ahead-of-target':
      return finding(code, {
        subject,
        message: `${on} is newer than the target ${policy.target}${info.pinnedSha256 === undefined ? ' and not a release the manifest knows' : ''}`,
        evidence: { ...base, knownRelease: info.pinnedSha256 !== undefined },
        location,
      });
    case 'unknown-version':
      return finding(code, {
        subject,
        message: `${on}: '${truncate(row.version)}' is not a ${product.scheme.name} version (the manifest's versionScheme)`,
        evidence: base,
        location,
      });
    case 'platform-not-allowed':
      return finding(code, {
        subject,
        message: `${on} runs on platform '${truncate(row.platform)}', not in policy.platforms (${(policy.platforms ?? []).join(', ')})`,
        evidence: { ...base, platform: row.platform },
        location,
      });
    case 'stale':
      return staleFinding(code, row, subject, where, base, location, now);
    case 'unapproved-tool':
    case 'unlisted-instance':
    case 'on-target':
      return finding(code, { subject, message: on, evidence: base, location });
  }
}
