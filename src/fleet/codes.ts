import { defineCodes } from '../finding-codes.ts';

/** Finding codes owned by fleet/. Stable strings: never rename one, only add. */
export const FLEET_CODES = defineCodes({});
