import { defineCodes } from '../finding-codes.ts';

/** Finding codes owned by sigstore/. Stable strings: never rename one, only add. */
export const SIGSTORE_CODES = defineCodes({});
