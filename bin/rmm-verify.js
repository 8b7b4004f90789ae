#!/usr/bin/env node
import { spawn } from 'node:child_process';

const SEMI_SPACE_FLAG = '--max-semi-space-size=4';

// `drift` streams millions of rows; V8's default young generation grows to ~130 MB under that
// allocation rate, which breaks the scan's memory bound (~280 MB peak at 10 M rows with a 4 MB
// semi-space, ~410 MB without). The flag only works at start-up, so drift re-runs itself with it.
// Large CSV files are parsed on a second thread; glibc would give each thread its own malloc
// arenas, which keep freed chunks of text (peaks of 330+ MB instead of ~275 MB): two arenas.
if (process.argv[2] === 'drift' && !process.execArgv.some((arg) => arg.startsWith('--max-semi-space-size'))) {
  const child = spawn(process.execPath, [SEMI_SPACE_FLAG, ...process.execArgv, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { MALLOC_ARENA_MAX: '2', ...process.env },
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => {
    if (signal) process.kill(process.pid, signal);
    else process.exitCode = code ?? 1;
  });
} else {
  const { main } = await import('../dist/cli/main.js');
  process.exitCode = await main(process.argv.slice(2));
}
