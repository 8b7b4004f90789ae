import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import semver from 'semver';

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020, formats: string[]) => Ajv2020;

/** An ajv instance with the formats our documents use: RFC 3339 dates and node-semver. */
export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
  addFormats(ajv, ['date-time']);
  ajv.addFormat('semver', (value: string) => semver.valid(value) === value);
  ajv.addFormat('semver-range', (value: string) => value.trim() !== '' && semver.validRange(value) !== null);
  return ajv;
}
