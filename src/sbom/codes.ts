import { defineCodes } from '../finding-codes.ts';

/** Finding codes owned by sbom/. Stable strings: never rename one, only add. */
export const SBOM_CODES = defineCodes({});
