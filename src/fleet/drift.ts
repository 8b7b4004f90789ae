import { statSync } from 'node:fs';

import { defaults } from '../defaults.ts';
import { InputError } from '../errors.ts';
import type { Finding } from '../findings.ts';
import { requireTrusted, type TrustedManifest } from '../manifest/trusted.ts';
import { ProductCatalog } from './catalog.ts';
import { Allowlist, EMPTY_CONFIG, type DriftConfig } from './config.ts';
import type { DriftHistory, HistoryDiff } from './history.ts';
import {
  readInventory,
  type InventoryReadOptions,
  type InventorySink,
  type InventorySource,
} from './inventory.ts';
import { readCsvOnThread } from './reader-thread.ts';
import { RmmToolMatcher, bundledRmmTools, type RmmTool } from './rmm-tools.ts';
import { DriftScanner, type DriftResult } from './scan.ts';
import type { InventoryRow } from './types.ts';
import type { ColumnMapping } from './columns.ts';
import { presetColumns, type PresetName } from './presets.ts';
import type { DateOrder } from './timestamp.ts';

export interface DriftScanInput {
  /**
   * Manifests that passed the trust check (`checkManifest(...).manifest`), or passed through
   * the named opt-out `uncheckedManifests`; a raw parsed manifest is refused.
   */
  readonly manifests: readonly TrustedManifest[];
  readonly sources: readonly InventorySource[];
  readonly now: Date;
  readonly config?: DriftConfig;
  /** Default: data/rmm-tools.json. */
  readonly tools?: readonly RmmTool[];
  readonly staleDays?: number;
  readonly columns?: ColumnMapping;
  /** A named inventory preset (presets.ts): its columns, under `columns`, and its format. */
  readonly preset?: PresetName;
  /** How to read numeric last_seen dates whose day/month order they do not show. */
  readonly dateFormat?: DateOrder;
  readonly defaultTenant?: string;
  /** A malformed row is an input error instead of a finding. */
  readonly strict?: boolean;
  readonly maxFindingsPerCode?: number;
  readonly dedupMemoryKeys?: number;
  /** Open history store: the scan is staged in its transaction and committed at the end. */
  readonly history?: DriftHistory;
  /** Scans a vanished endpoint is remembered for in the history (default defaults.historyRememberScans). */
  readonly rememberScans?: number;
  /** Called every `progressEvery` (default a million) rows with the rows read so far. */
  readonly onProgress?: (rows: number) => void;
  readonly progressEvery?: number;
  /** Test hook passed to the history commit. */
  readonly beforeCommit?: () => void;
  /**
   * Stops the scan: rows stop being read at the next row, the history is rolled back (never
   * committed after an abort), and the abort reason is thrown.
   */
  readonly signal?: AbortSignal;
  /**
   * Read CSV files on a worker thread: 'auto' (the default) for files of
   * `defaults.readerThreadMinBytes` or more, 'always', or 'never'. Results are the same.
   */
  readonly readerThread?: 'auto' | 'always' | 'never';
  readonly limits?: Partial<
    Pick<
      InventoryReadOptions,
      'maxInputBytes' | 'maxRecordChars' | 'maxJsonDocumentBytes' | 'maxLineChars' | 'maxGzipRatio'
    >
  >;
}

export interface DriftScanOutput {
  readonly result: DriftResult;
  readonly findings: readonly Finding[];
  readonly history?: HistoryDiff;
}

/** Whether to read a source on the reader thread: files only, large ones unless told. */
function useReaderThread(
  source: InventorySource,
  mode: 'auto' | 'always' | 'never',
): source is InventorySource & { readonly path: string } {
  if (source.path === undefined || mode === 'never') return false;
  if (mode === 'always') return true;
  try {
    return statSync(source.path).size >= defaults.readerThreadMinBytes;
  } catch {
    return false; // readInventory reports the unreadable file
  }
}

/** Reads every inventory, classifies, rolls up, and (optionally) records the scan in history. */
export async function scanDrift(input: DriftScanInput): Promise<DriftScanOutput> {
  requireTrusted(input.manifests, 'scanDrift');
  const maxFindingsPerCode = input.maxFindingsPerCode ?? defaults.maxDriftFindingsPerCode;
  const catalog = new ProductCatalog(
    input.manifests,
    new RmmToolMatcher(input.tools ?? bundledRmmTools()),
    defaults.maxDistinctProductNames,
  );
  const scanner = new DriftScanner(catalog, new Allowlist(input.config ?? EMPTY_CONFIG), {
    now: input.now,
    staleDays: input.staleDays ?? defaults.staleDays,
    futureLastSeenHours: defaults.futureLastSeenHours,
    maxFindingsPerCode,
    dedupMemoryKeys: input.dedupMemoryKeys ?? defaults.dedupMemoryKeys,
    dedupSpillPartitions: defaults.dedupSpillPartitions,
    ...(input.history !== undefined ? { history: input.history } : {}),
    ...(input.onProgress !== undefined ? { onProgress: input.onProgress } : {}),
    ...(input.progressEvery !== undefined ? { progressEvery: input.progressEvery } : {}),
    ...(input.signal !== undefined ? { signal: input.signal } : {}),
  });
  const malformed = input.strict
    ? (file: string, line: number, reason: string) => {
        throw new InputError('INPUT_INVALID', `malformed row (--strict): ${reason}`, { file, line });
      }
    : (file: string, line: number, reason: string) => {
        scanner.malformed(file, line, reason);
      };
  const sink: InventorySink = {
    row: (row: InventoryRow, file: string, line: number) => {
      scanner.row(row, file, line);
    },
    malformed,
  };
  const options: InventoryReadOptions = {
    maxInputBytes: input.limits?.maxInputBytes ?? defaults.maxInventoryBytes,
    maxRecordChars: input.limits?.maxRecordChars ?? defaults.maxInventoryRecordChars,
    maxJsonDocumentBytes: input.limits?.maxJsonDocumentBytes ?? defaults.maxInventoryJsonArrayBytes,
    maxLineChars: input.limits?.maxLineChars ?? defaults.maxInventoryLineChars,
    maxGzipRatio: input.limits?.maxGzipRatio ?? defaults.maxInventoryGzipRatio,
    ...(input.columns !== undefined || input.preset !== undefined
      ? { columns: presetColumns(input.preset, input.columns) }
      : {}),
    ...(input.preset !== undefined ? { preset: input.preset } : {}),
    ...(input.dateFormat !== undefined ? { dateOrder: input.dateFormat } : {}),
    ...(input.defaultTenant !== undefined ? { defaultTenant: input.defaultTenant } : {}),
  };
  const pinnedSha256 = catalog.pinnedSha256();
  const needsPlatform = catalog.hasPlatformPolicies();
  input.history?.begin();
  try {
    for (const source of input.sources) {
      const onThread = useReaderThread(source, input.readerThread ?? 'auto')
        ? await readCsvOnThread({
            source,
            scanner,
            options,
            pinnedSha256,
            needsPlatform,
            onMalformed: malformed,
          })
        : undefined;
      scanner.addInput(onThread ?? (await readInventory(source, sink, options)));
    }
    const { result, findings } = scanner.finish();
    if (input.manifests.length > 0 && result.fleet.agents === 0 && result.fleet.tools === 0) {
      // Nothing judged is never a pass (an inventory of the wrong fleet, or of other software).
      throw new InputError(
        'INPUT_INVALID',
        `no agent in the inventories: none of their ${result.fleet.rows} rows names a product of the manifests (${input.manifests.map((m) => m.product).join(', ')}, or an alias) or a known RMM tool`,
        { file: input.sources.map((s) => s.name).join(', ') },
      );
    }
    if (input.history === undefined) return { result, findings };
    // One turn of the event loop first: a signal, or the launcher going away, that arrived
    // while the rows were being rolled up is seen here, and nothing is committed after it.
    await new Promise((resolve) => setImmediate(resolve));
    input.signal?.throwIfAborted();
    const committed = input.history.commit(result, {
      maxFindingsPerCode,
      trendScans: defaults.historyTrendScans,
      rememberScans: input.rememberScans ?? defaults.historyRememberScans,
      schemes: new Map(
        catalog.products.flatMap((p) => (p.kind === 'managed' ? [[p.id, p.scheme] as const] : [])),
      ),
      ...(input.beforeCommit !== undefined ? { beforeCommit: input.beforeCommit } : {}),
    });
    return { result, findings: [...findings, ...committed.findings], history: committed.diff };
  } catch (error: unknown) {
    input.history?.rollback();
    throw error;
  } finally {
    scanner.close();
  }
}
