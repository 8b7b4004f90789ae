import { readFileSync } from 'node:fs';

import { defaults } from '../defaults.ts';
import { InterruptedError, STOP_SIGNALS, type StopSignal } from '../errors.ts';

/** Set by bin/rmm-verify.js in the drift process it starts: the launcher's pid. */
export const LAUNCHER_PID_ENV = 'RMM_VERIFY_LAUNCHER_PID';

/**
 * Stops a long run (drift) cleanly from outside. SIGINT, SIGTERM and SIGHUP abort the returned
 * signal with an InterruptedError; the run stops at its next row, rolls the history back, writes
 * no report, prints one line and exits 130, 143 or 129. A repeated signal (a terminal's Ctrl-C
 * reaches the launcher and the scan, and the launcher forwards it too) changes nothing. If the
 * run has not ended `interruptGraceMs` after the first signal (it waits for input that never
 * comes), it exits with the same status anyway; its history transaction is then discarded by
 * SQLite, never committed.
 *
 * In the process the launcher starts (LAUNCHER_PID_ENV set, an IPC channel open), the launcher
 * going away — even by `kill -9` — aborts the run the same way: the channel closes, and the
 * parent pid changes. Nothing is committed after that (scanDrift checks the signal after
 * yielding to the event loop, just before COMMIT).
 */
export function stopOnSignals(): AbortSignal {
  const controller = new AbortController();
  const stop = (signal: StopSignal, why: string): void => {
    if (controller.signal.aborted) return;
    controller.abort(new InterruptedError(signal, why));
    setTimeout(() => {
      process.stderr.write(`rmm-verify: ${why}; stopped\n`);
      process.exit(STOP_SIGNALS[signal]);
    }, defaults.interruptGraceMs).unref();
  };
  for (const signal of Object.keys(STOP_SIGNALS) as StopSignal[])
    process.on(signal, () => {
      stop(signal, `interrupted by ${signal}`);
    });
  const launcher = Number(process.env[LAUNCHER_PID_ENV]);
  if (Number.isSafeInteger(launcher) && launcher > 0 && process.channel !== undefined) {
    const gone = (): void => {
      stop('SIGHUP', `the launcher (pid ${launcher}) exited`);
    };
    // The IPC channel closes when the launcher dies, however it dies; unref'd so that it does
    // not keep this process alive. It may have closed before this listener was added.
    process.on('disconnect', gone);
    process.channel.unref();
    if (!process.connected || parentPid() !== launcher) gone();
    // Belt and braces: a reparented process has another parent pid (read from /proc: Node's
    // process.ppid is fixed at start-up).
    setInterval(() => {
      if (parentPid() !== launcher) gone();
    }, 250).unref();
  }
  return controller.signal;
}

/** The current parent pid (Linux: /proc/self/stat field 4; elsewhere Node's start-up value). */
function parentPid(): number {
  try {
    const stat = readFileSync('/proc/self/stat', 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return Number.isSafeInteger(ppid) ? ppid : process.ppid;
  } catch {
    return process.ppid;
  }
}
