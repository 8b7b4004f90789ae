import { defaults } from '../defaults.ts';
import { InputError } from '../errors.ts';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue };

export interface JsonLimits {
  readonly maxDepth?: number;
  readonly maxArrayLength?: number;
}

export interface ParsedJson {
  readonly value: JsonValue;
  /** Where each value starts, keyed by JSON pointer: for error messages after validation. */
  positionOf(pointer: string): { line: number; column: number } | undefined;
}

/** RFC 6901 escaping of one reference token. */
export function pointerToken(token: string | number): string {
  return String(token).replaceAll('~', '~0').replaceAll('/', '~1');
}

/**
 * RFC 8259 JSON parser for untrusted documents. Unlike JSON.parse it rejects duplicate object
 * keys (which different parsers resolve differently: a signature-confusion risk), bounds nesting
 * and array length, and reports line, column and JSON pointer for every error.
 */
export function parseStrictJson(text: string, file: string, limits: JsonLimits = {}): ParsedJson {
  const maxDepth = limits.maxDepth ?? defaults.maxJsonDepth;
  const maxArrayLength = limits.maxArrayLength ?? defaults.maxJsonArrayLength;
  const positions = new Map<string, number>();
  let index = 0;

  const lineColumn = (at: number): { line: number; column: number } => {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < at && i < text.length; i++) {
      if (text.charCodeAt(i) === 10) {
        line++;
        lineStart = i + 1;
      }
    }
    return { line, column: at - lineStart + 1 };
  };
  const fail = (message: string, pointer: string, at = index): never => {
    const found = at >= text.length ? 'end of input' : JSON.stringify(text.slice(at, at + 12));
    throw new InputError('INPUT_MALFORMED_JSON', `${message}; found ${found}`, {
      file,
      ...lineColumn(at),
      pointer,
    });
  };
  const skipWhitespace = (): void => {
    for (;;) {
      const c = text.charCodeAt(index);
      if (c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d) index++;
      else break;
    }
  };
  const parseString = (pointer: string): string => {
    const start = index;
    index++; // opening quote
    let out = '';
    let runStart = index;
    for (;;) {
      if (index >= text.length) fail('unterminated string', pointer, start);
      const c = text.charCodeAt(index);
      if (c === 0x22) {
        out += text.slice(runStart, index);
        index++;
        return out;
      }
      if (c < 0x20) fail('control character in string (expected \\u escape)', pointer);
      if (c === 0x5c) {
        out += text.slice(runStart, index);
        const e = text[index + 1];
        const simple: Record<string, string> = {
          '"': '"',
          '\\': '\\',
          '/': '/',
          b: '\b',
          f: '\f',
          n: '\n',
          r: '\r',
          t: '\t',
        };
        if (e !== undefined && simple[e] !== undefined) {
          out += simple[e];
          index += 2;
        } else if (e === 'u') {
          const hex = text.slice(index + 2, index + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape (expected 4 hex digits)', pointer);
          out += String.fromCharCode(parseInt(hex, 16));
          index += 6;
        } else fail('invalid escape', pointer);
        runStart = index;
        continue;
      }
      index++;
    }
  };
  const parseNumber = (pointer: string): number => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(index, index + 400));
    if (!match) return fail('expected a JSON value', pointer);
    index += match[0].length;
    const value = Number(match[0]);
    if (!Number.isFinite(value)) fail('number out of range', pointer, index - match[0].length);
    return value;
  };
  const parseValue = (pointer: string, depth: number): JsonValue => {
    skipWhitespace();
    positions.set(pointer, index);
    const c = text[index];
    if (c === '{') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`, pointer);
      index++;
      const object: Record<string, JsonValue> = Object.create(null) as Record<string, JsonValue>;
      const seen = new Set<string>();
      skipWhitespace();
      if (text[index] === '}') {
        index++;
        return object;
      }
      for (;;) {
        skipWhitespace();
        if (text[index] !== '"') fail('expected a string key', pointer);
        const keyAt = index;
        const key = parseString(pointer);
        const child = `${pointer}/${pointerToken(key)}`;
        if (seen.has(key)) fail(`duplicate key "${key}"`, child, keyAt);
        seen.add(key);
        skipWhitespace();
        if (text[index] !== ':') fail("expected ':' after key", child);
        index++;
        object[key] = parseValue(child, depth + 1);
        skipWhitespace();
        if (text[index] === ',') {
          index++;
          continue;
        }
        if (text[index] === '}') {
          index++;
          return object;
        }
        fail("expected ',' or '}'", pointer);
      }
    }
    if (c === '[') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`, pointer);
      index++;
      const array: JsonValue[] = [];
      skipWhitespace();
      if (text[index] === ']') {
        index++;
        return array;
      }
      for (;;) {
        if (array.length >= maxArrayLength) fail(`array longer than ${maxArrayLength} elements`, pointer);
        array.push(parseValue(`${pointer}/${array.length}`, depth + 1));
        skipWhitespace();
        if (text[index] === ',') {
          index++;
          continue;
        }
        if (text[index] === ']') {
          index++;
          return array;
        }
        fail("expected ',' or ']'", pointer);
      }
    }
    if (c === '"') return parseString(pointer);
    if (text.startsWith('true', index)) {
      index += 4;
      return true;
    }
    if (text.startsWith('false', index)) {
      index += 5;
      return false;
    }
    if (text.startsWith('null', index)) {
      index += 4;
      return null;
    }
    return parseNumber(pointer);
  };

  if (text.charCodeAt(0) === 0xfeff) index = 1; // tolerate a UTF-8 byte order mark
  const value = parseValue('', 0);
  skipWhitespace();
  if (index < text.length) fail('unexpected data after the JSON document', '');
  return {
    value,
    positionOf(pointer) {
      const at = positions.get(pointer);
      return at === undefined ? undefined : lineColumn(at);
    },
  };
}

/** Decodes bytes as UTF-8, rejecting invalid sequences rather than replacing them. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error: unknown) {
    throw new InputError('INPUT_MALFORMED_JSON', 'not valid UTF-8', { file, cause: error });
  }
}
