import { homedir } from 'node:os';
import { join } from 'node:path';

/** `$RMM_VERIFY_STATE`, else `$XDG_STATE_HOME/rmm-verify/manifest-state.json`, else under ~/.local/state. */
export function defaultStatePath(env: Readonly<Record<string, string | undefined>>): string {
  const explicit = env['RMM_VERIFY_STATE'];
  if (explicit) return explicit;
  const base = env['XDG_STATE_HOME'] || join(env['HOME'] || homedir(), '.local', 'state');
  return join(base, 'rmm-verify', 'manifest-state.json');
}
