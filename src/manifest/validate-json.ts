import type { ErrorObject, ValidateFunction } from 'ajv';

import type { ParsedJson } from '../json/strict-json.ts';
import { pointerToken } from '../json/strict-json.ts';
import { ManifestError, type ManifestErrorCode } from './errors.ts';

/** Removes ajv's `nullable` keyword: our documents never contain null (see stripNullable callers). */
export function stripNullable(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(stripNullable);
  if (schema !== null && typeof schema === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(schema))
      if (key !== 'nullable') out[key] = stripNullable(value);
    return out;
  }
  return schema;
}

/** Describes the value found at a pointer, for "expected X, found Y" messages. */
function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `"${shown}" (${value.length} characters)`;
  }
  if (typeof value === 'object') return 'an object';
  return typeof value === 'number' || typeof value === 'boolean' ? `${typeof value} ${value}` : typeof value;
}

function explain(error: ErrorObject): { pointer: string; message: string } {
  const params = error.params as Record<string, unknown>;
  const at = error.instancePath;
  switch (error.keyword) {
    case 'additionalProperties':
      return {
        pointer: `${at}/${pointerToken(String(params['additionalProperty']))}`,
        message: `unknown field "${String(params['additionalProperty'])}"`,
      };
    case 'required':
      return { pointer: at, message: `missing required field "${String(params['missingProperty'])}"` };
    case 'pattern': {
      const pattern = String(params['pattern']);
      const hex = /^\^\[0-9a-f\]\{(\d+)\}\$$/.exec(pattern);
      const expected = hex ? `${hex[1]} lower-case hex characters` : `a string matching ${pattern}`;
      return { pointer: at, message: `expected ${expected}, found ${describe(error.data)}` };
    }
    case 'format': {
      const names: Record<string, string> = {
        semver: 'a semantic version such as 7.4.2',
        'semver-range': 'a node-semver version or range such as ">=7.2.0" or "7.3.0"',
        'date-time': 'an RFC 3339 date-time such as 2026-01-31T00:00:00Z',
      };
      const format = String(params['format']);
      return { pointer: at, message: `expected ${names[format] ?? format}, found ${describe(error.data)}` };
    }
    case 'type':
      return { pointer: at, message: `expected ${String(params['type'])}, found ${describe(error.data)}` };
    case 'enum':
      return {
        pointer: at,
        message: `expected one of ${(params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, found ${describe(error.data)}`,
      };
    case 'const':
      return {
        pointer: at,
        message: `expected ${JSON.stringify(params['allowedValue'])}, found ${describe(error.data)}`,
      };
    default:
      return { pointer: at, message: `${error.message ?? 'invalid'}, found ${describe(error.data)}` };
  }
}

/**
 * Runs a compiled validator and throws the first error (in document order) with file, pointer,
 * line and column. Nulls are rejected first: none of our documents uses them.
 */
export function assertValid<T>(
  validate: ValidateFunction<T>,
  parsed: ParsedJson,
  file: string,
  code: ManifestErrorCode,
  what: string,
): T {
  const nullAt = findNull(parsed.value, '');
  if (nullAt !== undefined) {
    throw new ManifestError(code, `${what}: expected a value, found null`, {
      file,
      pointer: nullAt,
      ...parsed.positionOf(nullAt),
    });
  }
  if (validate(parsed.value)) return parsed.value;
  const errors = (validate.errors ?? []).map(explain);
  const first = errors[0] ?? { pointer: '', message: 'does not match the schema' };
  const more =
    errors.length > 1 ? ` (and ${errors.length - 1} more problem${errors.length > 2 ? 's' : ''})` : '';
  throw new ManifestError(code, `${what}: ${first.message}${more}`, {
    file,
    pointer: first.pointer,
    ...parsed.positionOf(first.pointer),
  });
}

function findNull(value: unknown, pointer: string): string | undefined {
  if (value === null) return pointer;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNull(value[i], `${pointer}/${i}`);
      if (found !== undefined) return found;
    }
  } else if (typeof value === 'object') {
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const found = findNull(child, `${pointer}/${pointerToken(key)}`);
      if (found !== undefined) return found;
    }
  }
  return undefined;
}
