import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { defaults } from '../defaults.ts';
import { InputError, errorMessage } from '../errors.ts';

/** Evidence files that travel next to artifacts and are not artifacts themselves. */
export const SIDECAR_SUFFIXES: readonly string[] = [
  '.sig',
  '.sigstore.json',
  '.sigstore',
  '.intoto.jsonl',
  '.bundle',
  '.cdx.json',
  '.spdx.json',
];

export interface CollectedFiles {
  /** Files to verify, in a stable (sorted) order. */
  readonly files: readonly string[];
  /** Sidecar evidence files skipped in directories. */
  readonly skipped: readonly string[];
}

/**
 * Expands arguments into files: a file stays as given; a directory is walked recursively in
 * sorted order, skipping sidecar evidence and `exclude`d paths, not following symbolic links to
 * directories (no loops), and never more than `maxDirectoryEntries` files.
 */
export async function collectFiles(
  inputs: readonly string[],
  exclude: readonly string[] = [],
): Promise<CollectedFiles> {
  const files: string[] = [];
  const skipped: string[] = [];
  const excluded = new Set(await Promise.all(exclude.map(async (p) => realpath(p).catch(() => resolve(p)))));

  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (error: unknown) {
      throw new InputError('INPUT_UNREADABLE', `cannot list directory: ${errorMessage(error)}`, {
        file: dir,
        cause: error,
      });
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() || entry.isSymbolicLink()) {
        if (entry.isSymbolicLink() && !(await linksToFile(path))) continue;
        if (excluded.has(await realpath(path).catch(() => resolve(path)))) continue;
        if (SIDECAR_SUFFIXES.some((suffix) => entry.name.endsWith(suffix))) {
          skipped.push(path);
          continue;
        }
        if (files.length >= defaults.maxDirectoryEntries) {
          throw new InputError(
            'INPUT_TOO_LARGE',
            `more than ${defaults.maxDirectoryEntries} files under the directory`,
            { file: dir },
          );
        }
        files.push(path);
      }
    }
  };

  for (const input of inputs) {
    let info;
    try {
      info = await lstat(input);
    } catch (error: unknown) {
      throw new InputError('INPUT_UNREADABLE', `cannot read: ${errorMessage(error)}`, {
        file: input,
        cause: error,
      });
    }
    if (info.isDirectory()) await walk(input);
    else files.push(input);
  }
  return { files, skipped };
}

async function linksToFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    // A dangling link is not a file to verify.
    return false;
  }
}
