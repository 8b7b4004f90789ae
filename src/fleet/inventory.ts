import { closeSync, constants, createReadStream, fstatSync, openSync, statSync, type Stats } from 'node:fs';
import { basename } from 'node:path';
import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { TextDecoder } from 'node:util';
import { createGunzip } from 'node:zlib';

import { defaults } from '../defaults.ts';
import { InputError, errorMessage } from '../errors.ts';
import { fieldForColumnName, normaliseColumnName, type ColumnMapping } from './columns.ts';
import { CsvParser, recordFields } from './csv.ts';
import { CsvRecordMapper, type CsvLayout } from './csv-rows.ts';
import { PRESETS, type PresetName } from './presets.ts';
import { CanonicalDigests, finishRow, newRow } from './row-normalise.ts';
import { DateOrderError, type DateOrder } from './timestamp.ts';
import { CANONICAL_FIELDS, type CanonicalField, type InventoryFormat, type InventoryRow } from './types.ts';

/** Receives canonical rows; `row` is reused for the next call, so copy what you keep. */
export interface InventorySink {
  row(row: InventoryRow, file: string, line: number): void;
  malformed(file: string, line: number, reason: string): void;
}

/** One inventory input: a path, `-` for stdin, or any byte stream (tests, library callers). */
export interface InventorySource {
  /** Shown in findings and errors. */
  readonly name: string;
  /** The file's path when the source is a file (large ones are read on a worker thread). */
  readonly path?: string;
  /** Bytes per read from the file (`path`). */
  readonly readChunkBytes?: number;
  /** A path that is a FIFO or character device is read (only when asked for: it may never end). */
  readonly allowSpecialFiles?: boolean;
  /**
   * Bytes of the file read so far (element 0, reset by each open), on a SharedArrayBuffer so
   * the reader thread can count too: progress on a terminal (see byteCounter).
   */
  readonly bytesRead?: BigInt64Array;
  open(): AsyncIterable<Uint8Array>;
}

/** A counter for InventorySource.bytesRead, shareable with the reader thread. */
export function byteCounter(): BigInt64Array {
  return new BigInt64Array(new SharedArrayBuffer(8));
}

async function* counted(
  chunks: AsyncIterable<Uint8Array>,
  counter: BigInt64Array,
): AsyncIterable<Uint8Array> {
  Atomics.store(counter, 0, 0n);
  for await (const chunk of chunks) {
    Atomics.add(counter, 0, BigInt(chunk.byteLength));
    yield chunk;
  }
}

export interface InventoryReadOptions {
  readonly columns?: ColumnMapping;
  /** Tenant for rows (and osquery results) that carry none. */
  readonly defaultTenant?: string;
  /** Decompressed bytes read from one input before it is refused. */
  readonly maxInputBytes: number;
  /** Longest CSV record or JSON line, in characters. */
  readonly maxRecordChars: number;
  /**
   * Characters of one over-long record or line skipped (in constant memory) before the input is
   * refused (default `defaults.maxInventoryLineChars`).
   */
  readonly maxLineChars?: number;
  /** Decompressed bytes per compressed byte of a gzip input (default `defaults.maxInventoryGzipRatio`). */
  readonly maxGzipRatio?: number;
  /** osquery differential rows held at once (default `defaults.maxOsqueryDifferentialRows`). */
  readonly maxDifferentialRows?: number;
  /** How to read numeric dates whose day/month order they do not show (`--date-format`). */
  readonly dateOrder?: DateOrder;
  /** The named preset the input must follow (its columns are already in `columns`). */
  readonly preset?: PresetName;
  /** Largest osquery JSON array document, in bytes (it is parsed whole). */
  readonly maxJsonDocumentBytes: number;
}

export interface InputSummary {
  readonly file: string;
  readonly format: InventoryFormat;
  readonly gzip: boolean;
  readonly rows: number;
  readonly malformed: number;
  readonly bytes: number;
}

export function fileSource(
  path: string,
  readChunkBytes = defaults.inventoryReadChunkBytes,
  options: { readonly allowSpecialFiles?: boolean; readonly bytesRead?: BigInt64Array } = {},
): InventorySource {
  const allowSpecialFiles = options.allowSpecialFiles === true;
  const counter = options.bytesRead;
  return {
    name: path,
    path,
    readChunkBytes,
    ...(allowSpecialFiles ? { allowSpecialFiles } : {}),
    ...(counter !== undefined ? { bytesRead: counter } : {}),
    open: () => {
      const chunks = openInventoryFile(path, readChunkBytes, allowSpecialFiles);
      return counter === undefined ? chunks : counted(chunks, counter);
    },
  };
}

function fileKind(stats: Stats): string {
  if (stats.isDirectory()) return 'a directory';
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}

/**
 * Opens an inventory file. Only regular files unless `allowSpecial`: a FIFO without a writer
 * would block the read forever, so it is opened non-blocking (which returns at once) and looked
 * at before anything is read.
 */
function openInventoryFile(
  path: string,
  readChunkBytes: number,
  allowSpecial: boolean,
): AsyncIterable<Uint8Array> {
  if (allowSpecial) {
    // Asked for: a FIFO is opened blocking, so the read waits for its writer. (Opening it
    // non-blocking first would let a waiting writer in and then leave it without a reader.)
    const stats = statSync(path);
    if (stats.isFIFO() || stats.isCharacterDevice())
      return createReadStream(path, { highWaterMark: readChunkBytes });
  }
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  let stats: Stats;
  try {
    stats = fstatSync(fd);
  } catch (error: unknown) {
    closeSync(fd);
    throw error;
  }
  if (stats.isFile()) return createReadStream('', { fd, highWaterMark: readChunkBytes });
  closeSync(fd);
  throw new InputError(
    'INPUT_INVALID',
    `not an inventory file: it is ${fileKind(stats)}; expected a regular file${
      stats.isFIFO() || stats.isCharacterDevice()
        ? " (pipe it to standard input as '-', or pass --allow-fifo to read it)"
        : ''
    }`,
    { file: path },
  );
}

export function streamSource(name: string, stream: NodeJS.ReadableStream): InventorySource {
  return { name, open: () => stream as AsyncIterable<Uint8Array> };
}

/** Gunzips when the stream starts with the gzip magic bytes; counts and caps the output. */
async function* bytesOf(
  source: InventorySource,
  maxBytes: number,
  maxGzipRatio: number,
  state: { gzip: boolean; bytes: number },
): AsyncGenerator<Buffer> {
  let iterable: AsyncIterable<Uint8Array>;
  try {
    iterable = source.open();
  } catch (error: unknown) {
    if (error instanceof InputError)
      throw new InputError(error.code, error.detail, { ...error.location, file: source.name });
    throw new InputError('INPUT_UNREADABLE', `cannot read inventory: ${errorMessage(error)}`, {
      file: source.name,
      cause: error,
    });
  }
  const iterator = iterable[Symbol.asyncIterator]();
  let first: IteratorResult<Uint8Array>;
  try {
    first = await iterator.next();
  } catch (error: unknown) {
    throw new InputError('INPUT_UNREADABLE', `cannot read inventory: ${errorMessage(error)}`, {
      file: source.name,
      cause: error,
    });
  }
  if (first.done === true) return;
  const head = Buffer.from(first.value.buffer, first.value.byteOffset, first.value.byteLength);
  // Compressed bytes handed to gunzip so far: the decompressed bytes may be at most
  // `maxGzipRatio` times as many (plus an allowance), so a bomb fails early.
  let compressed = head.length;
  async function* raw(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
      compressed += next.value.byteLength;
      yield Buffer.from(next.value.buffer, next.value.byteOffset, next.value.byteLength);
    }
  }
  let output: AsyncIterable<Buffer> = raw();
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) {
    state.gzip = true;
    const gunzip = createGunzip();
    const input = Readable.from(raw());
    input.on('error', (error: Error) => gunzip.destroy(error));
    input.pipe(gunzip);
    output = gunzip as AsyncIterable<Buffer>;
  }
  try {
    for await (const chunk of output) {
      state.bytes += chunk.length;
      if (state.gzip && state.bytes > defaults.inventoryGzipAllowanceBytes + maxGzipRatio * compressed) {
        throw new InputError(
          'INPUT_TOO_LARGE',
          `gzip inventory expands more than ${maxGzipRatio} times (${compressed} compressed bytes read gave ${state.bytes} bytes): refused as a decompression bomb; expected an inventory export`,
          { file: source.name },
        );
      }
      if (state.bytes > maxBytes) {
        throw new InputError(
          'INPUT_TOO_LARGE',
          `inventory is larger than the limit of ${maxBytes} bytes (after decompression)`,
          {
            file: source.name,
          },
        );
      }
      yield chunk;
    }
  } catch (error: unknown) {
    if (error instanceof InputError) throw error;
    throw new InputError('INPUT_UNREADABLE', `cannot read inventory: ${errorMessage(error)}`, {
      file: source.name,
      offset: state.bytes,
      cause: error,
    });
  }
}

/** Reads one inventory (CSV, JSON Lines, osquery JSON; gzip or not) into the sink. */
export function readInventory(
  source: InventorySource,
  sink: InventorySink,
  options: InventoryReadOptions,
): Promise<InputSummary> {
  return readInventoryText(source, options, (format, file, firstLine) =>
    format === 'osquery'
      ? new OsqueryArrayReader(file, sink, options)
      : format === 'jsonl'
        ? new JsonLinesReader(file, sink, options, firstLine)
        : new CsvReader(file, sink, options, firstLine),
  );
}

/**
 * Reads one inventory as text: gunzips, caps, decodes, refuses binary and empty input, and hands
 * the text to the reader made for its format (told by the first character that is not space).
 */
export async function readInventoryText(
  source: InventorySource,
  options: Pick<InventoryReadOptions, 'maxInputBytes' | 'maxGzipRatio' | 'preset'>,
  readerFor: (format: InventoryFormat, file: string, firstLine: number) => TextReader,
): Promise<InputSummary> {
  const state = { gzip: false, bytes: 0 };
  const decoder = new StringDecoder('utf8');
  const file = source.name;
  let reader: TextReader | undefined;
  let atStart = true;
  // Line breaks in leading chunks that hold only white space, for the reader's line numbers.
  let blankLines = 0;
  // Characters of content still to look at for NUL bytes (a binary file), across chunks.
  let unchecked = 4096;
  // Most inventories are ASCII: decode those chunks as latin1 (much faster than UTF-8), but only
  // while the UTF-8 decoder cannot be holding the first bytes of a split character.
  let decoderClean = true;
  const chunks = bytesOf(
    source,
    options.maxInputBytes,
    options.maxGzipRatio ?? defaults.maxInventoryGzipRatio,
    state,
  );
  // UTF-16 (with its byte-order mark, as Windows tools write it): decoded by a TextDecoder.
  let utf16: TextDecoder | undefined;
  for await (const chunk of chunks) {
    if (atStart && chunk.length >= 2) {
      if (chunk[0] === 0xff && chunk[1] === 0xfe) utf16 = new TextDecoder('utf-16le');
      else if (chunk[0] === 0xfe && chunk[1] === 0xff) utf16 = new TextDecoder('utf-16be');
    }
    let text: string;
    let ascii: boolean;
    if (utf16 !== undefined) {
      text = utf16.decode(chunk, { stream: true });
      ascii = false;
    } else {
      ascii = decoderClean && isAscii(chunk);
      if (ascii) text = chunk.toString('latin1');
      else {
        text = decoder.write(chunk);
        decoderClean = isAscii(chunk.subarray(Math.max(0, chunk.length - 4)));
      }
    }
    if (atStart && text !== '') {
      atStart = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (reader === undefined) {
      const start = text.search(/\S/);
      if (start === -1) {
        for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) blankLines++;
        continue;
      }
      const c = text.charAt(start);
      const format = c === '[' ? 'osquery' : c === '{' ? 'jsonl' : 'csv';
      if (options.preset !== undefined) {
        const preset = PRESETS[options.preset];
        if ((preset.format === 'csv') !== (format === 'csv') && preset.format !== 'any') {
          throw new InputError(
            'INPUT_INVALID',
            `--preset ${preset.name} expects ${preset.format === 'csv' ? 'CSV' : 'JSON'} (${preset.source}), found ${format === 'csv' ? 'CSV' : 'JSON'}`,
            { file },
          );
        }
      }
      reader = readerFor(format, file, 1 + blankLines);
    }
    if (unchecked > 0) {
      if (text.slice(0, unchecked).includes('\u0000')) {
        throw new InputError(
          'INPUT_INVALID',
          looksLikeUtf16(chunk)
            ? 'not an inventory: the text looks like UTF-16 without a byte-order mark; expected UTF-8, or UTF-16 with its byte-order mark'
            : 'not an inventory: the file contains NUL bytes (binary data)',
          { file },
        );
      }
      unchecked -= text.length;
    }
    const pending = reader.push(text, ascii);
    if (pending !== undefined) await pending;
  }
  if (reader === undefined) {
    throw new InputError('INPUT_INVALID', 'not an inventory: the input is empty', { file });
  }
  const pending = reader.push(utf16 !== undefined ? utf16.decode() : decoder.end(), utf16 === undefined);
  if (pending !== undefined) await pending;
  await reader.end();
  if (reader.rows === 0) {
    // Nothing read is never a pass: an empty export, only malformed rows, or only removals.
    throw new InputError(
      'INPUT_INVALID',
      `no inventory row in this input${reader.malformedRows > 0 ? ` (${reader.malformedRows} malformed)` : ''}; expected rows with a tenant, an endpoint id or hostname, a product and a version`,
      { file },
    );
  }
  return {
    file,
    format: reader.format,
    gzip: state.gzip,
    rows: reader.rows,
    malformed: reader.malformedRows,
    bytes: state.bytes,
  };
}

/** Every other byte NUL at the start: UTF-16 text without its byte-order mark. */
function looksLikeUtf16(chunk: Buffer): boolean {
  const n = Math.min(chunk.length, 64) & ~1;
  if (n < 8) return false;
  let even = 0;
  let odd = 0;
  for (let i = 0; i < n; i += 2) {
    if (chunk[i] === 0) even++;
    if (chunk[i + 1] === 0) odd++;
  }
  return (odd === n / 2 && even === 0) || (even === n / 2 && odd === 0);
}

/** Turns an inventory's text, in chunks, into rows for a sink. */
export interface TextReader {
  readonly format: InventoryFormat;
  readonly rows: number;
  readonly malformedRows: number;
  /**
   * Returns a promise when the caller should wait before the next chunk (back-pressure).
   * `ascii`: the chunk was pure ASCII (decoded as latin1).
   */
  push(text: string, ascii: boolean): Promise<void> | undefined;
  end(): Promise<void> | undefined;
}

/**
 * CSV text to canonical rows: the parser, the layout from the first record, then one mapped
 * row per record. Subclasses say where rows and malformed rows go (and may take a record
 * before it is mapped: `takeRecord`).
 */
export abstract class CsvTextReader implements TextReader {
  readonly format = 'csv';
  rows = 0;
  malformedRows = 0;
  protected readonly parser: CsvParser;
  protected readonly mapper: CsvRecordMapper;
  private readonly file: string;
  private sawRecord = false;

  constructor(file: string, options: InventoryReadOptions, firstLine: number) {
    this.file = file;
    this.mapper = new CsvRecordMapper(file, options);
    this.parser = new CsvParser(
      {
        record: (text, starts, ends, count, line) => {
          this.record(text, starts, ends, count, line);
        },
        malformed: (line, reason) => {
          this.malformedRows++;
          this.malformedRow(line, reason);
        },
      },
      {
        maxRecordChars: options.maxRecordChars,
        maxSkipChars: options.maxLineChars ?? defaults.maxInventoryLineChars,
        file,
        firstLine,
      },
    );
  }

  push(text: string, _ascii: boolean): Promise<void> | undefined {
    this.parser.push(text);
    return this.flush();
  }

  end(): Promise<void> | undefined {
    this.parser.end();
    return this.flush();
  }

  /** After each chunk: a promise when the caller should wait before the next. */
  protected flush(): Promise<void> | undefined {
    return undefined;
  }

  /** The layout, once known (from the first record). */
  protected layoutFound(_layout: CsvLayout): void {
    // Nothing by default.
  }

  /** Takes a data record before it is mapped; false leaves it to `mapper.map` and `row`. */
  protected takeRecord(
    _text: string,
    _starts: Int32Array,
    _ends: Int32Array,
    _count: number,
    _layout: CsvLayout,
    _line: number,
  ): boolean {
    return false;
  }

  /** A mapped row (`mapper.row`, reused for the next record). */
  protected abstract row(row: InventoryRow, line: number): void;
  protected abstract malformedRow(line: number, reason: string): void;

  private record(text: string, starts: Int32Array, ends: Int32Array, count: number, line: number): void {
    try {
      this.mapRecord(text, starts, ends, count, line);
    } catch (error: unknown) {
      if (error instanceof DateOrderError)
        throw new InputError('INPUT_INVALID', error.message, { file: this.file, line });
      throw error;
    }
  }

  private mapRecord(text: string, starts: Int32Array, ends: Int32Array, count: number, line: number): void {
    const mapper = this.mapper;
    let layout = mapper.layout;
    if (layout === undefined) {
      // PowerShell 5.1's Export-Csv writes `#TYPE <type name>` before the header.
      if (!this.sawRecord && count === 1 && text.startsWith('#TYPE', starts[0])) {
        this.sawRecord = true;
        return;
      }
      this.sawRecord = true;
      const detected = mapper.detectLayout(recordFields(text, starts, ends, count), line);
      layout = detected.layout;
      this.layoutFound(layout);
      if (detected.header) return;
    }
    if (!this.takeRecord(text, starts, ends, count, layout, line)) {
      const reason = mapper.map(text, starts, ends, count);
      if (reason !== undefined) {
        this.malformedRows++;
        this.malformedRow(line, reason);
        return;
      }
      this.row(mapper.row, line);
    }
    this.rows++;
  }
}

/** Reads CSV into a sink on this thread. */
class CsvReader extends CsvTextReader {
  private readonly fileName: string;
  private readonly sink: InventorySink;

  constructor(file: string, sink: InventorySink, options: InventoryReadOptions, firstLine: number) {
    super(file, options, firstLine);
    this.fileName = file;
    this.sink = sink;
  }

  protected row(row: InventoryRow, line: number): void {
    this.sink.row(row, this.fileName, line);
  }

  protected malformedRow(line: number, reason: string): void {
    this.sink.malformed(this.fileName, line, reason);
  }
}

type JsonObject = Record<string, unknown>;

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return '';
}

/** What an osquery event says to do with its rows. */
type OsqueryAction = 'add' | 'remove' | 'emit';

interface HeldRow {
  readonly row: InventoryRow;
  readonly line: number;
}

/**
 * Maps JSON values to rows: plain row objects (any of the column names), osquery result events
 * (snapshot, differential `action`, batched `diffResults`) and table rows, and the API
 * documents that wrap rows: Defender's OData `{"value": [...]}`, FleetDM's `{"host": {...,
 * "software": [...]}}` and `{"software": [...]}`, NinjaOne's `{"results": [...]}`.
 *
 * osquery differential rows are held until the end of the input, so that a `removed` row
 * cancels the row it removes (by tenant, endpoint, product and version); snapshot and plain rows
 * go straight to the sink.
 */
class JsonRowMapper {
  rows = 0;
  malformedRows = 0;
  private readonly row = newRow();
  private readonly digests = new CanonicalDigests();
  private readonly file: string;
  private readonly sink: InventorySink;
  private readonly options: InventoryReadOptions;
  private readonly keyCache = new Map<string, CanonicalField | null>();
  private readonly fileEndpoint: string;
  private readonly held = new Map<string, HeldRow>();
  private readonly maxHeld: number;

  constructor(file: string, sink: InventorySink, options: InventoryReadOptions) {
    this.file = file;
    this.sink = sink;
    this.options = options;
    this.fileEndpoint = basename(file).replace(/\.(json|jsonl|ndjson|log)(\.gz)?$/i, '');
    this.maxHeld = options.maxDifferentialRows ?? defaults.maxOsqueryDifferentialRows;
  }

  bad(line: number, reason: string): void {
    this.malformedRows++;
    this.sink.malformed(this.file, line, reason);
  }

  private fieldOf(key: string): CanonicalField | null {
    let field = this.keyCache.get(key);
    if (field === undefined) {
      field = null;
      const mapping = this.options.columns ?? {};
      const normalised = normaliseColumnName(key);
      for (const f of CANONICAL_FIELDS) {
        const wanted = mapping[f];
        if (typeof wanted === 'string' && normaliseColumnName(wanted) === normalised) field = f;
      }
      field ??= fieldForColumnName(key) ?? null;
      if (this.keyCache.size < 1024) this.keyCache.set(key, field);
    }
    return field;
  }

  /**
   * Accepts one parsed JSON value; returns false when it is not an object at all. `top`: a
   * whole line or document, which may be an API response wrapping rows.
   */
  accept(value: unknown, line: number, top = true): boolean {
    if (!isObject(value)) {
      this.bad(line, `expected a JSON object, found ${Array.isArray(value) ? 'an array' : typeof value}`);
      return false;
    }
    if (top && this.unwrap(value, line)) return true;
    if (isObject(value['columns'])) {
      this.osquery(value['columns'], value, line, osqueryAction(value['action']));
      return true;
    }
    const diff = value['diffResults'];
    if (isObject(diff)) {
      // Batched differential results: removals first, so that a row both removed and added in
      // one batch (a changed column) stays.
      for (const [key, action] of [
        ['removed', 'remove'],
        ['added', 'add'],
      ] as const) {
        const entries = diff[key] ?? [];
        if (!Array.isArray(entries)) {
          this.bad(line, `osquery diffResults.${key} is not an array`);
          continue;
        }
        for (const entry of entries) {
          if (isObject(entry)) this.osquery(entry, value, line, action);
          else this.bad(line, `osquery diffResults.${key} entry is not an object`);
        }
      }
      return true;
    }
    const snapshot = value['snapshot'];
    if (Array.isArray(snapshot)) {
      for (const entry of snapshot) {
        if (isObject(entry)) this.osquery(entry, value, line, 'emit');
        else this.bad(line, 'osquery snapshot entry is not an object');
      }
      return true;
    }
    if (osqueryTable(value) !== undefined && !('tenant' in value) && !('endpoint' in value)) {
      this.osquery(value, {}, line, 'emit');
      return true;
    }
    const row = this.row;
    row.tenant = row.endpoint = row.hostname = row.product = row.version = row.sha256 = row.platform = '';
    row.instance = '';
    let lastSeen = '';
    for (const key of Object.keys(value)) {
      const field = this.fieldOf(key);
      if (field === null) continue;
      const v = text(value[key]);
      switch (field) {
        case 'last_seen':
          lastSeen = typeof value[key] === 'number' ? String(value[key]) : v;
          break;
        default:
          if (row[field] === '') row[field] = v;
      }
    }
    // Defender writes software names in lower case with underscores (`acme_rmm_agent`).
    if ('softwareVendor' in value || 'SoftwareVendor' in value)
      row.product = row.product.replaceAll('_', ' ');
    if (row.tenant === '' && this.options.defaultTenant !== undefined)
      row.tenant = this.options.defaultTenant;
    this.emit(lastSeen, line, 'emit');
    return true;
  }

  /** API documents that wrap rows; false when `value` is not one. */
  private unwrap(value: JsonObject, line: number): boolean {
    const host = value['host'];
    if (isObject(host) && Array.isArray(host['software'])) {
      this.fleetHost(host, host['software'], line);
      return true;
    }
    for (const key of ['value', 'results', 'software']) {
      const rows = value[key];
      if (!Array.isArray(rows)) continue;
      rows.forEach((element: unknown, index) => {
        if (key === 'software' && isObject(element)) this.fleetSoftware(element, {}, index + 1);
        else this.accept(element, index + 1, false);
      });
      return true;
    }
    return false;
  }

  /** FleetDM `GET /api/v1/fleet/hosts/:id`: the host and its software. */
  private fleetHost(host: JsonObject, software: unknown[], line: number): void {
    software.forEach((element: unknown, index) => {
      if (isObject(element)) this.fleetSoftware(element, host, index + 1);
      else this.bad(line, 'FleetDM host software entry is not an object');
    });
  }

  /**
   * One FleetDM software entry: `version`, or one row per `installed_versions[].version` (the
   * host software endpoint). Without a host (the software list), the file name is the host.
   */
  private fleetSoftware(entry: JsonObject, host: JsonObject, line: number): void {
    const versions = Array.isArray(entry['installed_versions'])
      ? entry['installed_versions'].map((v: unknown) => (isObject(v) ? text(v['version']) : ''))
      : [text(entry['version'])];
    const source = text(entry['source']);
    for (const version of versions) {
      const row = this.row;
      row.tenant = text(host['team_name']) || (this.options.defaultTenant ?? '');
      row.endpoint =
        text(host['uuid']) || text(host['id']) || (host['hostname'] === undefined ? this.fileEndpoint : '');
      row.hostname = text(host['hostname']) || text(host['display_name']);
      row.product = text(entry['name']);
      if (source === 'apps' && row.product.toLowerCase().endsWith('.app'))
        row.product = row.product.slice(0, -4);
      row.version = version;
      row.sha256 = '';
      row.instance = '';
      row.platform = text(host['platform']) || platformOfSource(source);
      this.emit(text(host['seen_time']), line, 'emit');
    }
  }

  /** An osquery row (programs, deb_packages, rpm_packages, apps) with the event around it. */
  private osquery(columns: JsonObject, event: JsonObject, line: number, action: OsqueryAction): void {
    const table = osqueryTable(columns);
    const decorations = isObject(event['decorations']) ? event['decorations'] : {};
    const row = this.row;
    const host = text(event['hostIdentifier']);
    row.tenant =
      text(decorations['tenant']) || text(decorations['customer']) || (this.options.defaultTenant ?? '');
    row.hostname = text(decorations['hostname']) || host;
    row.endpoint = text(decorations['host_uuid']) || text(decorations['uuid']) || host || this.fileEndpoint;
    let product = text(columns['name']);
    if (table === 'apps' && product.toLowerCase().endsWith('.app')) product = product.slice(0, -4);
    row.product = product;
    row.version =
      table === 'apps'
        ? text(columns['bundle_short_version']) || text(columns['bundle_version'])
        : text(columns['version']);
    row.sha256 = text(columns['sha256']);
    row.instance = this.instanceColumn(columns);
    row.platform =
      table === 'programs'
        ? 'windows'
        : table === 'apps'
          ? 'darwin'
          : table === undefined
            ? text(columns['platform'])
            : 'linux';
    const time = event['unixTime'] ?? event['calendarTime'] ?? '';
    this.emit(typeof time === 'number' ? String(Math.trunc(time)) : text(time), line, action);
  }

  /**
   * The instance column of an osquery row: a query that joins the agent's configuration (a
   * MeshAgent .msh file's MeshServer/ServerID/MeshID, a ScreenConnect service's relay host)
   * names it with one of the `instance` aliases (columns.ts), or --columns instance=NAME.
   */
  private instanceColumn(columns: JsonObject): string {
    for (const key of Object.keys(columns)) if (this.fieldOf(key) === 'instance') return text(columns[key]);
    return '';
  }

  private emit(lastSeen: string, line: number, action: OsqueryAction): void {
    let reason: string | undefined;
    try {
      reason = finishRow(this.row, lastSeen, this.digests, this.options.dateOrder);
    } catch (error: unknown) {
      if (error instanceof DateOrderError)
        throw new InputError('INPUT_INVALID', error.message, { file: this.file, line });
      throw error;
    }
    if (reason !== undefined) {
      this.bad(line, reason);
      return;
    }
    if (action === 'emit') {
      this.rows++;
      this.sink.row(this.row, this.file, line);
      return;
    }
    const row = this.row;
    const key = `${row.tenant}\u0000${row.endpoint}\u0000${row.product}\u0000${row.version}\u0000${row.instance}`;
    if (action === 'remove') {
      this.held.delete(key);
      return;
    }
    if (!this.held.has(key) && this.held.size >= this.maxHeld) {
      throw new InputError(
        'INPUT_TOO_LARGE',
        `more than ${this.maxHeld} osquery differential rows are installed at once; read snapshot results instead`,
        { file: this.file, line },
      );
    }
    this.held.delete(key); // the latest event's place and time
    this.held.set(key, { row: { ...row }, line });
  }

  /** Hands the differential rows still installed at the end of the input to the sink. */
  finish(): void {
    for (const { row, line } of this.held.values()) {
      this.rows++;
      this.sink.row(row, this.file, line);
    }
    this.held.clear();
  }
}

function osqueryAction(action: unknown): OsqueryAction {
  return action === 'removed' ? 'remove' : action === 'added' ? 'add' : 'emit';
}

/** FleetDM's software `source` (the osquery table it came from) as a platform. */
function platformOfSource(source: string): string {
  if (source === 'programs') return 'windows';
  if (source === 'apps') return 'darwin';
  if (source === 'deb_packages' || source === 'rpm_packages') return 'linux';
  return '';
}

type OsqueryTable = 'programs' | 'deb_packages' | 'rpm_packages' | 'apps';

/** Recognises the osquery software tables by their distinctive columns. */
function osqueryTable(columns: JsonObject): OsqueryTable | undefined {
  if ('bundle_short_version' in columns || 'bundle_identifier' in columns) return 'apps';
  if ('release' in columns && 'arch' in columns) return 'rpm_packages';
  if (
    'maintainer' in columns ||
    ('arch' in columns && 'revision' in columns) ||
    ('source' in columns && 'arch' in columns)
  )
    return 'deb_packages';
  if ('publisher' in columns || 'install_location' in columns || 'identifying_number' in columns)
    return 'programs';
  return undefined;
}

class JsonLinesReader implements TextReader {
  readonly format = 'jsonl';
  private readonly mapper: JsonRowMapper;
  private carry = '';
  private line: number;
  private readonly file: string;
  private readonly maxChars: number;
  private readonly maxSkipChars: number;
  /** Dropping the rest of an over-long line (already reported), and how much of it so far. */
  private skipping = false;
  private skipped = 0;
  /**
   * Set when the first line is not JSON by itself: the input is one JSON document spread over
   * lines (an API response), read whole up to `maxDocumentChars`.
   */
  private document: string[] | undefined;
  private documentChars = 0;
  private documentLine = 0;
  private readonly maxDocumentChars: number;

  constructor(file: string, sink: InventorySink, options: InventoryReadOptions, firstLine: number) {
    this.file = file;
    this.mapper = new JsonRowMapper(file, sink, options);
    this.maxChars = options.maxRecordChars;
    this.maxSkipChars = options.maxLineChars ?? defaults.maxInventoryLineChars;
    this.maxDocumentChars = options.maxJsonDocumentBytes;
    this.line = firstLine;
  }

  /** Whether lineOf found the input to be one JSON document (a method: lineOf changes it). */
  private readingDocument(): boolean {
    return this.document !== undefined;
  }

  private addDocument(text: string): void {
    this.documentChars += text.length;
    if (this.documentChars > this.maxDocumentChars) {
      throw new InputError(
        'INPUT_TOO_LARGE',
        `JSON document inventory is larger than the limit of ${this.maxDocumentChars} characters; use JSON Lines for large inventories`,
        { file: this.file },
      );
    }
    this.document?.push(text);
  }

  get rows(): number {
    return this.mapper.rows;
  }

  get malformedRows(): number {
    return this.mapper.malformedRows;
  }

  push(chunk: string): undefined {
    if (this.document !== undefined) {
      this.addDocument(chunk);
      return undefined;
    }
    let position = 0;
    if (this.skipping) {
      const lf = chunk.indexOf('\n');
      if (lf === -1) {
        this.skip(chunk.length);
        return undefined;
      }
      this.skip(lf);
      this.skipping = false;
      this.line++;
      position = lf + 1;
    }
    // The carried part of a line is at most maxChars: joining it to the chunk is bounded.
    const text = this.carry === '' ? chunk : this.carry + chunk.slice(position);
    if (this.carry !== '') position = 0;
    for (;;) {
      const end = text.indexOf('\n', position);
      if (end === -1) break;
      this.lineOf(text, position, end);
      position = end + 1;
      if (this.readingDocument()) {
        this.carry = '';
        this.addDocument(text.slice(position));
        return undefined;
      }
    }
    this.carry = '';
    if (text.length - position > this.maxChars && this.rows === 0 && this.malformedRows === 0) {
      // A first line this long is a JSON document without line breaks: read it whole.
      this.document = [];
      this.documentLine = this.line;
      this.addDocument(text.slice(position));
    } else if (text.length - position > this.maxChars) {
      this.mapper.bad(this.line, `line longer than ${this.maxChars} characters`);
      this.skipping = true;
      this.skipped = 0;
      this.skip(text.length - position);
    } else if (position < text.length) this.carry = text.slice(position);
    return undefined;
  }

  private skip(chars: number): void {
    this.skipped += chars;
    if (this.skipped > this.maxSkipChars) {
      throw new InputError(
        'INPUT_INVALID',
        `a line goes on for more than ${this.maxSkipChars} characters; expected JSON Lines of at most ${this.maxChars} characters`,
        { file: this.file, line: this.line },
      );
    }
  }

  end(): undefined {
    if (this.carry !== '') this.lineOf(this.carry, 0, this.carry.length);
    this.carry = '';
    if (this.document !== undefined) {
      let value: unknown;
      try {
        value = JSON.parse(this.document.join(''));
      } catch (error: unknown) {
        throw new InputError(
          'INPUT_MALFORMED_JSON',
          `not an inventory: neither JSON Lines nor one JSON document (${errorMessage(error)})`,
          { file: this.file, line: this.documentLine },
        );
      }
      this.document = undefined;
      this.mapper.accept(value, this.documentLine);
    }
    this.mapper.finish();
    return undefined;
  }

  private lineOf(text: string, start: number, end: number): void {
    const line = this.line++;
    if (end - start > this.maxChars) {
      this.mapper.bad(line, `line longer than ${this.maxChars} characters`);
      return;
    }
    const content = text.slice(start, end).trim();
    if (content === '') return;
    let value: unknown;
    try {
      value = JSON.parse(content);
    } catch (error: unknown) {
      if (this.rows === 0 && this.malformedRows === 0) {
        // Not JSON Lines: one document over several lines (an API response), read whole.
        this.document = [];
        this.documentLine = line;
        this.addDocument(text.slice(start, end + 1));
        return;
      }
      this.mapper.bad(line, `not valid JSON: ${errorMessage(error)}`);
      return;
    }
    this.mapper.accept(value, line);
  }
}

/** `osqueryi --json` output: one JSON array of row objects, read whole (size-capped). */
class OsqueryArrayReader implements TextReader {
  readonly format = 'osquery';
  private readonly mapper: JsonRowMapper;
  private readonly parts: string[] = [];
  private chars = 0;
  private readonly file: string;
  private readonly maxChars: number;

  constructor(file: string, sink: InventorySink, options: InventoryReadOptions) {
    this.file = file;
    this.mapper = new JsonRowMapper(file, sink, options);
    this.maxChars = options.maxJsonDocumentBytes;
  }

  get rows(): number {
    return this.mapper.rows;
  }

  get malformedRows(): number {
    return this.mapper.malformedRows;
  }

  push(text: string): undefined {
    this.chars += text.length;
    if (this.chars > this.maxChars) {
      throw new InputError(
        'INPUT_TOO_LARGE',
        `JSON array inventory is larger than the limit of ${this.maxChars} characters; use JSON Lines for large inventories`,
        {
          file: this.file,
        },
      );
    }
    this.parts.push(text);
    return undefined;
  }

  end(): undefined {
    let value: unknown;
    try {
      value = JSON.parse(this.parts.join(''));
    } catch (error: unknown) {
      throw new InputError('INPUT_MALFORMED_JSON', `not an inventory: ${errorMessage(error)}`, {
        file: this.file,
      });
    }
    if (!Array.isArray(value))
      throw new InputError('INPUT_INVALID', 'not an inventory: expected a JSON array of rows', {
        file: this.file,
      });
    // Line numbers of array elements are not tracked: `line` is the 1-based element index.
    value.forEach((element: unknown, index) => this.mapper.accept(element, index + 1));
    this.mapper.finish();
    return undefined;
  }
}
