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

/** A JSON object (not null, not an array). */
export function isJsonObject(value: JsonValue | undefined): value is { [key: string]: JsonValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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
  const value = scan(text, file, limits, undefined).value;
  const found = new Map<string, { line: number; column: number } | undefined>();
  return {
    value,
    positionOf(pointer) {
      // Positions are found on demand by a second pass: recording one per value made parsing
      // large documents (SBOMs) several times slower, and only error messages need them.
      if (!found.has(pointer)) {
        const at = scan(text, file, limits, pointer).targetAt;
        found.set(pointer, at === undefined ? undefined : lineColumnAt(text, at));
      }
      return found.get(pointer);
    },
  };
}

function lineColumnAt(text: string, at: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < at && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: at - lineStart + 1 };
}

/** One pass over the text; with `target` set, also returns where that pointer's value starts. */
function scan(
  text: string,
  file: string,
  limits: JsonLimits,
  target: string | undefined,
): { value: JsonValue; targetAt: number | undefined } {
  const maxDepth = limits.maxDepth ?? defaults.maxJsonDepth;
  const maxArrayLength = limits.maxArrayLength ?? defaults.maxJsonArrayLength;
  // The path is kept as tokens and joined into a pointer only when one is needed.
  const path: (string | number)[] = [];
  const pointerOf = (): string => path.map((t) => `/${pointerToken(t)}`).join('');
  let targetAt: number | undefined;
  let index = 0;

  const fail = (message: string, at = index, pointer = pointerOf()): never => {
    const found = at >= text.length ? 'end of input' : JSON.stringify(text.slice(at, at + 12));
    throw new InputError('INPUT_MALFORMED_JSON', `${message}; found ${found}`, {
      file,
      ...lineColumnAt(text, at),
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
  const parseString = (): string => {
    const start = index;
    index++; // opening quote
    let out = '';
    let runStart = index;
    for (;;) {
      if (index >= text.length) fail('unterminated string', start);
      const c = text.charCodeAt(index);
      if (c === 0x22) {
        out += text.slice(runStart, index);
        index++;
        return out;
      }
      if (c < 0x20) fail('control character in string (expected \\u escape)');
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
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) fail('invalid \\u escape (expected 4 hex digits)');
          out += String.fromCharCode(parseInt(hex, 16));
          index += 6;
        } else fail('invalid escape');
        runStart = index;
        continue;
      }
      index++;
    }
  };
  const parseNumber = (): number => {
    const match = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/.exec(text.slice(index, index + 400));
    if (!match) return fail('expected a JSON value');
    index += match[0].length;
    const value = Number(match[0]);
    if (!Number.isFinite(value)) fail('number out of range', index - match[0].length);
    return value;
  };
  const parseValue = (depth: number): JsonValue => {
    skipWhitespace();
    if (target !== undefined && targetAt === undefined && pointerOf() === target) targetAt = index;
    const c = text[index];
    if (c === '{') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
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
        if (text[index] !== '"') fail('expected a string key');
        const keyAt = index;
        const key = parseString();
        path.push(key);
        if (seen.has(key)) fail(`duplicate key "${key}"`, keyAt);
        seen.add(key);
        skipWhitespace();
        if (text[index] !== ':') fail("expected ':' after key");
        index++;
        object[key] = parseValue(depth + 1);
        path.pop();
        skipWhitespace();
        if (text[index] === ',') {
          index++;
          continue;
        }
        if (text[index] === '}') {
          index++;
          return object;
        }
        fail("expected ',' or '}'");
      }
    }
    if (c === '[') {
      if (depth >= maxDepth) fail(`nesting deeper than ${maxDepth} levels`);
      index++;
      const array: JsonValue[] = [];
      skipWhitespace();
      if (text[index] === ']') {
        index++;
        return array;
      }
      for (;;) {
        if (array.length >= maxArrayLength) fail(`array longer than ${maxArrayLength} elements`);
        path.push(array.length);
        array.push(parseValue(depth + 1));
        path.pop();
        skipWhitespace();
        if (text[index] === ',') {
          index++;
          continue;
        }
        if (text[index] === ']') {
          index++;
          return array;
        }
        fail("expected ',' or ']'");
      }
    }
    if (c === '"') return parseString();
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
    return parseNumber();
  };

  if (text.charCodeAt(0) === 0xfeff) index = 1; // tolerate a UTF-8 byte order mark
  const value = parseValue(0);
  skipWhitespace();
  if (index < text.length) fail('unexpected data after the JSON document');
  return { value, targetAt };
}

/** Decodes bytes as UTF-8, rejecting invalid sequences rather than replacing them. */
export function decodeUtf8(bytes: Uint8Array, file: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (error: unknown) {
    throw new InputError('INPUT_MALFORMED_JSON', 'not valid UTF-8', { file, cause: error });
  }
}
