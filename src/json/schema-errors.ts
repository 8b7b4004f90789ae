import type { ErrorObject } from 'ajv';

import { pointerToken } from './strict-json.ts';

/** Describes a value found in a document, for "expected X, found Y" messages. */
export function describeJsonValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (typeof value === 'string') {
    const shown = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return `${JSON.stringify(shown)} (${value.length} characters)`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return `${typeof value} ${value}`;
  return typeof value === 'object' ? 'an object' : typeof value;
}

/** What the custom and standard formats we use look like, for people. */
const FORMAT_NAMES: Readonly<Record<string, string>> = {
  semver: 'a semantic version such as 7.4.2',
  'semver-range': 'a node-semver version or range such as ">=7.2.0" or "7.3.0"',
  version: 'a version such as 7.4.2 (semver), 7.4.2.1234 (windows), 1:7.4.2-1 (debian or rpm)',
  'version-range': 'a version or range such as ">=7.2.0" or "7.3.0"',
  'date-time': 'an RFC 3339 date-time such as 2026-01-31T00:00:00Z',
};

/**
 * One ajv error (run with `verbose: true`, so `error.data` is the value) as a JSON pointer and a
 * sentence saying what was expected and what was found. Shared by every schema-validated input.
 */
export function explainSchemaError(error: ErrorObject): { pointer: string; message: string } {
  const params = error.params as Record<string, unknown>;
  const at = error.instancePath;
  const found = describeJsonValue(error.data);
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params['additionalProperty']);
      return { pointer: `${at}/${pointerToken(name)}`, message: `unknown field "${name}"` };
    }
    case 'required':
      return { pointer: at, message: `missing required field "${String(params['missingProperty'])}"` };
    case 'type':
      return { pointer: at, message: `expected ${String(params['type'])}, found ${found}` };
    case 'enum': {
      const allowed = (params['allowedValues'] as unknown[]).map((v) => JSON.stringify(v));
      const shown =
        allowed.length > 8
          ? `${allowed.slice(0, 8).join(', ')}, … (${allowed.length} values)`
          : allowed.join(', ');
      return { pointer: at, message: `expected one of ${shown}, found ${found}` };
    }
    case 'const':
      return { pointer: at, message: `expected ${JSON.stringify(params['allowedValue'])}, found ${found}` };
    case 'format': {
      const format = String(params['format']);
      return {
        pointer: at,
        message: `expected ${FORMAT_NAMES[format] ?? `format ${format}`}, found ${found}`,
      };
    }
    case 'pattern': {
      const pattern = String(params['pattern']);
      const hex = /^\^\[0-9a-f\]\{(\d+)\}\$$/.exec(pattern);
      const expected = hex ? `${hex[1]} lower-case hex characters` : `a string matching ${pattern}`;
      return { pointer: at, message: `expected ${expected}, found ${found}` };
    }
    default:
      return { pointer: at, message: `${error.message ?? 'invalid'} (${error.keyword}), found ${found}` };
  }
}
