import { createHash } from 'node:crypto';

import { defaults } from '../defaults.ts';
import { InputError } from '../errors.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { decodeUtf8, parseStrictJson } from '../json/strict-json.ts';
import { readBoundedFile } from '../json/read-bounded.ts';
import { assertValid } from './validate-json.ts';
import { validateStateDocument } from './validators.ts';

/** The last accepted manifest per product: what rollback protection compares against. */
export interface ManifestState {
  readonly schema: 1;
  readonly products: Readonly<Record<string, AcceptedManifest>>;
}

export interface AcceptedManifest {
  readonly serial: number;
  /** sha256 of the accepted manifest bytes: the same serial with other bytes is refused. */
  readonly sha256: string;
  readonly acceptedAt: string;
}

export { defaultStatePath } from './state-path.ts';

/** Reads the state file; a missing file is an empty state, a malformed one an input error. */
export async function readState(path: string): Promise<ManifestState> {
  let bytes: Buffer;
  try {
    bytes = await readBoundedFile(path, defaults.maxStateBytes, 'state file');
  } catch (error: unknown) {
    if (
      error instanceof InputError &&
      (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT'
    ) {
      return { schema: 1, products: {} };
    }
    throw error;
  }
  const parsed = parseStrictJson(decodeUtf8(bytes, path), path);
  return assertValid(validateStateDocument, parsed, path, 'STATE_INVALID', 'state file');
}

export function manifestSha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Records an accepted manifest, atomically; the serial never goes down. */
export async function recordAccepted(
  path: string,
  product: string,
  serial: number,
  bytes: Uint8Array,
  now: Date,
): Promise<void> {
  const state = await readState(path);
  const previous = state.products[product];
  if (previous && previous.serial > serial) return;
  const next: ManifestState = {
    schema: 1,
    products: {
      ...state.products,
      [product]: { serial, sha256: manifestSha256(bytes), acceptedAt: now.toISOString() },
    },
  };
  await writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`);
}
