import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseStrictJson } from '../../src/json/strict-json.ts';
import { fuzzParameters } from '../helpers/fuzz.ts';

const parse = (text: string) => parseStrictJson(text, 'doc.json');

describe('parseStrictJson', () => {
  it('fuzz: agrees with JSON.parse on every JSON value without duplicate keys', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const text = JSON.stringify(value);
        expect(JSON.stringify(parse(text).value)).toBe(JSON.stringify(JSON.parse(text)));
      }),
      fuzzParameters(500),
    );
  });

  it('rejects a duplicate key with its pointer, line and column', () => {
    expect(() => parse('{\n  "a": {\n    "b": 1,\n    "b": 2\n  }\n}')).toThrow(
      /doc\.json:4:5 at \/a\/b: duplicate key "b"/,
    );
  });

  it('escapes pointer tokens per RFC 6901', () => {
    const parsed = parse('{"a/b": {"c~d": 1}}');
    expect(parsed.positionOf('/a~1b/c~0d')).toEqual({ line: 1, column: 17 });
  });

  it.each([
    ['{"a": 1,}', /expected a string key/],
    ['[1, 2', /expected ',' or '\]'/],
    ['{"a" 1}', /expected ':'/],
    ['"\u0001"', /control character/],
    ['"\\x"', /invalid escape/],
    ['"\\u12"', /invalid \\u escape/],
    ['01', /unexpected data/],
    ['1e999', /number out of range/],
    ['NaN', /expected a JSON value/],
    ['', /expected a JSON value/],
    ['{} x', /unexpected data after/],
  ])('rejects %j', (text, expected) => {
    expect(() => parse(text)).toThrow(expected);
  });

  it('bounds nesting and array length', () => {
    expect(() => parseStrictJson('[[[[1]]]]', 'd.json', { maxDepth: 3 })).toThrow(
      /nesting deeper than 3 levels/,
    );
    expect(() => parseStrictJson('[1,2,3,4]', 'd.json', { maxArrayLength: 3 })).toThrow(
      /array longer than 3 elements/,
    );
  });

  it('gives every object a null prototype, at every level', () => {
    const value = parse('{"a": [{"b": {"toString": 1}}], "c": {}}').value as Record<string, unknown>;
    const inner = (value['a'] as Record<string, unknown>[])[0] as Record<string, unknown>;
    for (const object of [value, inner, inner['b'], value['c']])
      expect(Object.getPrototypeOf(object)).toBeNull();
    expect(Object.keys(value['c'] as object)).toEqual([]);
    expect('toString' in (value['c'] as object)).toBe(false);
  });

  it('counts only the colons between keys and values: colons and quotes inside strings are text', () => {
    const value = parse('{"k\\":": "a:b", "k": "\\\\", "x": ":"}').value as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['k":', 'k', 'x']);
    expect(() => parse('{"a": "x:\\"y", "b": [{"c": 1, "d": ":"}], "a": 1}')).toThrow(
      /doc\.json:1:43 at \/a: duplicate key "a"/,
    );
  });

  it('fuzz: rejects a repeated key wherever it is, however the rest of the document looks', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 3 }), { minKeys: 1 }),
        fc.nat(),
        (object, pick) => {
          const keys = Object.keys(object);
          const repeated = keys[pick % keys.length] ?? '';
          const text = `{"wrapper": [${JSON.stringify(object).slice(0, -1)}, ${JSON.stringify(repeated)}: 0}]}`;
          expect(() => parse(text)).toThrow(/duplicate key/);
        },
      ),
      fuzzParameters(200),
    );
  });

  it('accepts nesting and arrays exactly at their limits', () => {
    expect(parseStrictJson('[[[1]]]', 'd.json', { maxDepth: 3 }).value).toEqual([[[1]]]);
    expect(parseStrictJson('[1,2,3]', 'd.json', { maxArrayLength: 3 }).value).toEqual([1, 2, 3]);
    expect(() => parseStrictJson('{"a": {"b": {"c": {}}}}', 'd.json', { maxDepth: 3 })).toThrow(
      /at \/a\/b\/c: nesting deeper than 3 levels/,
    );
  });

  it('does not let "__proto__" keys pollute prototypes', () => {
    const value = parse('{"__proto__": {"polluted": true}}').value as Record<string, unknown>;
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(value)).toEqual(['__proto__']);
  });
});
