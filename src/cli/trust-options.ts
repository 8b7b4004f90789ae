import { resolve } from 'node:path';

import { UsageError } from '../errors.ts';
// The path only: the state module itself (JSON schema validation) loads when the state is read.
import { defaultStatePath } from '../manifest/state-path.ts';
import type { CliIo } from './io.ts';

// Not `import … from 'node:fs'`: that loads all of node:fs at start-up (see cli/args.ts).
const { existsSync } = process.getBuiltinModule('node:fs');

/** Flags shared by every command that trusts a manifest. */
export const trustFlags = {
  trust: { type: 'string', short: 't' },
  signature: { type: 'string' },
  state: { type: 'string' },
  'no-state': { type: 'boolean' },
} as const;

export interface TrustFlagValues {
  readonly trust?: string | undefined;
  readonly signature?: string | undefined;
  readonly state?: string | undefined;
  readonly 'no-state'?: boolean | undefined;
}

/** `--trust`, else keys/trust.json in the working directory; there is no running without one. */
export function trustRootPath(command: string, values: TrustFlagValues, io: CliIo): string {
  if (values.trust) return resolve(io.cwd, values.trust);
  const fallback = resolve(io.cwd, 'keys', 'trust.json');
  if (existsSync(fallback)) return fallback;
  throw new UsageError(`${command}: no trust root: pass --trust FILE (keys/trust.json was not found)`);
}

/** Rollback state file, or undefined when `--no-state` asks to skip the rollback check. */
export function statePath(command: string, values: TrustFlagValues, io: CliIo): string | undefined {
  if (values['no-state'] && values.state)
    throw new UsageError(`${command}: --state and --no-state exclude each other`);
  if (values['no-state']) return undefined;
  return values.state ? resolve(io.cwd, values.state) : defaultStatePath(io.env);
}
