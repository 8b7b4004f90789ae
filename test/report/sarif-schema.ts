import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;

/** The official SARIF 2.1.0 schema (draft-04; see test/fixtures/report/README.md) as a validator. */
export function sarifValidator(): ValidateFunction {
  const raw = JSON.parse(
    readFileSync(join(import.meta.dirname, '../fixtures/report/sarif-schema-2.1.0.json'), 'utf8'),
  ) as Record<string, unknown>;
  const { $schema: _draft, id, ...rest } = raw;
  const ajv = new Ajv({ allErrors: true, strict: false });
  addFormats(ajv);
  return ajv.compile({ ...rest, $id: id as string });
}
