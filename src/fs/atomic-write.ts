import { randomBytes } from 'node:crypto';
import { constants, type Stats } from 'node:fs';
import { link, lstat, mkdir, open, readlink, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';

import { InputError, errorMessage } from '../errors.ts';

export interface AtomicWriteOptions {
  /** File mode for a new file, e.g. 0o600 for private keys (an existing file keeps its mode). */
  readonly mode?: number;
  /** Fail if the destination already exists; never replaces or truncates anything. */
  readonly exclusive?: boolean;
}

/** Symlinks followed from the path given to the file written, as the kernel allows (ELOOP). */
const MAX_SYMLINKS = 40;

/**
 * Writes an output or state file so that readers see either the old content or the new, never a
 * part. What is at the path decides how:
 * - nothing or a regular file: the bytes go to a temp file in the same directory, are fsynced,
 *   and the temp file is renamed over the target (`exclusive`: hard-linked to the name, which
 *   fails rather than replace anything);
 * - a symlink: followed, and its target written as above (the link stays a link);
 * - a character device or FIFO (`/dev/null`, `/dev/stdout`, a pipe): written directly, never
 *   replaced by a regular file;
 * - anything else (a directory, a socket, a block device): refused.
 * Every failure is an InputError (OUTPUT_UNWRITABLE) naming the path, and leaves no temp file.
 */
export async function writeFileAtomic(
  path: string,
  data: string | Uint8Array,
  options: AtomicWriteOptions = {},
): Promise<void> {
  const fail = (message: string, cause?: unknown): never => {
    throw new InputError('OUTPUT_UNWRITABLE', message, {
      file: path,
      ...(cause === undefined ? {} : { cause }),
    });
  };
  const { target, stat } = await resolveTarget(path, fail);
  if (stat !== undefined && options.exclusive) fail('already exists; not replacing it');
  if (stat?.isCharacterDevice() === true || stat?.isFIFO() === true) {
    await writeDirect(target, data, fail);
    return;
  }
  if (stat !== undefined && !stat.isFile()) {
    fail(`is ${describe(stat)}, not a regular file; refusing to replace it`);
  }
  const dir = dirname(target);
  try {
    await mkdir(dir, { recursive: true });
  } catch (error: unknown) {
    fail(`cannot create the directory ${dir}: ${errorMessage(error)}`, error);
  }
  const temp = join(dir, `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
  const mode = stat !== undefined ? stat.mode & 0o7777 : (options.mode ?? 0o644);
  let created = false;
  try {
    const handle = await open(temp, 'wx', mode);
    created = true;
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    if (options.exclusive) {
      // link() never replaces an existing name, so a concurrent writer or a file made
      // meanwhile is never overwritten, and a crash leaves no empty file under the name.
      await link(temp, target);
      await rm(temp, { force: true });
    } else {
      await rename(temp, target);
    }
    created = false;
  } catch (error: unknown) {
    if (created) await rm(temp, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' && options.exclusive) fail('already exists; not replacing it', error);
    fail(`cannot write: ${errorMessage(error)}`, error);
  }
}

/** Follows symlinks from `path` to what it names; `stat` is undefined when nothing is there. */
async function resolveTarget(
  path: string,
  fail: (message: string, cause?: unknown) => never,
): Promise<{ target: string; stat: Stats | undefined }> {
  let target = resolve(path);
  for (let hops = 0; ; hops++) {
    let stat: Stats;
    try {
      stat = await lstat(target);
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { target, stat: undefined };
      return fail(`cannot inspect ${target}: ${errorMessage(error)}`, error);
    }
    if (!stat.isSymbolicLink()) return { target, stat };
    if (hops >= MAX_SYMLINKS) fail(`more than ${MAX_SYMLINKS} symbolic links to follow`);
    target = resolve(dirname(target), await readlink(target));
  }
}

async function writeDirect(
  target: string,
  data: string | Uint8Array,
  fail: (message: string, cause?: unknown) => never,
): Promise<void> {
  try {
    // Write-only without O_CREAT: a FIFO waits for its reader as it should, and if the device or
    // FIFO went away meanwhile no regular file is created in its place.
    const handle = await open(target, constants.O_WRONLY);
    try {
      await handle.writeFile(data);
    } finally {
      await handle.close();
    }
  } catch (error: unknown) {
    fail(`cannot write: ${errorMessage(error)}`, error);
  }
}

function describe(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isSocket()) return 'a socket';
  if (stat.isBlockDevice()) return 'a block device';
  return 'not a regular file';
}
