import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A Node.js binary of the given release line from the npm registry (the `node` package, as the
 * project's own `node@24`), installed once into a cache directory under the system temp dir.
 * `RMM_VERIFY_NODE_<major>` may name a binary to use instead (an offline CI image).
 */
export function registryNode(range: string): string {
  const major = range.split('.')[0] ?? range;
  const override = process.env[`RMM_VERIFY_NODE_${major}`];
  if (override) return override;
  const prefix = join(tmpdir(), `rmm-verify-node-${range}`);
  const bin = join(prefix, 'node_modules', 'node', 'bin', 'node');
  if (!existsSync(bin)) {
    const result = spawnSync(
      'npm',
      ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `node@${range}`],
      { encoding: 'utf8', env: { ...process.env, npm_config_loglevel: 'error' } },
    );
    if (result.status !== 0 || !existsSync(bin)) {
      throw new Error(`npm install node@${range} failed (${String(result.status)}): ${result.stderr}`);
    }
  }
  return bin;
}
