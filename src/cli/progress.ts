import { escapeText } from '../report/escape-text.ts';
import type { CliIo } from './io.ts';

export interface Progress {
  update(label: string, done: number, total?: number): void;
  done(): void;
}

const silent: Progress = { update: () => undefined, done: () => undefined };

/** A one-line progress display on stderr, only when stderr is a TTY; at most ~10 redraws a second. */
export function progressOn(io: CliIo): Progress {
  if (io.stderr.isTTY !== true) return silent;
  let last = 0;
  let shown = false;
  return {
    update(label, done, total) {
      const now = Date.now();
      if (now - last < 100) return;
      last = now;
      const mib = (n: number) => `${(n / 1048576).toFixed(1)} MiB`;
      const amount = total
        ? `${mib(done)} / ${mib(total)} (${Math.floor((done / total) * 100)}%)`
        : mib(done);
      io.stderr.write(`\r\u001b[2K${escapeText(label.slice(-60))}  ${amount}`);
      shown = true;
    },
    done() {
      if (shown) io.stderr.write('\r\u001b[2K');
      shown = false;
    },
  };
}
