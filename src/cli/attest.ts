import { UsageError } from '../errors.ts';
import type { CliIo } from './io.ts';

export function run(_args: readonly string[], _io: CliIo): Promise<number> {
  return Promise.reject(new UsageError('the attest command is not available in this build yet'));
}
