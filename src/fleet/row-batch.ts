import { CsvParser } from './csv.ts';
import { CsvRecordMapper, type CsvLayout, type CsvMappingOptions } from './csv-rows.ts';
import { stringHash } from './dedup.ts';
import { ownString } from './own-string.ts';
import { DIGEST_SLOTS, digestSlot } from './row-normalise.ts';
import type { DriftScanner, RowSource } from './scan.ts';
import { parseIsoUtcAt } from './timestamp.ts';
import type { InventoryRow } from './types.ts';

/**
 * Rows in transit from the reader thread to the scanner. The reader thread parses, checks and
 * interns; the scanner only counts. A batch holds the rows of one parsed chunk of text, in file
 * order, as columns in one transferable buffer:
 *
 * - per row, nine int32: the raw record's start and end in the batch text, its line, the ids of
 *   its tenant and (product name, version) pair, its sha256 code, its platform id and the two
 *   halves of `stringHash(endpoint)`;
 * - per row, one float64: last_seen (ms since the epoch, NaN when absent).
 *
 * Strings cross once: each batch carries the dictionary entries first used in it. The text the
 * batch was parsed from travels as bytes in a second transferable buffer (no string garbage on
 * the scanner's heap), so the rare row that a finding or the history needs in full is parsed
 * again from its raw record. An id of -1 means a dictionary was full: the scanner then parses
 * the record again and takes the string path. Malformed rows travel as (row index, line,
 * reason), so they interleave with the rows exactly as they appeared. Both buffers go back to
 * the reader thread for reuse.
 */
const INT_COLUMNS = 9;
const START = 0;
const END = 1;
const LINE = 2;
const TENANT = 3;
const PRODUCT_VERSION = 4;
const SHA = 5;
const PLATFORM = 6;
const ENDPOINT_HASH1 = 7;
const ENDPOINT_HASH2 = 8;

/** sha256 codes: an index into the pinned digests, or one of these. */
const SHA_ABSENT = -2;
const SHA_NOT_PINNED = -3;
/** Platform id when no managed product restricts platforms (not looked at). */
const PLATFORM_UNUSED = -2;
const OVERFLOW = -1;

/**
 * Distinct strings, and their characters, per dictionary before ids become OVERFLOW: bounds the
 * memory of both threads whatever the inventory holds.
 */
export const DICTIONARY_LIMIT = 1 << 18;
export const DICTIONARY_CHARS_LIMIT = 1 << 24;

export interface RowBatch {
  readonly columns: ArrayBuffer;
  readonly rows: number;
  /** The parsed text: latin1 (every character < 256) or, when `wide`, UTF-16LE. */
  readonly text: ArrayBuffer;
  readonly textBytes: number;
  readonly wide: boolean;
  /** Flat triples: row index before which it occurred, line, reason. */
  readonly malformed: (number | string)[];
  readonly tenants: string[];
  readonly names: string[];
  /** Flat triples: product name id, version, instance column ('' for none). */
  readonly productVersions: (number | string)[];
  readonly platforms: string[];
  /** Sent with the first batch after the layout is known. */
  readonly layout?: CsvLayout;
}

/**
 * `stringHash` of the ASCII text's lower-case form, without making it: the endpoint id as
 * `finishRow` keeps it (the same hash on both paths, so duplicates by case are found).
 */
export function foldedStringHash(text: string, start: number, end: number, out: Int32Array): void {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ (end - start);
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c >= 65 && c <= 90) c += 32;
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
  }
  out[0] = h1;
  out[1] = h2;
}

/** Text buffers are allocated in steps of this many bytes. */
const TEXT_BUFFER_STEP = 256 << 10;

/** Bytes for `rows` rows: the float64 column first, then the int32 columns. */
function columnBytes(rows: number): number {
  return rows * (8 + 4 * INT_COLUMNS);
}

function rowsIn(columns: ArrayBuffer): number {
  return columns.byteLength / (8 + 4 * INT_COLUMNS);
}

/** One dictionary: strings to dense ids, and the ids made since the last batch. */
class Dictionary {
  readonly table = new Map<string, number>();
  fresh: string[] = [];
  private chars = 0;

  /** Id of `text[start, end)`, made on first sight; OVERFLOW when the dictionary is full. */
  id(text: string, start: number, end: number): number {
    const slice = text.slice(start, end);
    const id = this.table.get(slice);
    if (id !== undefined) return id;
    const size = this.table.size;
    if (size >= DICTIONARY_LIMIT || this.chars + slice.length > DICTIONARY_CHARS_LIMIT) return OVERFLOW;
    this.chars += slice.length;
    const key = ownString(slice);
    this.table.set(key, size);
    this.fresh.push(key);
    return size;
  }
}

/** Reader-thread side: collects checked rows into a batch. */
export class RowBatchWriter {
  private columns: ArrayBuffer;
  private ints: Int32Array;
  private floats: Float64Array;
  private capacity: number;
  private count = 0;
  private malformedRows: (number | string)[] = [];
  private readonly tenants = new Dictionary();
  private readonly names = new Dictionary();
  private readonly platforms = new Dictionary();
  /** Per product name id: version → (product name, version) id. */
  private readonly versionsByName: Map<string, number>[] = [];
  private productVersionCount = 0;
  private productVersionChars = 0;
  private freshProductVersions: (number | string)[] = [];
  private readonly pinned: Map<string, number>;
  /** Canonical digests seen, direct-mapped (see digestSlot), and their sha256 codes. */
  private readonly digests: string[] = new Array<string>(DIGEST_SLOTS).fill('');
  private readonly digestCodes = new Int32Array(DIGEST_SLOTS);
  private readonly needsPlatform: boolean;
  private readonly hash = new Int32Array(2);
  private layout: CsvLayout | undefined;
  /** The texts the batch's records were parsed from, and where the current one starts. */
  private sources: string[] = [];
  private sourceNumber = -1;
  private sourceBase = 0;
  private readonly spareColumns: ArrayBuffer[] = [];
  private readonly spareTexts: ArrayBuffer[] = [];

  constructor(pinnedSha256: readonly string[], needsPlatform: boolean, capacity = 8192) {
    this.pinned = new Map(pinnedSha256.map((sha, i) => [sha, i]));
    this.needsPlatform = needsPlatform;
    this.capacity = capacity;
    this.columns = new ArrayBuffer(columnBytes(capacity));
    this.floats = new Float64Array(this.columns, 0, capacity);
    this.ints = new Int32Array(this.columns, capacity * 8, capacity * INT_COLUMNS);
  }

  setLayout(layout: CsvLayout): void {
    this.layout = layout;
  }

  /** The text the next records' ranges refer to: the parser's `source` and `sourceNumber`. */
  useSource(text: string, sourceNumber: number): void {
    if (sourceNumber === this.sourceNumber) return;
    this.sourceNumber = sourceNumber;
    const last = this.sources.length - 1;
    if (last >= 0) this.sourceBase += (this.sources[last] as string).length;
    this.sources.push(text);
  }

  /** Buffers back from the scanner, for reuse by later batches. */
  recycle(columns: ArrayBuffer, text: ArrayBuffer): void {
    if (rowsIn(columns) === this.capacity && this.spareColumns.length < 8) this.spareColumns.push(columns);
    if (this.spareTexts.length < 8) this.spareTexts.push(text);
  }

  private use(columns: ArrayBuffer): void {
    this.columns = columns;
    this.capacity = rowsIn(columns);
    this.floats = new Float64Array(columns, 0, this.capacity);
    this.ints = new Int32Array(columns, this.capacity * 8, this.capacity * INT_COLUMNS);
  }

  private grow(): void {
    const old = { floats: this.floats, ints: this.ints };
    this.use(new ArrayBuffer(columnBytes(this.capacity * 2)));
    this.spareColumns.length = 0;
    this.floats.set(old.floats);
    this.ints.set(old.ints);
  }

  /**
   * The common record, straight from the parser's field offsets: every required field present,
   * the sha256 absent or a digest seen before in canonical form, last_seen in the usual ISO
   * form. Returns false for anything else, which the caller maps with `CsvRecordMapper` and
   * passes to `add` (so every rule lives in one place; this only recognises the easy case).
   */
  addRecord(
    text: string,
    starts: Int32Array,
    ends: Int32Array,
    count: number,
    layout: CsvLayout,
    recordStart: number,
    recordEnd: number,
    line: number,
  ): boolean {
    const indexes = layout.indexes;
    if (count < layout.width) return false;
    const t = indexes.tenant;
    const e = indexes.endpoint;
    const p = indexes.product;
    const l = indexes.last_seen;
    if (t < 0 || e < 0 || p < 0 || l < 0) return false;
    const tenantStart = starts[t] as number;
    const tenantEnd = ends[t] as number;
    const endpointStart = starts[e] as number;
    const endpointEnd = ends[e] as number;
    const productStart = starts[p] as number;
    const productEnd = ends[p] as number;
    if (tenantEnd === tenantStart || endpointEnd === endpointStart || productEnd === productStart)
      return false;
    // Endpoint ids compare case-insensitively: ASCII ones are folded while hashed (finish);
    // anything else takes the mapper's path, which lower-cases the string.
    for (let i = endpointStart; i < endpointEnd; i++) if (text.charCodeAt(i) > 127) return false;
    let sha = SHA_ABSENT;
    const s = indexes.sha256;
    if (s >= 0 && ends[s] !== starts[s]) {
      const shaStart = starts[s] as number;
      if ((ends[s] as number) - shaStart !== 64) return false;
      const slot = digestSlot(text, shaStart);
      const known = this.digests[slot] as string;
      if (known === '' || known !== text.slice(shaStart, shaStart + 64)) return false;
      sha = this.digestCodes[slot] as number;
    }
    const lastSeen = parseIsoUtcAt(text, starts[l] as number, ends[l] as number);
    if (lastSeen < 0) return false;
    if (this.count === this.capacity) this.grow();
    const at = this.count * INT_COLUMNS;
    const ints = this.ints;
    const name = this.names.id(text, productStart, productEnd);
    const v = indexes.version;
    const i = indexes.instance;
    // The instance column (rare) travels with the (name, version) pair: one id for the three.
    const instance = i < 0 ? '' : text.slice(starts[i], ends[i]);
    ints[at + TENANT] = this.tenants.id(text, tenantStart, tenantEnd);
    ints[at + PRODUCT_VERSION] =
      name === OVERFLOW
        ? OVERFLOW
        : v < 0
          ? this.productVersionId(name, '', 0, 0, instance)
          : this.productVersionId(name, text, starts[v] as number, ends[v] as number, instance);
    ints[at + SHA] = sha;
    if (this.needsPlatform) {
      const i = indexes.platform;
      ints[at + PLATFORM] =
        i < 0 ? this.platforms.id('', 0, 0) : this.platforms.id(text, starts[i] as number, ends[i] as number);
    } else ints[at + PLATFORM] = PLATFORM_UNUSED;
    this.finish(at, text, endpointStart, endpointEnd, lastSeen, recordStart, recordEnd, line, true);
    return true;
  }

  /** Any checked row (mapped by `CsvRecordMapper`). */
  add(row: InventoryRow, recordStart: number, recordEnd: number, line: number): void {
    if (this.count === this.capacity) this.grow();
    const at = this.count * INT_COLUMNS;
    const ints = this.ints;
    const name = this.names.id(row.product, 0, row.product.length);
    ints[at + TENANT] = this.tenants.id(row.tenant, 0, row.tenant.length);
    ints[at + PRODUCT_VERSION] =
      name === OVERFLOW
        ? OVERFLOW
        : this.productVersionId(name, row.version, 0, row.version.length, row.instance);
    ints[at + SHA] = this.digestCode(row.sha256);
    ints[at + PLATFORM] = this.needsPlatform
      ? this.platforms.id(row.platform, 0, row.platform.length)
      : PLATFORM_UNUSED;
    this.finish(at, row.endpoint, 0, row.endpoint.length, row.lastSeen, recordStart, recordEnd, line, false);
  }

  private finish(
    at: number,
    text: string,
    endpointStart: number,
    endpointEnd: number,
    lastSeen: number,
    recordStart: number,
    recordEnd: number,
    line: number,
    fold: boolean,
  ): void {
    const ints = this.ints;
    if (fold) foldedStringHash(text, endpointStart, endpointEnd, this.hash);
    else stringHash(text, endpointStart, endpointEnd, this.hash);
    ints[at + ENDPOINT_HASH1] = this.hash[0] as number;
    ints[at + ENDPOINT_HASH2] = this.hash[1] as number;
    ints[at + START] = this.sourceBase + recordStart;
    ints[at + END] = this.sourceBase + recordEnd;
    ints[at + LINE] = line;
    this.floats[this.count] = lastSeen;
    this.count++;
  }

  /** The sha256 code of a canonical digest (or ''), remembered in the direct-mapped cache. */
  private digestCode(sha: string): number {
    if (sha === '') return SHA_ABSENT;
    const slot = digestSlot(sha, 0);
    if (this.digests[slot] === sha) return this.digestCodes[slot] as number;
    const code = this.pinned.get(sha) ?? SHA_NOT_PINNED;
    if (this.digests[slot] === '') {
      this.digests[slot] = ownString(sha);
      this.digestCodes[slot] = code;
    }
    return code;
  }

  malformed(line: number, reason: string): void {
    this.malformedRows.push(this.count, line, reason);
  }

  private productVersionId(name: number, text: string, start: number, end: number, instance: string): number {
    let versions = this.versionsByName[name];
    if (versions === undefined) {
      versions = new Map();
      this.versionsByName[name] = versions;
    }
    const slice = text.slice(start, end);
    const key = instance === '' ? slice : `${slice}\u0000${instance}`;
    const id = versions.get(key);
    if (id !== undefined) return id;
    if (
      this.productVersionCount >= DICTIONARY_LIMIT ||
      this.productVersionChars + key.length > DICTIONARY_CHARS_LIMIT
    )
      return OVERFLOW;
    this.productVersionChars += key.length;
    const version = ownString(slice);
    versions.set(instance === '' ? version : ownString(key), this.productVersionCount);
    this.freshProductVersions.push(name, version, instance === '' ? '' : ownString(instance));
    return this.productVersionCount++;
  }

  /** Whether there is anything to send. */
  get pending(): boolean {
    return this.count > 0 || this.malformedRows.length > 0;
  }

  /** The batch so far (`wide` when its texts may hold characters ≥ 256). */
  take(wide: boolean): RowBatch {
    let bytes = 0;
    for (const text of this.sources) bytes += wide ? text.length * 2 : text.length;
    const spare = this.spareTexts.findIndex((b) => b.byteLength >= bytes);
    // A chunk of text with a little to spare, so that buffers coming back fit the next batch.
    const textBuffer =
      spare === -1
        ? new ArrayBuffer(Math.ceil((bytes + 1) / TEXT_BUFFER_STEP) * TEXT_BUFFER_STEP)
        : (this.spareTexts.splice(spare, 1)[0] as ArrayBuffer);
    const view = Buffer.from(textBuffer, 0, bytes);
    let written = 0;
    for (const text of this.sources) written += view.write(text, written, wide ? 'utf16le' : 'latin1');
    this.sources = [];
    this.sourceNumber = -1;
    this.sourceBase = 0;
    const batch: RowBatch = {
      columns: this.columns,
      rows: this.count,
      text: textBuffer,
      textBytes: bytes,
      wide,
      malformed: this.malformedRows,
      tenants: this.tenants.fresh,
      names: this.names.fresh,
      productVersions: this.freshProductVersions,
      platforms: this.platforms.fresh,
      ...(this.layout !== undefined ? { layout: this.layout } : {}),
    };
    this.layout = undefined;
    this.count = 0;
    this.malformedRows = [];
    this.tenants.fresh = [];
    this.names.fresh = [];
    this.platforms.fresh = [];
    this.freshProductVersions = [];
    this.use(this.spareColumns.pop() ?? new ArrayBuffer(columnBytes(this.capacity)));
    return batch;
  }
}

/** A row of a batch, parsed again from its raw record only when asked for. */
class RecordRow implements RowSource {
  private readonly mapper: CsvRecordMapper;
  private readonly parser: CsvParser;
  private text: Buffer = Buffer.alloc(0);
  private wide = false;
  private start = 0;
  private end = 0;
  private parsed: InventoryRow | undefined;
  private failure: string | undefined;

  constructor(file: string, layout: CsvLayout, options: CsvMappingOptions, maxRecordChars: number) {
    this.mapper = new CsvRecordMapper(file, options, layout);
    this.parser = new CsvParser(
      {
        record: (text, starts, ends, count) => {
          this.failure = this.mapper.map(text, starts, ends, count);
          this.parsed = this.mapper.row;
        },
        malformed: (_line, reason) => {
          this.failure = reason;
        },
      },
      { maxRecordChars },
    );
  }

  /** Points at a batch's text, for the rows of that batch. */
  setText(text: Buffer, wide: boolean): void {
    this.text = text;
    this.wide = wide;
  }

  point(start: number, end: number): void {
    this.start = start;
    this.end = end;
    this.parsed = undefined;
  }

  row(): InventoryRow {
    if (this.parsed === undefined) {
      this.failure = undefined;
      const record = this.wide
        ? this.text.toString('utf16le', this.start * 2, this.end * 2)
        : this.text.toString('latin1', this.start, this.end);
      this.parser.push(record);
      this.parser.end();
      return this.accepted();
    }
    return this.parsed;
  }

  /** The row parsed again; the reader thread accepted this record, so it cannot fail. */
  private accepted(): InventoryRow {
    if (this.parsed === undefined || this.failure !== undefined)
      throw new Error(`internal error: a CSV record no longer parses (${this.failure ?? 'no record'})`);
    return this.parsed;
  }
}

/** Stands for a sha256 that no manifest pins (never equal to a pinned digest). */
const NOT_PINNED_DIGEST = '-';
/** Entries of per-tenant group arrays at most (4 bytes each); beyond, groups are found by name. */
const GROUP_ARRAY_BUDGET = 1 << 22;
/** Slot of a (product name, version) pair whose product is not judged. */
const OTHER = -1;

/** Scanner side: turns batches back into counted rows, in file order. */
export class RowBatchReader {
  private readonly scanner: DriftScanner;
  private readonly file: string;
  private readonly options: CsvMappingOptions & { readonly maxRecordChars: number };
  private readonly onMalformed: (file: string, line: number, reason: string) => void;
  private readonly pinned: readonly string[];
  private record: RecordRow | undefined;
  private readonly tenantNames: string[] = [];
  private readonly names: string[] = [];
  private readonly versionName: number[] = [];
  private readonly versions: string[] = [];
  private readonly instances: string[] = [];
  /**
   * Per (product name, version) id: a small slot shared by every name and version that make
   * the same group within a tenant, or OTHER. Groups are then one array lookup per row:
   * `groups[tenant][slot] - 1`.
   */
  private readonly slotOf: number[] = [];
  private readonly slots = new Map<string, number>();
  private readonly groups: (Int32Array | undefined)[] = [];
  private groupEntries = 0;
  private readonly platforms: string[] = [];

  constructor(
    scanner: DriftScanner,
    file: string,
    options: CsvMappingOptions & { readonly maxRecordChars: number },
    pinnedSha256: readonly string[],
    onMalformed: (file: string, line: number, reason: string) => void,
  ) {
    this.scanner = scanner;
    this.file = file;
    this.options = options;
    this.pinned = pinnedSha256;
    this.onMalformed = onMalformed;
  }

  read(batch: RowBatch): void {
    if (batch.layout !== undefined)
      this.record = new RecordRow(this.file, batch.layout, this.options, this.options.maxRecordChars);
    this.tenantNames.push(...batch.tenants);
    this.names.push(...batch.names);
    for (let i = 0; i < batch.productVersions.length; i += 3) {
      const name = batch.productVersions[i] as number;
      const version = batch.productVersions[i + 1] as string;
      const instance = batch.productVersions[i + 2] as string;
      this.versionName.push(name);
      this.versions.push(version);
      this.instances.push(instance);
      this.slotOf.push(this.slotFor(this.names[name] as string, version, instance));
    }
    this.platforms.push(...batch.platforms);
    this.record?.setText(Buffer.from(batch.text, 0, batch.textBytes), batch.wide);
    const rows = rowsIn(batch.columns);
    const floats = new Float64Array(batch.columns, 0, rows);
    const ints = new Int32Array(batch.columns, rows * 8, rows * INT_COLUMNS);
    const malformed = batch.malformed;
    let next = 0;
    for (let r = 0; r < batch.rows; r++) {
      while (next < malformed.length && (malformed[next] as number) === r) {
        this.onMalformed(this.file, malformed[next + 1] as number, malformed[next + 2] as string);
        next += 3;
      }
      this.row(ints, r * INT_COLUMNS, floats[r] as number);
    }
    for (; next < malformed.length; next += 3)
      this.onMalformed(this.file, malformed[next + 1] as number, malformed[next + 2] as string);
  }

  /**
   * The slot of a product name, version and instance column: one per managed (product, version,
   * instance), one per (tool, instance).
   */
  private slotFor(name: string, version: string, instanceColumn: string): number {
    const product = this.scanner.resolveProduct(name);
    if (product === null) return OTHER;
    const instance = this.scanner.instanceOf(name, instanceColumn);
    const key =
      product.kind === 'managed'
        ? `${product.key}\u0000${version}\u0000${instance}`
        : `${product.key}\u0000${instance}`;
    let slot = this.slots.get(key);
    if (slot === undefined) {
      slot = this.slots.size;
      this.slots.set(key, slot);
    }
    return slot;
  }

  private row(ints: Int32Array, at: number, lastSeen: number): void {
    const record = this.record;
    if (record === undefined) throw new Error('internal error: a row batch arrived before the CSV layout');
    record.point(ints[at + START] as number, ints[at + END] as number);
    const line = ints[at + LINE] as number;
    const tenant = ints[at + TENANT] as number;
    const productVersion = ints[at + PRODUCT_VERSION] as number;
    const platform = ints[at + PLATFORM] as number;
    if (tenant === OVERFLOW || productVersion === OVERFLOW || platform === OVERFLOW) {
      this.scanner.row(record.row(), this.file, line);
      return;
    }
    const slot = this.slotOf[productVersion] as number;
    if (slot === OTHER) {
      this.scanner.countOther();
      return;
    }
    const groups = this.groups[tenant];
    let group = groups !== undefined && slot < groups.length ? (groups[slot] as number) - 1 : -1;
    if (group < 0) group = this.newGroup(tenant, productVersion, slot);
    const sha = ints[at + SHA] as number;
    const flags = this.scanner.rowFlags(
      group,
      sha === SHA_ABSENT ? '' : sha >= 0 ? (this.pinned[sha] as string) : NOT_PINNED_DIGEST,
      platform === PLATFORM_UNUSED ? '' : (this.platforms[platform] as string),
    );
    this.scanner.countRow(
      group,
      flags,
      ints[at + ENDPOINT_HASH1] as number,
      ints[at + ENDPOINT_HASH2] as number,
      lastSeen,
      record,
      this.file,
      line,
    );
  }

  /** Finds (or makes) a group by name and remembers it in the tenant's array, within budget. */
  private newGroup(tenant: number, productVersion: number, slot: number): number {
    const name = this.names[this.versionName[productVersion] as number] as string;
    const group = this.scanner.groupFor(
      this.tenantNames[tenant] as string,
      name,
      this.versions[productVersion] as string,
      this.instances[productVersion],
    );
    let groups = this.groups[tenant];
    if (groups === undefined || slot >= groups.length) {
      const length = Math.max(16, this.slots.size * 2);
      if (this.groupEntries + length - (groups?.length ?? 0) > GROUP_ARRAY_BUDGET) return group;
      const grown = new Int32Array(length);
      if (groups !== undefined) grown.set(groups);
      this.groupEntries += length - (groups?.length ?? 0);
      groups = grown;
      this.groups[tenant] = groups;
    }
    groups[slot] = group + 1;
    return group;
  }
}
