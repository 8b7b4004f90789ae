#!/usr/bin/env node
// Kept to syntax every Node release since 14 parses, so an older Node reaches the version check
// below and says in one line what is needed instead of failing on a missing API.
// node:child_process and node:os are imported only by the drift branch below: every other
// command's cold start would load about 30 of Node's internal modules for them.

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
// Exit statuses of a run stopped by a signal (128 + its number), as shells report them.
const SIGNAL_STATUS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 };

// `drift` streams millions of rows; V8's default young generation grows to ~130 MB under that
// allocation rate, which breaks the scan's memory bound (~280 MB peak at 10 M rows with a 4 MB
// semi-space, ~410 MB without). The flag only works at start-up, so drift re-runs itself with it.
// Large CSV files are parsed on a second thread; glibc would give each thread its own malloc
// arenas, which keep freed chunks of text (peaks of 330+ MB instead of ~275 MB): two arenas.
// (A worker thread with resourceLimits could cap the young generation without a second process,
// but not the arenas, which are read from the environment when the process starts.)
// `drift --help` (and a lone --help anywhere) needs neither, so it is not re-run.
// The scan dies with this launcher: it runs with an IPC channel, which closes when this process
// ends however it ends (kill -9 included), and it stops without writing a report or committing
// history when that happens (dist/cli/interrupt.js). SIGINT, SIGTERM and SIGHUP are passed on;
// the launcher exits with the scan's status (130, 143, 129 when a signal stopped it).
const args = process.argv.slice(2);
const wantsHelp = args.includes('--help') || args.includes('-h');
if (
  args[0] === 'drift' &&
  !wantsHelp &&
  !process.execArgv.some((arg) => arg.startsWith('--max-semi-space-size'))
) {
  const [{ spawn }, { constants: osConstants }] = await Promise.all([
    import('node:child_process'),
    import('node:os'),
  ]);
  const child = spawn(process.execPath, [SEMI_SPACE_FLAG, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: ['inherit', 'inherit', 'inherit', 'ipc'],
    env: { MALLOC_ARENA_MAX: '2', ...process.env, RMM_VERIFY_LAUNCHER_PID: String(process.pid) },
  });
  for (const signal of Object.keys(SIGNAL_STATUS))
    process.on(signal, () => {
      child.kill(signal);
    });
  child.on('error', (error) => {
    process.stderr.write(`rmm-verify drift: cannot start the scan: ${error.message}\n`);
    process.exitCode = 2;
  });
  child.on('exit', (code, signal) => {
    // A scan killed by a signal it could not handle (SIGKILL): the shell's status for it.
    process.exitCode = code ?? (signal ? 128 + (osConstants.signals[signal] ?? 0) : 1);
    if (child.connected) child.disconnect();
  });
} else if (args[0] === '--version' || args[0] === '-V') {
  // The commonest cold start answers without loading the CLI.
  const { VERSION } = await import('../dist/version.js');
  process.stdout.write(`${VERSION}\n`);
} else {
  const { main } = await import('../dist/cli/main.js');
  if (args[0] === 'drift' && !wantsHelp) {
    // Signals stop the scan cleanly (one line, status 130/143, nothing written or recorded).
    const [{ processIo }, { stopOnSignals }] = await Promise.all([
      import('../dist/cli/io.js'),
      import('../dist/cli/interrupt.js'),
    ]);
    process.exitCode = await main(args, processIo(stopOnSignals()));
  } else {
    process.exitCode = await main(args);
  }
}
