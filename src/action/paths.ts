import { glob } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';

import { defaults } from '../defaults.ts';
import { InputError } from '../errors.ts';
import { isInside } from '../report/sarif.ts';

/**
 * Expands the `paths` input: each pattern is a glob relative to the workspace (node:fs glob
 * syntax), `!pattern` lines exclude. Returns absolute paths, sorted and without duplicates. A
 * pattern that matches nothing is an input error: a release gate that silently checks no file
 * would pass.
 */
export async function expandPaths(patterns: readonly string[], workspace: string): Promise<string[]> {
  const includes = patterns.filter((p) => !p.startsWith('!'));
  const excludes = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  const found = new Set<string>();
  for (const pattern of includes) {
    let matched = 0;
    for await (const entry of glob(pattern, { cwd: workspace, exclude: excludes })) {
      matched += 1;
      found.add(resolve(workspace, entry));
      if (found.size > defaults.maxDirectoryEntries) {
        throw new InputError(
          'INPUT_TOO_LARGE',
          `input 'paths' matches more than ${defaults.maxDirectoryEntries} files`,
        );
      }
    }
    if (matched === 0) {
      throw new InputError(
        'INPUT_UNREADABLE',
        `input 'paths': '${pattern}' matches no file under the workspace`,
        {
          file: workspace,
        },
      );
    }
  }
  return [...found].sort();
}

/** A path as reports show it: relative to the workspace when inside it, else as given. */
export function workspacePath(path: string, workspace: string): string {
  if (!isAbsolute(path)) return path;
  const fromWorkspace = relative(workspace, path);
  if (!isInside(fromWorkspace)) return path;
  return fromWorkspace.split(sep).join('/');
}
