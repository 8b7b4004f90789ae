import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import semver from 'semver';

import { VERSION_SCHEMES, versionScheme } from '../versions/index.ts';
import { parseRfc3339 } from '../time/rfc3339.ts';

// ajv-formats is CommonJS; its default export arrives as the module object under NodeNext.
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020, formats: string[]) => Ajv2020;

/**
 * An ajv instance with the formats our documents use: RFC 3339 dates (our strict parser, so what
 * the schema accepts always has an instant), node-semver and the version schemes of src/versions/.
 */
export function createAjv(): Ajv2020 {
  const ajv = new Ajv2020({ allErrors: true, strict: true, verbose: true });
  addFormats(ajv, ['date-time']);
  ajv.addFormat('date-time', (value: string) => parseRfc3339(value) !== undefined);
  ajv.addFormat('semver', (value: string) => semver.valid(value) === value);
  ajv.addFormat('semver-range', (value: string) => value.trim() !== '' && semver.validRange(value) !== null);
  // A version or range in one of the version schemes; load.ts then checks it in the manifest's own.
  ajv.addFormat('version', (value: string) =>
    VERSION_SCHEMES.some((name) => versionScheme(name).normalise(value) !== undefined),
  );
  ajv.addFormat('version-range', (value: string) =>
    VERSION_SCHEMES.some((name) => versionScheme(name).parseRange(value) !== undefined),
  );
  return ajv;
}
