/**
 * Install size: the packed tarball installed globally into a temporary prefix with production
 * dependencies only (what a user gets), counted as packages and bytes on disk (apparent size).
 * Budget (issue 14): at most 25 MB and 50 packages. Needs the npm registry.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BUDGET_BYTES = 25 * 1e6;
const BUDGET_PACKAGES = 50;
const root = fileURLToPath(new URL('..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'rmm-verify-install-size-'));

function npm(args: readonly string[], cwd: string): string {
  const result = spawnSync('npm', args, { cwd, encoding: 'utf8' });
  if (result.status !== 0)
    throw new Error(`npm ${args.join(' ')} exited ${String(result.status)}: ${result.stderr}`);
  return result.stdout;
}

/** Bytes of every file under `dir` (apparent size), and the packages (folders with a package.json in a node_modules). */
function measure(dir: string, inNodeModules = false): { bytes: number; packages: number } {
  let bytes = 0;
  let packages = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      if (inNodeModules && !entry.name.startsWith('@') && !entry.name.startsWith('.')) {
        try {
          statSync(join(path, 'package.json'));
          packages++;
        } catch {
          // a folder without package.json (e.g. .bin) is not a package
        }
      }
      const inner = measure(
        path,
        entry.name === 'node_modules' || (inNodeModules && entry.name.startsWith('@')),
      );
      bytes += inner.bytes;
      packages += inner.packages;
    } else if (entry.isFile()) {
      bytes += statSync(path).size;
    }
  }
  return { bytes, packages };
}

try {
  // `npm run bench` has just built dist/, so packing needs no second build.
  const packed = JSON.parse(
    npm(['pack', '--json', '--ignore-scripts', '--pack-destination', work], root),
  ) as [{ filename: string }];
  const prefix = join(work, 'prefix');
  npm(
    [
      'install',
      '-g',
      '--prefix',
      prefix,
      '--omit=dev',
      '--no-audit',
      '--no-fund',
      join(work, packed[0].filename),
    ],
    work,
  );
  const { bytes, packages } = measure(join(prefix, 'lib', 'node_modules'), true);
  const ok = bytes <= BUDGET_BYTES && packages <= BUDGET_PACKAGES;
  console.log(
    `global install of the packed tarball (--omit=dev): ${(bytes / 1e6).toFixed(1)} MB in ${packages} packages ` +
      `(budget <= ${BUDGET_BYTES / 1e6} MB, <= ${BUDGET_PACKAGES} packages: ${ok ? 'met' : 'NOT met'})`,
  );
} finally {
  rmSync(work, { recursive: true, force: true });
}
