/**
 * Input errors: malformed files, bad flags, unreadable paths. They are thrown, map to exit
 * code 2, and always say where (file, JSON pointer, line/column or byte offset) and what was
 * expected. Verification results are never thrown: they are `Finding`s (see findings.ts).
 */
export interface ErrorLocation {
  readonly file?: string;
  /** RFC 6901 JSON pointer into the document. */
  readonly pointer?: string;
  /** 1-based line. */
  readonly line?: number;
  /** 1-based column. */
  readonly column?: number;
  /** 0-based byte offset. */
  readonly offset?: number;
}

export interface RmmVerifyErrorOptions extends ErrorLocation {
  readonly cause?: unknown;
}

export class RmmVerifyError<Code extends string = string> extends Error {
  readonly code: Code;
  readonly location: ErrorLocation;
  /** The message without the location in front. */
  readonly detail: string;

  constructor(code: Code, message: string, options: RmmVerifyErrorOptions = {}) {
    const { cause, ...location } = options;
    super(formatLocated(location, message), cause === undefined ? undefined : { cause });
    this.name = new.target.name;
    this.code = code;
    this.location = location;
    this.detail = message;
  }
}

/** `file:line:column: message`, `file#/pointer: message`, `file@offset 123: message`. */
export function formatLocated(location: ErrorLocation, message: string): string {
  let where = location.file ?? '';
  if (location.line !== undefined) {
    where += `:${location.line}`;
    if (location.column !== undefined) where += `:${location.column}`;
  }
  if (location.pointer !== undefined) where += `${where ? ' ' : ''}at ${location.pointer || '/'}`;
  if (location.offset !== undefined) where += `${where ? ' ' : ''}at byte offset ${location.offset}`;
  return where ? `${where}: ${message}` : message;
}

export type UsageErrorCode = 'USAGE';
/** A bad flag or argument combination. */
export class UsageError extends RmmVerifyError<UsageErrorCode> {
  constructor(message: string) {
    super('USAGE', message);
  }
}

export type InputErrorCode =
  | 'INPUT_UNREADABLE'
  | 'INPUT_TOO_LARGE'
  | 'INPUT_MALFORMED_JSON'
  | 'INPUT_INVALID'
  | 'INPUT_UNSUPPORTED'
  /** A state or history file another run holds longer than the lock wait allows. */
  | 'INPUT_BUSY'
  /** An output or state file that cannot be written (or would replace what is not a regular file). */
  | 'OUTPUT_UNWRITABLE';
/** A file or value that cannot be read or is not what was expected. */
export class InputError extends RmmVerifyError<InputErrorCode> {}

/** "error refreshing TUF metadata: New timestamp version 1 must be >= 2": every cause (at most 5), outermost first. */
export function errorCauseChain(error: unknown): string {
  const messages: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    messages.push(errorMessage(current));
    current = typeof current === 'object' && 'cause' in current ? current.cause : undefined;
  }
  return messages.join(': ');
}

export function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}

/** The signals a run stops on, and the conventional exit status of each (128 + signal number). */
export const STOP_SIGNALS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const;
export type StopSignal = keyof typeof STOP_SIGNALS;

/**
 * A run stopped from outside: a signal, or the launcher that started it exited. Not an input
 * error and never a result: nothing is reported or recorded, and the exit status is the
 * signal's (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP or a launcher that went away).
 */
export class InterruptedError extends Error {
  readonly signal: StopSignal;
  readonly exitCode: number;

  constructor(signal: StopSignal, why: string) {
    super(why);
    this.name = 'InterruptedError';
    this.signal = signal;
    this.exitCode = STOP_SIGNALS[signal];
  }
}
