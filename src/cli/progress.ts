import { escapeText } from '../report/escape-text.ts';
import type { CliIo } from './io.ts';

export type ProgressUnit = 'bytes' | 'rows';

export interface Progress {
  /** `done` units of `label` so far, of `total` when known (percent and time left need it). */
  update(label: string, done: number, total?: number): void;
  done(): void;
  /** False when nothing is drawn (not a terminal): callers can skip work done only for the display. */
  readonly visible: boolean;
}

const silent: Progress = { update: () => undefined, done: () => undefined, visible: false };

function amount(n: number, unit: ProgressUnit): string {
  return unit === 'bytes' ? `${(n / 1048576).toFixed(1)} MiB` : Math.round(n).toLocaleString('en-US');
}

/** `0:07`, `12:34`, `1:02:03`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const rest = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${rest}` : `${m}:${rest}`;
}

/**
 * One progress line: done/total, percent, rate and time left when the total is known; done and
 * rate when it is not (rows of a stream). `elapsedMs` is the time since this label started.
 */
export function progressLine(
  label: string,
  done: number,
  total: number | undefined,
  elapsedMs: number,
  unit: ProgressUnit,
): string {
  const rate = elapsedMs > 0 ? (done / elapsedMs) * 1000 : 0;
  const rateText = rate > 0 ? `${amount(rate, unit)}${unit === 'bytes' ? '/s' : ' rows/s'}` : '';
  const shown = escapeText(label);
  const parts = [shown.length > 48 ? `...${shown.slice(-45)}` : shown];
  if (total !== undefined && total > 0) {
    const fraction = Math.min(1, done / total);
    parts.push(`${amount(done, unit)} / ${amount(total, unit)}${unit === 'rows' ? ' rows' : ''}`);
    parts.push(`${Math.floor(fraction * 100)}%`);
    if (rateText) parts.push(rateText);
    if (rate > 0) parts.push(`${formatDuration((total - Math.min(done, total)) / rate)} left`);
  } else {
    parts.push(`${amount(done, unit)}${unit === 'rows' ? ' rows' : ''}`);
    if (rateText) parts.push(rateText);
    parts.push(`${formatDuration(elapsedMs / 1000)} elapsed`);
  }
  return parts.join('  ');
}

/**
 * A one-line progress display on stderr, only when stderr is a TTY (nothing on a pipe or in a
 * file); at most ~10 redraws a second. `now` is injectable for tests.
 */
export function progressOn(
  io: CliIo,
  unit: ProgressUnit = 'bytes',
  now: () => number = () => performance.now(),
): Progress {
  if (io.stderr.isTTY !== true) return silent;
  let lastDraw = -Infinity;
  let shown = false;
  let current: string | undefined;
  // The first label's clock starts with the display (its first update may come only after
  // thousands of rows), so even the first line has a rate; each later label restarts it.
  let started = now();
  return {
    visible: true,
    update(label, done, total) {
      const t = now();
      if (label !== current) {
        if (current !== undefined) started = t;
        current = label;
      }
      if (t - lastDraw < 100) return;
      lastDraw = t;
      io.stderr.write(`\r\u001b[2K${progressLine(label, done, total, t - started, unit)}`);
      shown = true;
    },
    done() {
      if (shown) io.stderr.write('\r\u001b[2K');
      shown = false;
    },
  };
}
