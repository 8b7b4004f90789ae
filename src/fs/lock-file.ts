import { readFileSync, realpathSync, rmSync } from 'node:fs';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

import { InputError, errorMessage } from '../errors.ts';

/**
 * An advisory lock beside a state or history file: `<file>.lock`, created with O_EXCL and
 * holding who owns it (pid, host, start time, what it is doing). Another run waits for it,
 * polling without blocking the event loop (so a signal still stops the waiter), up to a
 * bounded time, then fails with INPUT_BUSY naming the owner. A lock whose owner is gone (same
 * host, no such process, or a process that started after the lock was taken: a reused pid) is
 * stale and taken over; a crash or `kill -9` therefore never blocks the next run for good.
 */
export interface LockOwner {
  readonly pid: number;
  readonly host: string;
  /** When the lock was taken (RFC 3339). */
  readonly started: string;
  /** What the owner is doing, e.g. `drift scan`. */
  readonly purpose: string;
  /** Linux: the owner's start time in clock ticks after boot (/proc/PID/stat field 22). */
  readonly processStart?: number;
}

export interface LockOptions {
  /** How long to wait for another run's lock, in milliseconds (0: fail at once). */
  readonly waitMs: number;
  /** What the owner is doing, recorded for a waiter's message. */
  readonly purpose: string;
  /** Names the file in messages, e.g. `history database`. */
  readonly what: string;
  /** How the user changes the wait, for the message (e.g. `--lock-wait`). */
  readonly waitFlag?: string;
  /** Polling interval in milliseconds (default 100). */
  readonly pollMs?: number;
  /** Stops the wait at once when aborted (SIGINT/SIGTERM/SIGHUP): its reason is thrown. */
  readonly signal?: AbortSignal;
}

export interface HeldLock {
  readonly path: string;
  /** Removes the lock (only if it is still ours); synchronous, so exit paths can call it. */
  release(): void;
}

/**
 * The lock of a file sits beside the file itself: for a symlink, beside its target (the file
 * that is read and written through the link), so two runs that reach one state file through
 * different links still exclude each other. A file that does not exist yet is locked where it
 * will be.
 */
export function lockPathOf(file: string): string {
  let target = file;
  try {
    target = realpathSync(file);
  } catch {
    // Not there yet (or a dangling link): the path as given.
  }
  return `${target}.lock`;
}

/** Takes the lock of `file`, waiting up to `waitMs` for another owner; throws INPUT_BUSY after that. */
export async function acquireLock(file: string, options: LockOptions): Promise<HeldLock> {
  const path = lockPathOf(file);
  const me: LockOwner = {
    pid: process.pid,
    host: hostname(),
    started: new Date().toISOString(),
    purpose: options.purpose,
    ...processStartOf(process.pid),
  };
  const text = `${JSON.stringify(me)}\n`;
  await mkdir(dirname(path), { recursive: true }).catch(() => undefined); // open() reports a failure
  const waitStarted = Date.now();
  const deadline = waitStarted + Math.max(0, options.waitMs);
  let owner: LockOwner | undefined;
  const signal = options.signal;
  for (;;) {
    signal?.throwIfAborted();
    try {
      const handle = await open(path, 'wx', 0o644);
      try {
        await handle.writeFile(text);
      } finally {
        await handle.close();
      }
      return {
        path,
        release: () => {
          releaseLock(path, text);
        },
      };
    } catch (error: unknown) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST')
        throw new InputError('OUTPUT_UNWRITABLE', `cannot create the lock file: ${errorMessage(error)}`, {
          file: path,
          cause: error,
        });
    }
    const seen = await readOwner(path);
    if (seen === undefined) continue; // released (or half-written) meanwhile: try again
    owner = seen.owner;
    if (owner !== undefined && isStale(owner)) {
      await breakStale(path, seen.text);
      continue;
    }
    if (Date.now() >= deadline) break;
    // The sleep ends on the signal: a waiting scan stops at once, not after a fallback timer.
    await sleep(Math.min(options.pollMs ?? 100, Math.max(1, deadline - Date.now())), undefined, {
      ...(signal !== undefined ? { signal } : {}),
    }).catch((error: unknown) => {
      if (signal?.aborted === true) signal.throwIfAborted();
      throw error;
    });
  }
  const waited = ((Date.now() - waitStarted) / 1000).toFixed(1);
  const who =
    owner === undefined
      ? 'another process (its lock file does not say which)'
      : `another ${owner.purpose} (pid ${owner.pid} on ${owner.host}, started ${owner.started})`;
  throw new InputError(
    'INPUT_BUSY',
    `${options.what} is in use by ${who}; waited ${waited} s${options.waitFlag === undefined ? '' : ` (${options.waitFlag} to wait longer)`}. If that process is not running, remove ${path}`,
    { file },
  );
}

function releaseLock(path: string, text: string): void {
  try {
    // Only our own lock: a stale-lock takeover by another run must not be undone.
    if (readFileSync(path, 'utf8') === text) rmSync(path, { force: true });
  } catch {
    // Already gone: nothing to release.
  }
}

/** Runs `body` holding the lock of `file`, and releases it however `body` ends. */
export async function withLock<T>(file: string, options: LockOptions, body: () => Promise<T>): Promise<T> {
  const lock = await acquireLock(file, options);
  try {
    return await body();
  } finally {
    lock.release();
  }
}

async function readOwner(path: string): Promise<{ text: string; owner: LockOwner | undefined } | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error: unknown) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new InputError('INPUT_UNREADABLE', `cannot read the lock file: ${errorMessage(error)}`, {
      file: path,
      cause: error,
    });
  }
  if (!text.endsWith('\n')) return undefined; // its owner is still writing it
  try {
    const value = JSON.parse(text) as Partial<LockOwner>;
    if (
      typeof value.pid === 'number' &&
      typeof value.host === 'string' &&
      typeof value.started === 'string' &&
      typeof value.purpose === 'string'
    )
      return { text, owner: value as LockOwner };
  } catch {
    // Not ours to interpret: reported as an unknown owner, never taken over.
  }
  return { text, owner: undefined };
}

/** The owner is gone: same host and no such process, or the pid now belongs to a newer process. */
function isStale(owner: LockOwner): boolean {
  if (owner.host !== hostname()) return false; // cannot tell: wait for it
  try {
    process.kill(owner.pid, 0);
  } catch (error: unknown) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const now = processStartOf(owner.pid).processStart;
  return owner.processStart !== undefined && now !== undefined && now !== owner.processStart;
}

/**
 * Removes a stale lock without removing a fresh one another waiter made meanwhile: the lock is
 * renamed aside first, and put back if what was renamed is no longer the stale content.
 */
async function breakStale(path: string, staleText: string): Promise<void> {
  const aside = `${path}.${process.pid}.stale`;
  try {
    await rename(path, aside);
  } catch {
    return; // someone else moved it first
  }
  const moved = await readFile(aside, 'utf8').catch(() => '');
  if (moved !== staleText) {
    // Another run's fresh lock: give it back (unless a third run has taken the name already).
    await open(path, 'wx')
      .then(async (handle) => {
        try {
          await handle.writeFile(moved);
        } finally {
          await handle.close();
        }
      })
      .catch(() => undefined);
  }
  await rm(aside, { force: true });
}

/** Linux process start time (clock ticks after boot), to tell a reused pid from the owner. */
function processStartOf(pid: number): { processStart?: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 2 (comm) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const start = Number(fields[19]);
    return Number.isSafeInteger(start) ? { processStart: start } : {};
  } catch {
    return {};
  }
}
