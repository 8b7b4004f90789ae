import { InputError } from '../errors.ts';
import {
  COLUMN_ALIASES,
  REQUIRED_FIELDS,
  fieldForColumnName,
  normaliseColumnName,
  type ColumnMapping,
} from './columns.ts';
import { CanonicalDigests, finishRow } from './row-normalise.ts';
import { PRESETS, type PresetName } from './presets.ts';
import { parseIsoUtcAt, type DateOrder } from './timestamp.ts';
import { CANONICAL_FIELDS, type CanonicalField, type InventoryRow } from './types.ts';

/** Column index per canonical field (-1: absent). */
export type FieldIndexes = Record<CanonicalField, number>;

/**
 * The CSV reader's reusable row: hostname and platform are sliced from the record only when
 * read (most rows never need them: they serve findings, history and platform policies).
 */
export class CsvRow implements InventoryRow {
  tenant = '';
  endpoint = '';
  product = '';
  version = '';
  sha256 = '';
  lastSeen = Number.NaN;
  instance = '';
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

/** Where each canonical field is in a CSV record; the same for every record of a file. */
export interface CsvLayout {
  readonly indexes: FieldIndexes;
  /** Fields a data record must have at least. */
  readonly width: number;
}

export interface CsvMappingOptions {
  /** Column names or positions per field (a preset's, with `--columns` on top). */
  readonly columns?: ColumnMapping;
  /** Tenant for rows that carry none. */
  readonly defaultTenant?: string;
  /** How to read numeric dates whose day/month order they do not show. */
  readonly dateOrder?: DateOrder;
  /** The named preset the columns come from (its columns must all be in the header). */
  readonly preset?: PresetName;
}

/**
 * Turns CSV records into canonical rows: finds the layout from the first record (a header, or
 * data in canonical column order), then maps each data record into one reused row.
 */
export class CsvRecordMapper {
  readonly row = new CsvRow();
  layout: CsvLayout | undefined;
  private readonly digests = new CanonicalDigests();
  private readonly file: string;
  private readonly options: CsvMappingOptions;

  constructor(file: string, options: CsvMappingOptions, layout?: CsvLayout) {
    this.file = file;
    this.options = options;
    this.layout = layout;
  }

  /**
   * Finds the layout from the first record: a header (names we know, or names from --columns)
   * or data in canonical order. `header` says whether the record was a header (not a row).
   */
  detectLayout(
    fields: readonly string[],
    line: number,
  ): { readonly layout: CsvLayout; readonly header: boolean } {
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
        } else if (
          this.options.preset !== undefined &&
          PRESETS[this.options.preset].columns[field] === wanted
        ) {
          throw new InputError(
            'INPUT_INVALID',
            `--preset ${this.options.preset} expects a column '${wanted}' for ${field} (${PRESETS[this.options.preset].source}); the header has ${fields.map((f) => `'${f}'`).join(', ')}`,
            { file: this.file, line },
          );
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
          `not an inventory: the header has no column for ${missing.join(', ')} (map one with --columns${missing.includes('tenant') ? ', or give every row a tenant with --tenant' : ''}); expected names such as ${missing.map((f) => COLUMN_ALIASES[f].slice(0, 3).join('/')).join('; ')}`,
          {
            file: this.file,
            line,
          },
        );
      }
      isHeader = true;
    }
    this.layout = { indexes, width: Math.max(...Object.values(indexes)) + 1 };
    return { layout: this.layout, header: isHeader };
  }

  /**
   * Maps one data record (after the layout is known) into `row`. Returns the reason when the
   * record is malformed, undefined when `row` holds it.
   */
  map(text: string, starts: Int32Array, ends: Int32Array, count: number): string | undefined {
    const layout = this.layout;
    if (layout === undefined) throw new Error('CsvRecordMapper.map called before the layout is known');
    const indexes = layout.indexes;
    if (count < layout.width) return `expected at least ${layout.width} fields, found ${count}`;
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
    i = indexes.instance;
    row.instance = i >= 0 ? text.slice(starts[i], ends[i]) : '';
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
      this.options.dateOrder,
    );
    if (fastTime >= 0) row.lastSeen = fastTime;
    return reason;
  }
}
