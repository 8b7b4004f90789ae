import { parseArgs, type ParseArgsConfig } from 'node:util';

import { UsageError, errorMessage } from '../errors.ts';
import { isSeverity, type Severity } from '../findings.ts';

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
    throw new UsageError(`${command}: ${errorMessage(error)} (see 'rmm-verify ${command} --help')`);
  }
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
