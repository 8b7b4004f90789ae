#!/usr/bin/env node
// Kept to syntax every Node release since 14 parses, so an older Node reaches the version check
// below and says in one line what is needed instead of failing on a missing API.
import { spawn } from 'node:child_process';

/**
 * The Node releases this package supports: package.json `engines` (a test keeps them equal),
 * which follows the sigstore-js packages': each line from its first supported release on.
 */
const SUPPORTED_NODE = [
  [22, 22, 2],
  [24, 15, 0],
  [26, 0, 0],
];
const LAST_LINE = SUPPORTED_NODE[SUPPORTED_NODE.length - 1][0];
const [major, minor, patch] = process.versions.node.split('.').map(Number);
const supported = SUPPORTED_NODE.some(
  ([line, fromMinor, fromPatch]) =>
    (major === line || (line === LAST_LINE && major > line)) &&
    (major > line || minor > fromMinor || (minor === fromMinor && patch >= fromPatch)),
);
if (!supported) {
  process.stderr.write(
    `rmm-verify: needs Node.js 22.22.2+ (22.x), 24.15+ (24.x) or 26+ (this is ${process.version}): ` +
      'its Sigstore libraries require them, and it uses node:sqlite (drift history) and ' +
      'tls.getCACertificates (system roots); install Node 22 or 24 and run it again\n',
  );
  process.exit(2);
}

const SEMI_SPACE_FLAG = '--max-semi-space-size=4';

// `drift` streams millions of rows; V8's default young generation grows to ~130 MB under that
// allocation rate, which breaks the scan's memory bound (~280 MB peak at 10 M rows with a 4 MB
// semi-space, ~410 MB without). The flag only works at start-up, so drift re-runs itself with it.
// Large CSV files are parsed on a second thread; glibc would give each thread its own malloc
// arenas, which keep freed chunks of text (peaks of 330+ MB instead of ~275 MB): two arenas.
// `drift --help` (and a lone --help anywhere) needs neither, so it is not re-run.
const args = process.argv.slice(2);
const wantsHelp = args.includes('--help') || args.includes('-h');
if (
  args[0] === 'drift' &&
  !wantsHelp &&
  !process.execArgv.some((arg) => arg.startsWith('--max-semi-space-size'))
) {
  const child = spawn(process.execPath, [SEMI_SPACE_FLAG, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { MALLOC_ARENA_MAX: '2', ...process.env },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
} else if (args[0] === '--version' || args[0] === '-V') {
  // The commonest cold start answers without loading the CLI.
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(args);
}
