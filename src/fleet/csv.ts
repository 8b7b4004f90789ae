import { InputError } from '../errors.ts';

/**
 * A streaming RFC 4180 CSV parser written for throughput: records without a quote character
 * are split with native `indexOf` calls (the common case in exported inventories); a record
 * with a quote goes through a small state machine that handles `""` escapes and line breaks
 * inside quoted fields. Text arrives in chunks of any size; a record split across chunks is
 * carried over. Bare quotes inside unquoted fields, text after a closing quote and unterminated
 * quotes are malformed: the record is skipped (reported with its line) and parsing resumes at
 * the next line.
 */
export interface CsvHandler {
  /**
   * One record: field `i` is `text.slice(starts[i], ends[i])`. Fields are not sliced for the
   * handler, so it pays only for the ones it needs; the arrays are reused for the next record.
   * For a record with quotes, `text` is a string of the unescaped fields.
   */
  record(text: string, starts: Int32Array, ends: Int32Array, count: number, line: number): void;
  malformed(line: number, reason: string): void;
}

/** Slices all fields of a record (for headers and tests). */
export function recordFields(text: string, starts: Int32Array, ends: Int32Array, count: number): string[] {
  const fields: string[] = [];
  for (let i = 0; i < count; i++) fields.push(text.slice(starts[i], ends[i]));
  return fields;
}

export interface CsvOptions {
  /** A record longer than this (characters) is malformed: bounds the carried-over text. */
  readonly maxRecordChars: number;
  /** Characters of one over-long record skipped before the input is refused (default: no limit). */
  readonly maxSkipChars?: number;
  /** Named in input errors. */
  readonly file?: string;
  /** Line number of the first line (default 1: lines skipped before the text count). */
  readonly firstLine?: number;
}

const QUOTE = 34;
const COMMA = 44;
const LF = 10;
const CR = 13;

export class CsvParser {
  private readonly handler: CsvHandler;
  private readonly maxRecordChars: number;
  private readonly maxSkipChars: number;
  private readonly file: string | undefined;
  private readonly fields: string[] = [];
  private starts = new Int32Array(64);
  private ends = new Int32Array(64);
  private carry = '';
  /** Dropping the rest of an over-long record (see skipScan). */
  private skipping = false;
  /** In skip mode: inside a quoted field. */
  private skipQuoted = false;
  /** In skip mode: characters skipped so far, and the record's first line. */
  private skipChars = 0;
  private skipLine = 0;
  /** The longest text ever carried over between chunks (a bound the tests check). */
  maxCarriedChars = 0;
  /** Line number of the first line in `carry` (or of the next text when carry is empty). */
  private line = 1;
  /**
   * While `record()` runs: the text being parsed and the raw record's range in it (quotes and
   * escapes as written), so that a record can be handed on and parsed again later.
   */
  source = '';
  /** Changes with `source` (a new number per parsed text: equal texts can be told apart). */
  sourceNumber = 0;
  recordStart = 0;
  recordEnd = 0;

  constructor(handler: CsvHandler, options: CsvOptions) {
    this.handler = handler;
    this.maxRecordChars = options.maxRecordChars;
    this.maxSkipChars = options.maxSkipChars ?? Number.POSITIVE_INFINITY;
    this.file = options.file;
    this.line = options.firstLine ?? 1;
  }

  /**
   * Parses every complete record in `chunk` (plus what was carried over). The carried record is
   * finished with the chunk's first line: a concatenation with the whole chunk would be copied
   * whole the first time it is read. Only a quoted record that goes on past that line is parsed
   * from a concatenation. So records arrive with `source` either the chunk or a short string.
   */
  push(chunk: string): void {
    let text = chunk;
    let from = 0;
    if (this.skipping) {
      const after = this.skipScan(chunk, 0);
      if (after === -1) return;
      from = after;
    } else if (this.carry !== '') {
      const lf = chunk.indexOf('\n');
      if (lf === -1) {
        this.carry += chunk;
        if (this.carry.length > this.maxRecordChars) {
          const carry = this.carry;
          this.carry = '';
          this.parseFrom(carry, 0);
        } else this.noteCarry();
        return;
      }
      const head = this.carry + chunk.slice(0, lf + 1);
      this.carry = '';
      const rest = this.parse(head, false, 0);
      if (rest === head.length) from = lf + 1;
      else text = head.slice(rest) + chunk.slice(lf + 1);
    }
    this.parseFrom(text, from);
  }

  /**
   * Parses `text` from `from`, then carries an incomplete last record, or, when it is already
   * longer than `maxRecordChars`, reports it and skips it (and goes on after it if it ends here).
   */
  private parseFrom(text: string, from: number): void {
    let position = from;
    for (;;) {
      const rest = this.parse(text, false, position);
      if (rest >= text.length) return;
      if (text.length - rest <= this.maxRecordChars) {
        this.carry = text.slice(rest);
        this.noteCarry();
        return;
      }
      this.handler.malformed(this.line, `record longer than ${this.maxRecordChars} characters`);
      this.skipping = true;
      this.skipQuoted = false;
      this.skipChars = 0;
      this.skipLine = this.line;
      position = this.skipScan(text, rest);
      if (position === -1) return;
    }
  }

  private noteCarry(): void {
    if (this.carry.length > this.maxCarriedChars) this.maxCarriedChars = this.carry.length;
  }

  /**
   * Skip mode: looks for the end of the skipped record (a line break outside quotes; every
   * quote character toggles), counting its lines. Returns the index after that line break, or
   * -1 when the record goes on past `text` (the state carries over to the next chunk).
   */
  private skipScan(text: string, from: number): number {
    const length = text.length;
    let quoted = this.skipQuoted;
    let position = from;
    let lf = text.indexOf('\n', position);
    let quote = text.indexOf('"', position);
    for (;;) {
      if (lf !== -1 && lf < position) lf = text.indexOf('\n', position);
      if (quote !== -1 && quote < position) quote = text.indexOf('"', position);
      if (lf !== -1 && (quote === -1 || lf < quote)) {
        this.line++;
        if (!quoted) {
          this.skipping = false;
          this.skipQuoted = false;
          this.checkSkip(lf + 1 - from);
          return lf + 1;
        }
        position = lf + 1;
        continue;
      }
      if (quote === -1) break;
      quoted = !quoted;
      position = quote + 1;
    }
    this.skipQuoted = quoted;
    this.checkSkip(length - from);
    return -1;
  }

  private checkSkip(chars: number): void {
    this.skipChars += chars;
    if (this.skipChars > this.maxSkipChars) {
      throw new InputError(
        'INPUT_INVALID',
        `a record goes on for more than ${this.maxSkipChars} characters without a line break outside quotes (${this.skipQuoted ? 'a quoted field is never closed' : 'no line breaks'}); expected CSV records of at most ${this.maxRecordChars} characters`,
        { ...(this.file !== undefined ? { file: this.file } : {}), line: this.skipLine },
      );
    }
  }

  private unterminated(line: number): InputError {
    return new InputError(
      'INPUT_INVALID',
      'a quoted field opened on this line is not closed before the end of the input (expected a closing quote: a truncated or broken CSV export)',
      { ...(this.file !== undefined ? { file: this.file } : {}), line },
    );
  }

  /** Parses the last record when the input does not end with a line break. */
  end(): void {
    if (this.skipping) {
      this.skipping = false;
      if (this.skipQuoted) throw this.unterminated(this.skipLine);
      return;
    }
    if (this.carry !== '') {
      const text = this.carry;
      this.carry = '';
      this.parse(text, true, 0);
    }
  }

  /** Parses from `position`; returns the index where unparsed text starts. */
  private parse(text: string, final: boolean, position: number): number {
    this.source = text;
    this.sourceNumber++;
    const length = text.length;
    let nextQuote = text.indexOf('"', position);
    if (nextQuote === -1) nextQuote = length;
    while (position < length) {
      let lineEnd = text.indexOf('\n', position);
      if (lineEnd === -1) {
        if (!final) return position;
        lineEnd = length;
      }
      if (nextQuote < position) {
        nextQuote = text.indexOf('"', position);
        if (nextQuote === -1) nextQuote = length;
      }
      if (nextQuote >= lineEnd) {
        // Fast path: no quote in this record.
        let end = lineEnd;
        if (end > position && text.charCodeAt(end - 1) === CR) end--;
        if (end - position > this.maxRecordChars) {
          this.handler.malformed(this.line, `record longer than ${this.maxRecordChars} characters`);
        } else if (end > position) {
          let count = 0;
          let start = position;
          let starts = this.starts;
          let ends = this.ends;
          for (;;) {
            if (count === starts.length) {
              this.grow();
              starts = this.starts;
              ends = this.ends;
            }
            const comma = text.indexOf(',', start);
            starts[count] = start;
            if (comma === -1 || comma >= end) {
              ends[count++] = end;
              break;
            }
            ends[count++] = comma;
            start = comma + 1;
          }
          this.recordStart = position;
          this.recordEnd = end;
          this.handler.record(text, starts, ends, count, this.line);
        }
        this.line++;
        position = lineEnd + 1;
        continue;
      }
      const next = this.parseQuoted(text, position, final);
      // Incomplete record at the end of this text: the caller carries or skips it.
      if (next === -1) return position;
      position = next;
    }
    return position;
  }

  private grow(): void {
    const starts = new Int32Array(this.starts.length * 2);
    const ends = new Int32Array(this.ends.length * 2);
    starts.set(this.starts);
    ends.set(this.ends);
    this.starts = starts;
    this.ends = ends;
  }

  /** Hands the unescaped fields of a quoted record to the handler as one string with offsets. */
  private emitFields(line: number, recordEnd: number): void {
    this.recordEnd = recordEnd;
    if (recordEnd - this.recordStart > this.maxRecordChars) {
      this.handler.malformed(line, `record longer than ${this.maxRecordChars} characters`);
      return;
    }
    const fields = this.fields;
    while (this.starts.length < fields.length) this.grow();
    let text = '';
    for (let i = 0; i < fields.length; i++) {
      this.starts[i] = text.length;
      text += fields[i] as string;
      this.ends[i] = text.length;
    }
    this.handler.record(text, this.starts, this.ends, fields.length, line);
  }

  /**
   * Parses one record that contains a quote, starting at `start`. Returns the index after it,
   * or -1 when the record is not complete in `text` (and more may come).
   */
  private parseQuoted(text: string, start: number, final: boolean): number {
    const length = text.length;
    const fields = this.fields;
    fields.length = 0;
    this.recordStart = start;
    let position = start;
    let newlines = 0;
    const fail = (at: number, reason: string): number => {
      let resume = text.indexOf('\n', at);
      if (resume === -1) {
        // The bad line goes on in the next chunk: decide there, where its end is known.
        if (!final) return -1;
        resume = length;
      }
      this.handler.malformed(this.line, reason);
      for (let i = at; i < resume; i++) if (text.charCodeAt(i) === LF) newlines++;
      this.line += newlines + 1;
      return resume + 1;
    };
    for (;;) {
      if (position < length && text.charCodeAt(position) === QUOTE) {
        let value = '';
        let from = position + 1;
        for (;;) {
          const close = text.indexOf('"', from);
          if (close === -1) {
            if (!final) return -1;
            throw this.unterminated(this.line);
          }
          if (close + 1 < length && text.charCodeAt(close + 1) === QUOTE) {
            value += text.slice(from, close + 1);
            from = close + 2;
            continue;
          }
          if (close + 1 === length && !final) return -1; // a `""` escape may continue in the next chunk
          value += text.slice(from, close);
          for (let i = position; i < close; i++) if (text.charCodeAt(i) === LF) newlines++;
          position = close + 1;
          break;
        }
        fields.push(value);
        const c = position < length ? text.charCodeAt(position) : -1;
        if (c === COMMA) {
          position++;
          continue;
        }
        if (c === CR && position + 1 < length && text.charCodeAt(position + 1) === LF) position++;
        else if (c === CR && position + 1 === length && !final) return -1;
        if (position < length && text.charCodeAt(position) !== LF) {
          return fail(position, `unexpected character after closing quote in field ${fields.length}`);
        }
        if (position >= length && !final) return -1;
        // The raw record ends before the line break (and the CR of a CRLF).
        this.emitFields(this.line, text.charCodeAt(position - 1) === CR ? position - 1 : position);
        this.line += newlines + 1;
        return position + 1;
      }
      // Unquoted field inside a record that has a quote somewhere.
      let end = position;
      while (end < length) {
        const c = text.charCodeAt(end);
        if (c === COMMA || c === LF) break;
        if (c === QUOTE) return fail(end, `quote inside unquoted field ${fields.length + 1}`);
        end++;
      }
      if (end >= length && !final) return -1;
      const valueEnd =
        end > position &&
        end <= length &&
        text.charCodeAt(end - 1) === CR &&
        (end === length || text.charCodeAt(end) === LF)
          ? end - 1
          : end;
      fields.push(text.slice(position, valueEnd));
      if (end < length && text.charCodeAt(end) === COMMA) {
        position = end + 1;
        continue;
      }
      this.emitFields(this.line, end);
      this.line += newlines + 1;
      return end + 1;
    }
  }
}
