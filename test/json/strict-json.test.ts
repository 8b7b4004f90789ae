import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { parseStrictJson } from '../../src/json/strict-json.ts';

const parse = (text: string) => parseStrictJson(text, 'doc.json');

describe('parseStrictJson', () => {
  it('agrees with JSON.parse on every JSON value without duplicate keys', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), (value) => {
        const text = JSON.stringify(value);
        expect(JSON.stringify(parse(text).value)).toBe(JSON.stringify(JSON.parse(text)));
      }),
      { numRuns: 500 },
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

  it('does not let "__proto__" keys pollute prototypes', () => {
    const value = parse('{"__proto__": {"polluted": true}}').value as Record<string, unknown>;
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(Object.keys(value)).toEqual(['__proto__']);
  });
});
