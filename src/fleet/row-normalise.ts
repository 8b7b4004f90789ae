import { ownString } from './own-string.ts';
import { parseTimestamp, type DateOrder } from './timestamp.ts';
import type { InventoryRow } from './types.ts';
import { truncateUntrusted } from '../text/truncate.ts';

/**
 * The checks and normal forms every inventory format shares: required fields, endpoint falling
 * back to hostname and compared case-insensitively (kept in lower case), sha256 in lower-case
 * hex, last_seen as a timestamp.
 */
export function newRow(): InventoryRow {
  return {
    tenant: '',
    endpoint: '',
    hostname: '',
    product: '',
    version: '',
    sha256: '',
    platform: '',
    lastSeen: Number.NaN,
    instance: '',
  };
}

const SHA256_HEX = /^[0-9a-f]{64}$/;

/** Slots of a direct-mapped cache of digests (see digestSlot). */
export const DIGEST_SLOTS = 1 << 16;

/**
 * The cache slot of the 64-character digest at `text[start]`: the low nibbles of four
 * characters spread over it (hex digits differ in their low nibble).
 */
export function digestSlot(text: string, start: number): number {
  return (
    (text.charCodeAt(start) & 15) |
    ((text.charCodeAt(start + 21) & 15) << 4) |
    ((text.charCodeAt(start + 42) & 15) << 8) |
    ((text.charCodeAt(start + 63) & 15) << 12)
  );
}

/**
 * Digests already seen in canonical form (64 lower-case hex), direct-mapped by four of their
 * characters: a hit (`===`, a native comparison) skips the regular expression, which is a
 * measurable share of a large scan. Fleets report few distinct digests; a slot is filled once,
 * so a hostile inventory with millions of digests costs at most the old check plus a probe.
 */
export class CanonicalDigests {
  private readonly slots: string[] = new Array<string>(DIGEST_SLOTS).fill('');

  has(sha: string): boolean {
    if (sha.length !== 64) return false;
    const slot = digestSlot(sha, 0);
    const known = this.slots[slot] as string;
    if (known === sha) return true;
    if (!SHA256_HEX.test(sha)) return false;
    // A copy: a slice would keep its whole chunk of the inventory alive.
    if (known === '') this.slots[slot] = ownString(sha);
    return true;
  }
}

/**
 * Normalises the optional fields shared by every format. Returns a reason when the row is
 * malformed, undefined when it is usable.
 */
export function finishRow(
  row: InventoryRow,
  lastSeen: string,
  digests: CanonicalDigests,
  dateOrder?: DateOrder,
): string | undefined {
  if (row.tenant === '') return 'missing tenant';
  if (row.endpoint === '') row.endpoint = row.hostname;
  if (row.endpoint === '') return 'missing endpoint id and hostname';
  // Endpoint ids compare case-insensitively (Windows GUIDs come in either case).
  row.endpoint = row.endpoint.toLowerCase();
  if (row.product === '') return 'missing product';
  let sha = row.sha256;
  if (sha !== '' && !digests.has(sha)) {
    if (sha.length !== 64) {
      if (sha.startsWith('sha256:')) sha = sha.slice(7);
      sha = sha.trim();
    }
    sha = sha.toLowerCase();
    if (!SHA256_HEX.test(sha)) return `sha256 is not 64 hexadecimal characters: '${truncate(row.sha256)}'`;
    row.sha256 = sha;
  }
  const time = parseTimestamp(lastSeen, dateOrder);
  if (time === undefined)
    return `last_seen is not a timestamp (RFC 3339, Unix time or a console date such as 11/29/2026 6:15 PM): '${truncate(lastSeen)}'`;
  row.lastSeen = time;
  return undefined;
}

export function truncate(text: string): string {
  return truncateUntrusted(text, 80);
}
