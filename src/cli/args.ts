import type { ParseArgsConfig } from 'node:util';

import { UsageError, errorMessage } from '../errors.ts';
import { isSeverity, type Severity } from '../findings.ts';
import { closest } from './suggest.ts';

// Cold start: an ESM import of a node: builtin builds its whole namespace, which loads every
// lazily loaded part of it (node:fs: streams, readline, fs/promises; node:util: worker_threads…).
// process.getBuiltinModule returns the module object and loads only what is used.
const { parseArgs } = process.getBuiltinModule('node:util');

type Options = NonNullable<ParseArgsConfig['options']>;

/** node:util parseArgs with strict checking; any mistake becomes a UsageError (exit 2). */
export function parseCommandArgs<const O extends Options>(
  command: string,
  args: readonly string[],
  options: O,
) {
  try {
    return parseArgs({ args: [...args], options, allowPositionals: true, strict: true });
  } catch (error: unknown) {
    throw new UsageError(
      `${command}: ${explainParseError(error, options)} (see 'rmm-verify ${command} --help')`,
    );
  }
}

/**
 * node:util parseArgs messages rewritten for people: "unknown option --fromat; did you mean
 * --format?" instead of its advice about positionals, and "--manifest needs a value".
 */
export function explainParseError(error: unknown, options: Options): string {
  const message = errorMessage(error);
  const code = (error as { code?: unknown } | null)?.code;
  const unknown = /^Unknown option '([^']+)'/.exec(message);
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && unknown) {
    const typed = (unknown[1] ?? '').split('=')[0] ?? '';
    const long = typed.replace(/^-+/, '');
    const guess = typed.startsWith('--') ? closest(long, Object.keys(options)) : undefined;
    return `unknown option ${typed}${guess === undefined ? '' : `; did you mean --${guess}?`}`;
  }
  const missing = /^Option '(?:-\w, )?(--[\w-]+) <value>' argument missing/.exec(message);
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && missing) return `${missing[1] ?? ''} needs a value`;
  return message.charAt(0).toLowerCase() + message.slice(1);
}

/** `keys: unknown action 'lsit'; did you mean 'list'? (expected generate or list)` */
export function unknownAction(group: string, action: string, known: readonly string[]): string {
  const guess = closest(action, known);
  const expected = `${known.slice(0, -1).join(', ')} or ${known.at(-1) ?? ''}`;
  return `${group}: unknown action '${action}'${guess === undefined ? '' : `; did you mean '${guess}'?`} (expected ${expected})`;
}

/**
 * The help of one subcommand, cut from its group's help: the block that starts with
 * `  <name> ` (its synopsis line) and the indented lines under it, plus the group's common
 * options line when there is one.
 */
export function subcommandHelp(groupHelp: string, group: string, name: string): string | undefined {
  const lines = groupHelp.split('\n');
  const start = lines.findIndex((line) => line.startsWith(`  ${name} `) || line === `  ${name}`);
  if (start === -1) return undefined;
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('      ')) break;
    body.push(line.slice(6));
  }
  const common = lines.find((line) => line.startsWith('Common: '));
  return [
    `Usage: rmm-verify ${group} ${(lines[start] ?? '').trim()}`,
    '',
    ...body,
    ...(common === undefined ? [] : ['', common]),
  ].join('\n');
}

export const formatOption = { format: { type: 'string', short: 'f' } } as const;
export const failOnOption = { 'fail-on': { type: 'string' } } as const;
export const helpOption = { help: { type: 'boolean', short: 'h' } } as const;

export function oneOf<T extends string>(
  command: string,
  flag: string,
  value: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (value === undefined) return fallback;
  if ((allowed as readonly string[]).includes(value)) return value as T;
  throw new UsageError(`${command}: --${flag} must be one of ${allowed.join(', ')}; got '${value}'`);
}

export function severityFlag(
  command: string,
  value: string | undefined,
  fallback: Severity = 'low',
): Severity {
  if (value === undefined) return fallback;
  if (isSeverity(value)) return value;
  throw new UsageError(
    `${command}: --fail-on must be one of critical, high, medium, low, info; got '${value}'`,
  );
}

export function requireFlag(command: string, flag: string, value: string | undefined): string {
  if (value === undefined || value === '') throw new UsageError(`${command}: --${flag} is required`);
  return value;
}

export function positiveInteger(
  command: string,
  flag: string,
  value: string | undefined,
): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value) || Number(value) <= 0) {
    throw new UsageError(`${command}: --${flag} must be a positive integer; got '${value}'`);
  }
  return Number(value);
}

/** `--lock-wait`: whole or fractional seconds, 0 for no wait; undefined when not given. */
export function lockWaitSeconds(command: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const seconds = Number(value.trim());
  if (!/^\d+(?:\.\d+)?$/.test(value.trim()) || !Number.isFinite(seconds) || seconds > 86_400)
    throw new UsageError(
      `${command}: --lock-wait must be a number of seconds from 0 to 86400; got '${value}'`,
    );
  return seconds;
}
