import { defineCodes } from '../finding-codes.ts';

/** Finding codes owned by authenticode/. Stable strings: never rename one, only add. */
export const AUTHENTICODE_CODES = defineCodes({});
