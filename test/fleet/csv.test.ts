import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { CsvParser, recordFields } from '../../src/fleet/csv.ts';
import { fuzzParameters } from '../helpers/fuzz.ts';

interface Parsed {
  records: { fields: string[]; line: number }[];
  malformed: { line: number; reason: string }[];
}

function parse(chunks: readonly string[], maxRecordChars = 1 << 20, maxSkipChars?: number): Parsed {
  return parseWith(chunks, maxRecordChars, maxSkipChars).out;
}

function parseWith(
  chunks: readonly string[],
  maxRecordChars: number,
  maxSkipChars?: number,
): { out: Parsed; parser: CsvParser } {
  const out: Parsed = { records: [], malformed: [] };
  const parser = new CsvParser(
    {
      record: (text, starts, ends, count, line) =>
        out.records.push({ fields: recordFields(text, starts, ends, count), line }),
      malformed: (line, reason) => out.malformed.push({ line, reason }),
    },
    { maxRecordChars, file: 'in.csv', ...(maxSkipChars !== undefined ? { maxSkipChars } : {}) },
  );
  for (const chunk of chunks) parser.push(chunk);
  parser.end();
  return { out, parser };
}

/** `text` cut into chunks of `size` characters. */
function chunksOf(text: string, size: number): string[] {
  const chunks: string[] = [];
  for (let i = 0; i < text.length; i += size) chunks.push(text.slice(i, i + size));
  return chunks;
}

const fields = (p: Parsed) => p.records.map((r) => r.fields);

// [input, expected records, invariant]
const WELL_FORMED: readonly [string, string[][], string][] = [
  [
    'a,b,c\n1,2,3\n',
    [
      ['a', 'b', 'c'],
      ['1', '2', '3'],
    ],
    'plain records',
  ],
  [
    'a,b\r\n1,2\r\n',
    [
      ['a', 'b'],
      ['1', '2'],
    ],
    'CRLF line breaks are not part of the last field',
  ],
  [
    'a,b\n1,2',
    [
      ['a', 'b'],
      ['1', '2'],
    ],
    'a last record without a line break is read',
  ],
  ['"x,y",z\n', [['x,y', 'z']], 'a quoted comma is data'],
  ['"say ""hi""",2\n', [['say "hi"', '2']], 'doubled quotes are one quote (RFC 4180 §2.7)'],
  [
    '"line1\nline2",b\nc,d\n',
    [
      ['line1\nline2', 'b'],
      ['c', 'd'],
    ],
    'line breaks inside quotes are data',
  ],
  [
    'a,,c\n,\n',
    [
      ['a', '', 'c'],
      ['', ''],
    ],
    'empty fields are kept',
  ],
  ['"",x\n', [['', 'x']], 'an empty quoted field'],
  ['a\n\nb\n', [['a'], ['b']], 'blank lines are skipped'],
  [
    'x,"q"\r\ny,z\r\n',
    [
      ['x', 'q'],
      ['y', 'z'],
    ],
    'CRLF after a closing quote',
  ],
];

describe('CsvParser', () => {
  it.each(WELL_FORMED)('%j', (input, expected) => {
    const result = parse([input]);
    expect(result.malformed).toEqual([]);
    expect(fields(result)).toEqual(expected);
  });

  it('reports the line of each record, counting line breaks inside quotes', () => {
    const result = parse(['h\n"a\nb"\nc\n']);
    expect(result.records.map((r) => r.line)).toEqual([1, 2, 4]);
  });

  it('fuzz: gives the same records however the text is split into chunks', () => {
    const sample = 'tenant,product\n"a ""1""",b\n"x\r\ny",z\r\nplain,row\n"end",""\n';
    const whole = parse([sample]);
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: sample.length }), { maxLength: 6 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks: string[] = [];
        let from = 0;
        for (const p of points) {
          chunks.push(sample.slice(from, p));
          from = p;
        }
        chunks.push(sample.slice(from));
        const split = parse(chunks);
        expect(fields(split)).toEqual(fields(whole));
        expect(split.records.map((r) => r.line)).toEqual(whole.records.map((r) => r.line));
      }),
      fuzzParameters(100),
    );
  });

  it('round-trips any fields quoted the RFC 4180 way', () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.string({ maxLength: 8 }), { minLength: 2, maxLength: 4 }), {
          minLength: 1,
          maxLength: 5,
        }),
        (rows) => {
          const text = rows.map((r) => r.map((f) => `"${f.replaceAll('"', '""')}"`).join(',')).join('\r\n');
          expect(fields(parse([text]))).toEqual(rows);
        },
      ),
    );
  });

  // [input, line of the malformed record, reason fragment, records still read]
  const MALFORMED: readonly [string, number, string, string[][]][] = [
    ['a,b"c\nok,1\n', 1, 'quote inside unquoted field', [['ok', '1']]],
    ['"a"x,b\nok,1\n', 1, 'after closing quote', [['ok', '1']]],
  ];
  it.each(MALFORMED)('skips malformed %j and goes on', (input, line, reason, rest) => {
    const result = parse([input]);
    expect(result.malformed).toHaveLength(1);
    expect(result.malformed[0]?.line).toBe(line);
    expect(result.malformed[0]?.reason).toContain(reason);
    expect(fields(result)).toEqual(expect.arrayContaining(rest));
  });

  it('refuses a quoted field still open at the end of the input, with its line', () => {
    for (const input of ['ok,1\n"never closed,2\n', 'ok,1\nx,"open\nmore\n']) {
      expect(() => parse([input])).toThrow(/in\.csv:2: a quoted field opened on this line is not closed/);
      for (let cut = 0; cut <= input.length; cut++)
        expect(() => parse([input.slice(0, cut), input.slice(cut)])).toThrow(/in\.csv:2:/);
    }
  });

  it('bounds a quoted field that never ends instead of buffering the whole input', () => {
    const chunks = ['a,b\n"', ...Array.from({ length: 50 }, () => 'x'.repeat(100)), '\nok,1\n'];
    // Everything after the open quote is inside it: the end of the input comes first.
    expect(() => parse(chunks, 1000)).toThrow(/in\.csv:2: a quoted field opened on this line is not closed/);
    const { parser } = parseWith([...chunks, '"\nlast,2\n'], 1000);
    expect(parser.maxCarriedChars).toBeLessThanOrEqual(1000);
  });

  it('skips a record longer than the limit to its RFC 4180 end, the same for every chunking', () => {
    // A quoted field of 300 lines that each look like a record: none of them may be read.
    const input = `h,x\n"${'ok,1\n'.repeat(300)}",z\nlast,1\n"short\nquoted",2\n`;
    const expected: Parsed = {
      records: [
        { fields: ['h', 'x'], line: 1 },
        { fields: ['last', '1'], line: 303 },
        { fields: ['short\nquoted', '2'], line: 304 },
      ],
      malformed: [{ line: 2, reason: 'record longer than 1000 characters' }],
    };
    for (const size of [1, 7, 64, 999, 1000, 1001, 1500, 5000, input.length]) {
      const { out, parser } = parseWith(chunksOf(input, size), 1000);
      expect(out, `chunks of ${size}`).toEqual(expected);
      expect(parser.maxCarriedChars, `chunks of ${size}`).toBeLessThanOrEqual(1000);
    }
  });

  it('stops with an input error when one record goes on past the skip limit', () => {
    // An unclosed quote in a large file: the read stops after about maxSkipChars characters,
    // not at the end of the input; memory stays within maxRecordChars.
    let pushed = 0;
    const out: Parsed = { records: [], malformed: [] };
    const parser = new CsvParser(
      {
        record: (text, starts, ends, count, line) =>
          out.records.push({ fields: recordFields(text, starts, ends, count), line }),
        malformed: (line, reason) => out.malformed.push({ line, reason }),
      },
      { maxRecordChars: 1000, maxSkipChars: 10_000, file: 'big.csv' },
    );
    const row = 'tenant,endpoint,product,1.0\n';
    const push = () => {
      parser.push('a,b\nx,"unclosed\n');
      for (let i = 0; i < 100_000; i++) {
        pushed += row.length;
        parser.push(row);
      }
      parser.end();
    };
    expect(push).toThrow(
      /big\.csv:2: a record goes on for more than 10000 characters .*a quoted field is never closed/,
    );
    expect(pushed).toBeLessThanOrEqual(1000 + 10_000 + row.length);
    expect(parser.maxCarriedChars).toBeLessThanOrEqual(1000);
    expect(out.malformed).toEqual([{ line: 2, reason: 'record longer than 1000 characters' }]);
    // A line without any line break is refused the same way.
    expect(() => parse(chunksOf('a,b\n' + 'y'.repeat(50_000), 100), 1000, 10_000)).toThrow(
      /in\.csv:2: .*no line breaks/,
    );
  });

  it('reports malformed records the same wherever the chunks are cut', () => {
    // A bad record with a quoted line break must be skipped to the end of its own line even when
    // that line ends in a later chunk; later records keep their line numbers.
    const inputs = ['x,"a\nb"z,tail\nok,1\n', 'x,"a\nb",c"d,tail\nok,1\n', 'h,"q\nq"\n"bad"x,more\nok,2\n'];
    for (const input of inputs) {
      const whole = parse([input]);
      expect(whole.malformed.length).toBeGreaterThan(0);
      for (let a = 0; a <= input.length; a++)
        for (let b = a; b <= input.length; b++) {
          const split = parse([input.slice(0, a), input.slice(a, b), input.slice(b)]);
          expect(split, `${JSON.stringify(input)} cut at ${a}, ${b}`).toEqual(whole);
        }
    }
  });

  it('drops a line longer than the limit without buffering it, then goes on', () => {
    const chunks = ['a,b\n', ...Array.from({ length: 50 }, () => 'x'.repeat(100)), '\nok,1\n'];
    const result = parse(chunks, 1000);
    expect(result.malformed).toEqual([{ line: 2, reason: 'record longer than 1000 characters' }]);
    expect(result.records).toEqual([
      { fields: ['a', 'b'], line: 1 },
      { fields: ['ok', '1'], line: 3 },
    ]);
  });

  it('fuzz: gives each record its raw text, which parses again to the same fields', () => {
    const char = fc.constantFrom('a', 'b', ' ', ',', '"', '\r', '\n', 'é', '東', '😀');
    const field = fc.array(char, { maxLength: 6 }).map((chars) => chars.join(''));
    const record = fc.record({
      // [value, quoted even when it need not be]
      fields: fc.array(fc.tuple(field, fc.boolean()), { minLength: 1, maxLength: 5 }),
      crlf: fc.boolean(),
    });
    fc.assert(
      fc.property(
        fc.array(record, { minLength: 1, maxLength: 8 }),
        fc.boolean(),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        (records, finalBreak, cutAt) => {
          // Serialise the RFC 4180 way: quote fields that need it (and a lone empty field, which
          // would otherwise be a blank line), mixing LF and CRLF record ends.
          let text = '';
          let line = 1;
          const expected: { fields: string[]; line: number; serial: string }[] = [];
          records.forEach((r, i) => {
            const serial = r.fields
              .map(([value, quote]) =>
                quote || /[",\r\n]/.test(value) || (r.fields.length === 1 && value === '')
                  ? `"${value.replaceAll('"', '""')}"`
                  : value,
              )
              .join(',');
            expected.push({ fields: r.fields.map(([value]) => value), line, serial });
            line += serial.split('\n').length;
            text += serial;
            if (i < records.length - 1 || finalBreak) text += r.crlf ? '\r\n' : '\n';
          });
          const points = [...new Set(cutAt.map((c) => Math.floor(c * text.length)))].sort((a, b) => a - b);
          const chunks: string[] = [];
          let from = 0;
          for (const p of points) {
            chunks.push(text.slice(from, p));
            from = p;
          }
          chunks.push(text.slice(from));

          const seen: { fields: string[]; line: number; raw: string }[] = [];
          const malformed: string[] = [];
          const parser: CsvParser = new CsvParser(
            {
              record: (t, starts, ends, count, recordLine) => {
                seen.push({
                  fields: recordFields(t, starts, ends, count),
                  line: recordLine,
                  raw: parser.source.slice(parser.recordStart, parser.recordEnd),
                });
              },
              malformed: (_line, reason) => malformed.push(reason),
            },
            { maxRecordChars: 1 << 20 },
          );
          for (const chunk of chunks) parser.push(chunk);
          parser.end();

          expect(malformed).toEqual([]);
          expect(seen.map((r) => ({ fields: r.fields, line: r.line }))).toEqual(
            expected.map((e) => ({ fields: e.fields, line: e.line })),
          );
          seen.forEach((r, i) => {
            // The raw record as written; a CRLF's CR may stay at its end (the parser drops it).
            expect([expected[i]!.serial, `${expected[i]!.serial}\r`]).toContain(r.raw);
            const again = parse([r.raw]);
            expect(again.malformed).toEqual([]);
            // One record, the same fields, on the raw text's first line.
            expect(again.records).toEqual([{ fields: r.fields, line: 1 }]);
          });
        },
      ),
      fuzzParameters(300),
    );
  });
});
