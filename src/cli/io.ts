/** What a command may touch of the outside world; tests pass their own. */
export interface CliIo {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** The reference time for this run, fixed once (expiry, staleness, certificate validity). */
  readonly now: Date;
  /** Aborted when the run must stop (a signal; see interrupt.ts); long commands check it. */
  readonly signal?: AbortSignal;
}

/**
 * The process's own streams, each made only when a command first touches it: Node builds
 * process.stdin (and a pipe's stream) on first access, loading its stream, net or readline code,
 * which `--help` or a report to stdout never needs (cold start). Do not spread the result: that
 * reads every stream; pass `signal` here instead.
 */
export function processIo(signal?: AbortSignal): CliIo {
  return {
    get stdout() {
      return process.stdout;
    },
    get stderr() {
      return process.stderr;
    },
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    now: new Date(),
    ...(signal !== undefined ? { signal } : {}),
  };
}

/**
 * Colour for a stream: `FORCE_COLOR` set to anything but '', '0' or 'false' turns it on even on a
 * pipe, and '0'/'false' turns it off (as in Node itself); otherwise `NO_COLOR` (non-empty,
 * https://no-color.org) or `TERM=dumb` turns it off; otherwise colour exactly on a terminal.
 */
export function useColor(io: CliIo, stream: 'stdout' | 'stderr' = 'stdout'): boolean {
  const force = io.env['FORCE_COLOR'];
  if (force !== undefined && force !== '') return force !== '0' && force !== 'false';
  const noColor = io.env['NO_COLOR'];
  if (noColor !== undefined && noColor !== '') return false;
  if (io.env['TERM'] === 'dumb') return false;
  return io[stream].isTTY === true;
}

export function write(stream: NodeJS.WritableStream, text: string): void {
  stream.write(text.endsWith('\n') || text === '' ? text : `${text}\n`);
}
