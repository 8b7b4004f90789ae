import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

import { defaults } from '../defaults.ts';
import { InputError, errorMessage } from '../errors.ts';
import { fileKind } from '../fs/regular-file.ts';

/** Evidence files that travel next to artifacts and are not artifacts themselves. */
export const SIDECAR_SUFFIXES: readonly string[] = [
  '.sig',
  '.asc',
  '.gpg',
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
  /**
   * Entries found in directories that are neither regular files, directories nor links to
   * directories (FIFOs, sockets, devices, dangling links): never opened, and reported by the
   * caller as not verified.
   */
  readonly notRegular: readonly NotRegularEntry[];
}

export interface NotRegularEntry {
  readonly path: string;
  /** `a FIFO (named pipe)`, `a socket`, `a dangling symbolic link`, ... */
  readonly kind: string;
}

/**
 * Expands arguments into files: a file stays as given; a directory is walked recursively in
 * sorted order, skipping sidecar evidence and `exclude`d paths, not following symbolic links to
 * directories (no loops), and never more than `maxDirectoryEntries` files. FIFOs, sockets,
 * devices and dangling links inside a directory are listed in `notRegular`, never opened (a
 * FIFO without a writer would block the run).
 */
export async function collectFiles(
  inputs: readonly string[],
  exclude: readonly string[] = [],
): Promise<CollectedFiles> {
  const files: string[] = [];
  const skipped: string[] = [];
  const notRegular: NotRegularEntry[] = [];
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
        if (entry.isSymbolicLink()) {
          const target = await linkTarget(path);
          // A link to a directory is not followed (no loops); anything else not a file is reported.
          if (target === 'directory') continue;
          if (target !== 'file') {
            notRegular.push({ path, kind: target });
            continue;
          }
        }
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
      } else notRegular.push({ path, kind: fileKind(entry) });
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
  return { files, skipped, notRegular };
}

/** `file`, `directory`, or what else a symbolic link leads to (for the report). */
async function linkTarget(path: string): Promise<string> {
  let target;
  try {
    target = await stat(path);
  } catch (error: unknown) {
    return `a symbolic link that cannot be followed (${errorMessage(error)})`;
  }
  if (target.isFile()) return 'file';
  if (target.isDirectory()) return 'directory';
  return `a symbolic link to ${fileKind(target)}`;
}
