import { lstat } from 'node:fs/promises';
import { basename, join } from 'node:path';

import { digestsEqual, type DigestAlgorithm } from '../digest/algorithms.ts';
import { hashFile } from '../digest/multi-hash.ts';
import { formatLocated, InputError } from '../errors.ts';
import type { HashList, HashListEntry } from './hash-list.ts';
import type { Artifact, ListSignature } from './types.ts';

export interface PinsFromListOptions {
  /** Where the listed files are (list paths are relative to it). */
  readonly dir: string;
  /** The list file's path (its name is recorded in each pin). */
  readonly listPath: string;
  /** Platform for entries the list gives none. */
  readonly platform?: string;
  /** Leave out entries whose file is absent instead of failing. */
  readonly skipMissing?: boolean;
  /** The list's signature, verified by the caller, recorded in each pin. */
  readonly listSignature?: ListSignature;
  readonly onProgress?: (name: string, bytesRead: number) => void;
}

/** A listed value the file contradicts. */
export interface ListMismatch {
  readonly entry: HashListEntry;
  readonly what: 'size' | DigestAlgorithm;
  readonly listed: string;
  readonly actual: string;
}

export interface PinsFromList {
  /** One pin per checked entry (the file's own size, sha256 and sha512, and the listed digests), with the file's path. */
  readonly pinned: ReadonlyArray<{ readonly artifact: Artifact; readonly path: string }>;
  readonly missing: readonly HashListEntry[];
  readonly mismatches: readonly ListMismatch[];
}

/**
 * Turns a vendor hash list into pins, but only for what the files themselves confirm: each
 * entry's file is hashed and must have the listed size and every listed digest. An absent file
 * is an input error (or, with `skipMissing`, left out); a listed value the file contradicts is
 * a mismatch, and a caller must not write pins when there is one. Nothing is pinned on the
 * list's word alone.
 */
export async function pinsFromList(list: HashList, options: PinsFromListOptions): Promise<PinsFromList> {
  const pinned: Array<{ artifact: Artifact; path: string }> = [];
  const missing: HashListEntry[] = [];
  const mismatches: ListMismatch[] = [];
  for (const entry of list.entries) {
    const platform = entry.platform ?? options.platform;
    if (platform === undefined) {
      throw new InputError(
        'INPUT_INVALID',
        `the list gives no platform for '${entry.name}': give --platform`,
        entry.location,
      );
    }
    const path = join(options.dir, ...entry.path.split('/'));
    if (!(await exists(path))) {
      if (options.skipMissing === true) {
        missing.push(entry);
        continue;
      }
      throw new InputError(
        'INPUT_UNREADABLE',
        `the listed file is not there (${formatLocated(entry.location, entry.name)}); give --dir, or --skip-missing to pin only the files present`,
        { file: path },
      );
    }
    const listed = Object.entries(entry.digests) as Array<[DigestAlgorithm, string]>;
    const hashed = await hashFile(path, {
      algorithms: ['sha256', 'sha512', ...listed.map(([a]) => a)],
      // A listed size bounds the read: one byte more shows that the file is longer.
      ...(entry.size !== undefined ? { maxBytes: entry.size } : {}),
      onProgress: (n) => options.onProgress?.(entry.name, n),
    });
    if (entry.size !== undefined && (hashed.exceededCap || hashed.bytesRead !== entry.size)) {
      mismatches.push({
        entry,
        what: 'size',
        listed: String(entry.size),
        actual: hashed.exceededCap ? `more than ${entry.size}` : String(hashed.bytesRead),
      });
      continue;
    }
    if (hashed.exceededCap) {
      throw new InputError('INPUT_TOO_LARGE', 'larger than the read limit', { file: path });
    }
    let ok = true;
    for (const [algorithm, hex] of listed) {
      const actual = hashed.digests[algorithm] ?? '';
      if (!digestsEqual(hex, actual)) {
        mismatches.push({ entry, what: algorithm, listed: hex, actual });
        ok = false;
      }
    }
    if (!ok) continue;
    pinned.push({
      path,
      artifact: {
        name: entry.name,
        platform,
        size: hashed.bytesRead,
        digests: {
          ...Object.fromEntries(listed),
          sha256: hashed.digests.sha256 ?? '',
          sha512: hashed.digests.sha512 ?? '',
        },
        pinnedFrom: {
          list: basename(options.listPath),
          format: list.format,
          sha256: list.sha256,
          ...(options.listSignature !== undefined ? { signature: options.listSignature } : {}),
        },
      },
    });
  }
  return { pinned, missing, mismatches };
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
