import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/**
 * The precompiled schema validators (src/validators/) are built, not committed: bring them up to
 * date before any test imports them, so a schema edited since the last build is what is tested.
 */
export default function setup(): void {
  const script = fileURLToPath(new URL('../scripts/build-validators.ts', import.meta.url));
  const result = spawnSync(process.execPath, [script], { stdio: ['ignore', 'inherit', 'inherit'] });
  if (result.status !== 0) throw new Error(`scripts/build-validators.ts exited ${String(result.status)}`);
}
