import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { isAscii } from 'node:buffer';
import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';

import { InputError, errorMessage } from '../errors.ts';
import {
  COLUMN_ALIASES,
  REQUIRED_FIELDS,
  fieldForColumnName,
  normaliseColumnName,
  type ColumnMapping,
} from './columns.ts';
import { CsvParser, recordFields } from './csv.ts';
import { ownString } from './own-string.ts';
import { parseIsoUtcAt, parseTimestamp } from './timestamp.ts';
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
  open(): AsyncIterable<Uint8Array>;
}

export interface InventoryReadOptions {
  readonly columns?: ColumnMapping;
  /** Tenant for rows (and osquery results) that carry none. */
  readonly defaultTenant?: string;
  /** Decompressed bytes read from one input before it is refused. */
  readonly maxInputBytes: number;
  /** Longest CSV record or JSON line, in characters. */
  readonly maxRecordChars: number;
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

export function fileSource(path: string, readChunkBytes = 1 << 20): InventorySource {
  return { name: path, open: () => createReadStream(path, { highWaterMark: readChunkBytes }) };
}

export function streamSource(name: string, stream: NodeJS.ReadableStream): InventorySource {
  return { name, open: () => stream as AsyncIterable<Uint8Array> };
}

/** Gunzips when the stream starts with the gzip magic bytes; counts and caps the output. */
async function* bytesOf(
  source: InventorySource,
  maxBytes: number,
  state: { gzip: boolean; bytes: number },
): AsyncGenerator<Buffer> {
  let iterable: AsyncIterable<Uint8Array>;
  try {
    iterable = source.open();
  } catch (error: unknown) {
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
  async function* raw(): AsyncGenerator<Buffer> {
    yield head;
    for (;;) {
      const next = await iterator.next();
      if (next.done === true) return;
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

function newRow(): InventoryRow {
  return {
    tenant: '',
    endpoint: '',
    hostname: '',
    product: '',
    version: '',
    sha256: '',
    platform: '',
    lastSeen: Number.NaN,
  };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/**
 * Digests already seen in canonical form (64 lower-case hex), direct-mapped by four of their
 * characters: a hit (`===`, a native comparison) skips the regular expression, which is a
 * measurable share of a large scan. Fleets report few distinct digests; a slot is filled once,
 * so a hostile inventory with millions of digests costs at most the old check plus a probe.
 */
class CanonicalDigests {
  private readonly slots: string[] = new Array<string>(1 << 16).fill('');

  has(sha: string): boolean {
    if (sha.length !== 64) return false;
    // Low nibbles of characters spread over the digest: a 16-bit slot number.
    const slot =
      (sha.charCodeAt(0) & 15) |
      ((sha.charCodeAt(21) & 15) << 4) |
      ((sha.charCodeAt(42) & 15) << 8) |
      ((sha.charCodeAt(63) & 15) << 12);
    const known = this.slots[slot] as string;
    if (known === sha) return true;
    if (!SHA256_HEX.test(sha)) return false;
    // A copy: a slice would keep its whole chunk of the inventory alive.
    if (known === '') this.slots[slot] = ownString(sha);
    return true;
  }
}

/**
 * Normalises the optional fields shared by every format. Returns a reason when the row is
 * malformed, undefined when it is usable.
 */
function finishRow(row: InventoryRow, lastSeen: string, digests: CanonicalDigests): string | undefined {
  if (row.tenant === '') return 'missing tenant';
  if (row.endpoint === '') row.endpoint = row.hostname;
  if (row.endpoint === '') return 'missing endpoint id and hostname';
  if (row.product === '') return 'missing product';
  let sha = row.sha256;
  if (sha !== '' && !digests.has(sha)) {
    if (sha.length !== 64) {
      if (sha.startsWith('sha256:')) sha = sha.slice(7);
      sha = sha.trim();
    }
    sha = sha.toLowerCase();
    if (!SHA256_HEX.test(sha)) return `sha256 is not 64 hexadecimal characters: '${truncate(row.sha256)}'`;
    row.sha256 = sha;
  }
  const time = parseTimestamp(lastSeen);
  if (time === undefined)
    return `last_seen is not a timestamp (RFC 3339 or Unix time): '${truncate(lastSeen)}'`;
  row.lastSeen = time;
  return undefined;
}

function truncate(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/** Reads one inventory (CSV, JSON Lines, osquery JSON; gzip or not) into the sink. */
export async function readInventory(
  source: InventorySource,
  sink: InventorySink,
  options: InventoryReadOptions,
): Promise<InputSummary> {
  const state = { gzip: false, bytes: 0 };
  const decoder = new StringDecoder('utf8');
  const file = source.name;
  let reader: TextReader | undefined;
  // Most inventories are ASCII: decode those chunks as latin1 (much faster than UTF-8), but only
  // while the UTF-8 decoder cannot be holding the first bytes of a split character.
  let decoderClean = true;
  for await (const chunk of bytesOf(source, options.maxInputBytes, state)) {
    let text: string;
    if (decoderClean && isAscii(chunk)) text = chunk.toString('latin1');
    else {
      text = decoder.write(chunk);
      decoderClean = isAscii(chunk.subarray(Math.max(0, chunk.length - 4)));
    }
    if (reader === undefined) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      const start = text.search(/\S/);
      if (start === -1) continue;
      if (text.slice(0, 4096).includes('\u0000')) {
        throw new InputError('INPUT_INVALID', 'not an inventory: the file contains NUL bytes (binary data)', {
          file,
        });
      }
      const c = text.charAt(start);
      reader =
        c === '['
          ? new OsqueryArrayReader(file, sink, options)
          : c === '{'
            ? new JsonLinesReader(file, sink, options)
            : new CsvReader(file, sink, options);
    }
    reader.push(text);
  }
  if (reader === undefined) {
    throw new InputError('INPUT_INVALID', 'not an inventory: the input is empty', { file });
  }
  reader.push(decoder.end());
  reader.end();
  return {
    file,
    format: reader.format,
    gzip: state.gzip,
    rows: reader.rows,
    malformed: reader.malformedRows,
    bytes: state.bytes,
  };
}

interface TextReader {
  readonly format: InventoryFormat;
  readonly rows: number;
  readonly malformedRows: number;
  push(text: string): void;
  end(): void;
}

/** Column index per canonical field (-1: absent). */
type FieldIndexes = Record<CanonicalField, number>;

/**
 * The CSV reader's reusable row: hostname and platform are sliced from the record only when
 * read (most rows never need them: they serve findings, history and platform policies).
 */
class CsvRow implements InventoryRow {
  tenant = '';
  endpoint = '';
  product = '';
  version = '';
  sha256 = '';
  lastSeen = Number.NaN;
  text = '';
  hostnameStart = 0;
  hostnameEnd = 0;
  platformStart = 0;
  platformEnd = 0;
  private hostnameValue: string | undefined;
  private platformValue: string | undefined;

  get hostname(): string {
    this.hostnameValue ??= this.text.slice(this.hostnameStart, this.hostnameEnd);
    return this.hostnameValue;
  }

  set hostname(value: string) {
    this.hostnameValue = value;
  }

  get platform(): string {
    this.platformValue ??= this.text.slice(this.platformStart, this.platformEnd);
    return this.platformValue;
  }

  set platform(value: string) {
    this.platformValue = value;
  }

  /** Points the lazy fields at a new record. */
  reset(
    text: string,
    hostnameStart: number,
    hostnameEnd: number,
    platformStart: number,
    platformEnd: number,
  ): void {
    this.text = text;
    this.hostnameStart = hostnameStart;
    this.hostnameEnd = hostnameEnd;
    this.platformStart = platformStart;
    this.platformEnd = platformEnd;
    this.hostnameValue = undefined;
    this.platformValue = undefined;
  }
}

class CsvReader implements TextReader {
  readonly format = 'csv';
  rows = 0;
  malformedRows = 0;
  private readonly parser: CsvParser;
  private indexes: FieldIndexes | undefined;
  private width = 0;
  private readonly row = new CsvRow();
  private readonly digests = new CanonicalDigests();
  private readonly file: string;
  private readonly sink: InventorySink;
  private readonly options: InventoryReadOptions;

  constructor(file: string, sink: InventorySink, options: InventoryReadOptions) {
    this.file = file;
    this.sink = sink;
    this.options = options;
    this.parser = new CsvParser(
      {
        record: (text, starts, ends, count, line) => {
          this.record(text, starts, ends, count, line);
        },
        malformed: (line, reason) => {
          this.bad(line, reason);
        },
      },
      { maxRecordChars: options.maxRecordChars },
    );
  }

  push(text: string): void {
    this.parser.push(text);
  }

  end(): void {
    this.parser.end();
  }

  private bad(line: number, reason: string): void {
    this.malformedRows++;
    this.sink.malformed(this.file, line, reason);
  }

  /** First record: a header (names we know, or names from --columns) or data in canonical order. */
  private layout(fields: readonly string[], line: number): boolean {
    const mapping = this.options.columns ?? {};
    const normalised = fields.map(normaliseColumnName);
    const indexes = Object.fromEntries(CANONICAL_FIELDS.map((f) => [f, -1])) as FieldIndexes;
    let known = 0;
    normalised.forEach((name, index) => {
      const field = fieldForColumnName(name);
      if (field !== undefined && indexes[field] === -1) {
        indexes[field] = index;
        known++;
      }
    });
    for (const field of CANONICAL_FIELDS) {
      const wanted = mapping[field];
      if (typeof wanted === 'string') {
        const index = normalised.indexOf(normaliseColumnName(wanted));
        if (index !== -1) {
          indexes[field] = index;
          known++;
        } else if (known > 0) {
          throw new InputError(
            'INPUT_INVALID',
            `--columns maps ${field} to '${wanted}', but the header has no such column`,
            { file: this.file, line },
          );
        }
      }
    }
    let isHeader = known >= 2;
    if (!isHeader) {
      // No header: canonical column order, or 1-based positions from --columns.
      CANONICAL_FIELDS.forEach((field, index) => (indexes[field] = index < fields.length ? index : -1));
      for (const field of CANONICAL_FIELDS) {
        const wanted = mapping[field];
        if (typeof wanted === 'number') indexes[field] = wanted - 1;
      }
      const positional = Object.values(mapping).some((v) => typeof v === 'number');
      if (!positional && fields.length < 5) {
        throw new InputError(
          'INPUT_INVALID',
          `not an inventory: the first line has no recognised header (${COLUMN_ALIASES.product.slice(0, 3).join('/')}, ${COLUMN_ALIASES.version.slice(0, 2).join('/')}, ...) and only ${fields.length} column(s)`,
          { file: this.file, line },
        );
      }
    } else {
      const missing = REQUIRED_FIELDS.filter(
        (f) =>
          indexes[f] === -1 &&
          !(f === 'tenant' && this.options.defaultTenant !== undefined) &&
          !(f === 'endpoint' && indexes.hostname !== -1),
      );
      if (missing.length > 0) {
        throw new InputError(
          'INPUT_INVALID',
          `not an inventory: the header has no column for ${missing.join(', ')} (map one with --columns)`,
          {
            file: this.file,
            line,
          },
        );
      }
      isHeader = true;
    }
    this.indexes = indexes;
    this.width = Math.max(...Object.values(indexes)) + 1;
    return isHeader;
  }

  private record(text: string, starts: Int32Array, ends: Int32Array, count: number, line: number): void {
    let indexes = this.indexes;
    if (indexes === undefined) {
      if (this.layout(recordFields(text, starts, ends, count), line)) return;
      indexes = this.indexes; // set by layout()
      if (indexes === undefined) return;
    }
    if (count < this.width) {
      this.bad(line, `expected at least ${this.width} fields, found ${count}`);
      return;
    }
    const row = this.row;
    let i = indexes.tenant;
    row.tenant = i >= 0 ? text.slice(starts[i], ends[i]) : '';
    if (row.tenant === '' && this.options.defaultTenant !== undefined)
      row.tenant = this.options.defaultTenant;
    i = indexes.endpoint;
    row.endpoint = i >= 0 ? text.slice(starts[i], ends[i]) : '';
    i = indexes.product;
    row.product = i >= 0 ? text.slice(starts[i], ends[i]) : '';
    i = indexes.version;
    row.version = i >= 0 ? text.slice(starts[i], ends[i]) : '';
    const h = indexes.hostname;
    const p = indexes.platform;
    row.reset(
      text,
      h >= 0 ? (starts[h] as number) : 0,
      h >= 0 ? (ends[h] as number) : 0,
      p >= 0 ? (starts[p] as number) : 0,
      p >= 0 ? (ends[p] as number) : 0,
    );
    // sha256: checked in finishRow (known digests, else a regular expression).
    i = indexes.sha256;
    row.sha256 = i >= 0 ? text.slice(starts[i], ends[i]) : '';
    const timeIndex = indexes.last_seen;
    // The common `YYYY-MM-DDTHH:MM:SS[.mmm]Z` is parsed in place; anything else is sliced.
    const fastTime =
      timeIndex >= 0 ? parseIsoUtcAt(text, starts[timeIndex] as number, ends[timeIndex] as number) : -1;
    const reason = finishRow(
      row,
      fastTime >= 0 ? '' : timeIndex >= 0 ? text.slice(starts[timeIndex], ends[timeIndex]) : '',
      this.digests,
    );
    if (fastTime >= 0) row.lastSeen = fastTime;
    if (reason !== undefined) {
      this.bad(line, reason);
      return;
    }
    this.rows++;
    this.sink.row(row, this.file, line);
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

/** Maps one JSON object to the row; osquery result events and table rows included. */
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

  constructor(file: string, sink: InventorySink, options: InventoryReadOptions) {
    this.file = file;
    this.sink = sink;
    this.options = options;
    this.fileEndpoint = basename(file).replace(/\.(json|jsonl|ndjson)(\.gz)?$/i, '');
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

  /** Accepts one parsed JSON value; returns false when it is not an object at all. */
  accept(value: unknown, line: number): boolean {
    if (!isObject(value)) {
      this.bad(line, `expected a JSON object, found ${Array.isArray(value) ? 'an array' : typeof value}`);
      return false;
    }
    if (isObject(value['columns'])) {
      this.osquery(value['columns'], value, line);
      return true;
    }
    const snapshot = value['snapshot'];
    if (Array.isArray(snapshot)) {
      for (const entry of snapshot) {
        if (isObject(entry)) this.osquery(entry, value, line);
        else this.bad(line, 'osquery snapshot entry is not an object');
      }
      return true;
    }
    if (osqueryTable(value) !== undefined && !('tenant' in value) && !('endpoint' in value)) {
      this.osquery(value, {}, line);
      return true;
    }
    const row = this.row;
    row.tenant = row.endpoint = row.hostname = row.product = row.version = row.sha256 = row.platform = '';
    let lastSeen = '';
    for (const key of Object.keys(value)) {
      const field = this.fieldOf(key);
      if (field === null) continue;
      const v = text(value[key]);
      switch (field) {
        case 'last_seen':
          lastSeen = typeof value[key] === 'number' ? String(Math.trunc(value[key])) : v;
          break;
        default:
          if (row[field] === '') row[field] = v;
      }
    }
    if (row.tenant === '' && this.options.defaultTenant !== undefined)
      row.tenant = this.options.defaultTenant;
    this.emit(lastSeen, line);
    return true;
  }

  /** An osquery row (programs, deb_packages, rpm_packages, apps) with the event around it. */
  private osquery(columns: JsonObject, event: JsonObject, line: number): void {
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
    row.platform =
      table === 'programs'
        ? 'windows'
        : table === 'apps'
          ? 'darwin'
          : table === undefined
            ? text(columns['platform'])
            : 'linux';
    const time = event['unixTime'] ?? event['calendarTime'] ?? '';
    this.emit(typeof time === 'number' ? String(Math.trunc(time)) : text(time), line);
  }

  private emit(lastSeen: string, line: number): void {
    const reason = finishRow(this.row, lastSeen, this.digests);
    if (reason !== undefined) {
      this.bad(line, reason);
      return;
    }
    this.rows++;
    this.sink.row(this.row, this.file, line);
  }
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
  private line = 1;
  private readonly file: string;
  private readonly maxChars: number;

  constructor(file: string, sink: InventorySink, options: InventoryReadOptions) {
    this.file = file;
    this.mapper = new JsonRowMapper(file, sink, options);
    this.maxChars = options.maxRecordChars;
  }

  get rows(): number {
    return this.mapper.rows;
  }

  get malformedRows(): number {
    return this.mapper.malformedRows;
  }

  push(chunk: string): void {
    const text = this.carry === '' ? chunk : this.carry + chunk;
    let position = 0;
    for (;;) {
      const end = text.indexOf('\n', position);
      if (end === -1) break;
      this.lineOf(text, position, end);
      position = end + 1;
    }
    this.carry = text.slice(position);
    if (this.carry.length > this.maxChars) {
      this.mapper.bad(this.line, `line longer than ${this.maxChars} characters`);
      this.carry = '';
      this.skipRest = true;
    }
  }

  private skipRest = false;

  end(): void {
    if (this.carry !== '') this.lineOf(this.carry, 0, this.carry.length);
    this.carry = '';
  }

  private lineOf(text: string, start: number, end: number): void {
    const line = this.line++;
    if (this.skipRest) {
      // The tail of an over-long line: already reported.
      this.skipRest = false;
      return;
    }
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
        throw new InputError(
          'INPUT_INVALID',
          `not an inventory: the first line is not JSON (${errorMessage(error)})`,
          { file: this.file, line },
        );
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

  push(text: string): void {
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
  }

  end(): void {
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
  }
}
