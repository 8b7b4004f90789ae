import { resolve } from 'node:path';

import { UsageError } from '../errors.ts';
import { ExitCode } from '../findings.ts';
import { formatOption, helpOption, oneOf, parseCommandArgs } from './args.ts';
import { write, type CliIo } from './io.ts';

const HELP = `Usage: rmm-verify trust update [--tuf-mirror URL] [--tuf-root FILE] [--cache DIR] [--format text|json]

Refreshes the Sigstore trusted root (Fulcio CAs, Rekor and CT logs, timestamp authorities)
through TUF, as @sigstore/tuf does: the chain of trust starts at the vendored public-good TUF
root (keys/sigstore/tuf-root.json, sha256 pinned) or, after the first update, at the newest
root in the cache; root rotations, signatures, thresholds, version rollback and expiry (freeze)
are checked by tuf-js. The trusted root is written to DIR/trusted_root.json only after all of
that and its own checks pass; a failure leaves the previous one in place.

'attest verify --offline' uses the updated root when there is one (else the vendored root);
--trusted-root still overrides it. 'verify' uses the vendored root unless given
--trusted-root (e.g. DIR/trusted_root.json).

Options:
      --tuf-mirror URL   TUF repository (default https://tuf-repo-cdn.sigstore.dev)
      --tuf-root FILE    TUF root.json to start from (default: the vendored public-good root)
      --cache DIR        default $XDG_CACHE_HOME/rmm-verify/sigstore (~/.cache/rmm-verify/sigstore)
  -f, --format F         text | json (default text)
  -h, --help             show this help

Exit codes: 0 updated, 2 the update failed (network, TUF verification, malformed root).`;

export async function run(args: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = args;
  if (action === undefined || action === '--help' || action === '-h' || action === 'help') {
    write(action === undefined ? io.stderr : io.stdout, HELP);
    return action === undefined ? ExitCode.input : ExitCode.ok;
  }
  if (action !== 'update') throw new UsageError(`trust: unknown action '${action}'; expected update`);
  const { values, positionals } = parseCommandArgs('trust update', rest, {
    ...helpOption,
    ...formatOption,
    'tuf-mirror': { type: 'string' },
    'tuf-root': { type: 'string' },
    cache: { type: 'string' },
  });
  if (values.help) {
    write(io.stdout, HELP);
    return ExitCode.ok;
  }
  if (positionals.length > 0)
    throw new UsageError(`trust update: unexpected argument '${positionals[0] ?? ''}'`);
  const format = oneOf('trust update', 'format', values.format, ['text', 'json'] as const, 'text');
  const mirror = values['tuf-mirror'];
  if (mirror !== undefined && !/^https?:\/\//.test(mirror))
    throw new UsageError(`trust update: --tuf-mirror must be an http(s) URL; got '${mirror}'`);
  const { defaultSigstoreCache, updateTrustedRoot } = await import('../sigstore/trust-update.ts');
  const cacheDir = values.cache !== undefined ? resolve(io.cwd, values.cache) : defaultSigstoreCache(io.env);
  const record = await updateTrustedRoot({
    cacheDir,
    now: io.now,
    ...(mirror !== undefined ? { mirrorUrl: mirror } : {}),
    ...(values['tuf-root'] !== undefined ? { tufRootPath: resolve(io.cwd, values['tuf-root']) } : {}),
  });
  if (format === 'json') write(io.stdout, JSON.stringify({ cacheDir, ...record }, null, 2));
  else
    write(io.stdout, `updated ${cacheDir}/trusted_root.json from ${record.mirror} (sha256 ${record.sha256})`);
  return ExitCode.ok;
}
