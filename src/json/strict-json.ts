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
  const value = parseFast(text, limits) ?? scan(text, file, limits, undefined).value;
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

/** Numbers longer than this are left to the scanner (it reads at most 400 characters of one). */
const MAX_FAST_NUMBER_CHARS = 300;

/**
 * The common case at native speed, with the scanner's result: JSON.parse builds the value when
 * one pass over the text shows nesting within the limit and no over-long number, and a walk of
 * the result finds as many object members as the text has ':' outside strings (so no key was
 * repeated: JSON.parse would keep only the last), every array within its limit and every number
 * finite. Objects get a null prototype, as the scanner makes them. Anything else (or nothing
 * JSON.parse accepts) returns undefined, and the scanner parses the text and reports the error
 * with its line, column and pointer. Each check is at least as strict as the scanner's.
 */
function parseFast(text: string, limits: JsonLimits): JsonValue | undefined {
  const maxDepth = limits.maxDepth ?? defaults.maxJsonDepth;
  const maxArrayLength = limits.maxArrayLength ?? defaults.maxJsonArrayLength;
  let members = 0;
  let depth = 0;
  let numberRun = 0;
  const length = text.length;
  for (let i = 0; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // Skip the string; a backslash escapes the next character (\" does not end it).
      for (i++; i < length; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c) i++;
        else if (d === 0x22) break;
      }
      numberRun = 0;
    } else if (
      (c >= 0x30 && c <= 0x39) ||
      c === 0x2d ||
      c === 0x2b ||
      c === 0x2e ||
      c === 0x65 ||
      c === 0x45
    ) {
      if (++numberRun > MAX_FAST_NUMBER_CHARS) return undefined;
    } else {
      numberRun = 0;
      if (c === 0x3a) members++;
      else if (c === 0x7b || c === 0x5b) {
        if (++depth >= maxDepth) return undefined;
      } else if (c === 0x7d || c === 0x5d) depth--;
    }
  }
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch {
    return undefined; // malformed: the scanner says where and why
  }
  let keys = 0;
  const visit = (node: JsonValue): boolean => {
    if (typeof node === 'number') return Number.isFinite(node);
    if (typeof node !== 'object' || node === null) return true;
    if (Array.isArray(node)) {
      if (node.length >= maxArrayLength) return false;
      for (const item of node) if (!visit(item)) return false;
      return true;
    }
    Object.setPrototypeOf(node, null);
    for (const key in node) {
      keys++;
      if (!visit(node[key] as JsonValue)) return false;
    }
    return true;
  };
  return visit(value) && keys === members ? value : undefined;
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
