import type { ValidateFunction } from 'ajv';

import type { ParsedJson } from '../json/strict-json.ts';
import { explainSchemaError } from '../json/schema-errors.ts';
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
  const errors = (validate.errors ?? []).map(explainSchemaError);
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
