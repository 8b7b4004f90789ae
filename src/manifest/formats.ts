import semver from 'semver';

import { parseRfc3339 } from '../time/rfc3339.ts';
import { VERSION_SCHEMES, versionScheme } from '../versions/index.ts';

/**
 * The string formats our documents use: RFC 3339 dates (our strict parser, so what the schema
 * accepts always has an instant), node-semver and the version schemes of src/versions/. The
 * precompiled validators (src/validators/, built by scripts/build-validators.ts) call these.
 */
export const manifestFormats = {
  'date-time': (value: string): boolean => parseRfc3339(value) !== undefined,
  semver: (value: string): boolean => semver.valid(value) === value,
  'semver-range': (value: string): boolean => value.trim() !== '' && semver.validRange(value) !== null,
  // A version or range in one of the version schemes; load.ts then checks it in the manifest's own.
  version: (value: string): boolean =>
    VERSION_SCHEMES.some((name) => versionScheme(name).normalise(value) !== undefined),
  'version-range': (value: string): boolean =>
    VERSION_SCHEMES.some((name) => versionScheme(name).parseRange(value) !== undefined),
} as const;
