import { expect } from 'vitest';

import type { Finding } from '../src/findings.ts';

interface FindingMatchers<R = unknown> {
  /** Passes when the findings (or a function returning them) include one with this code. */
  toFailWith(code: string): R;
}

declare module 'vitest' {
  // eslint-disable-next-line @typescript-eslint/no-empty-object-type -- vitest's documented augmentation
  interface Matchers<T = any> extends FindingMatchers<T> {} // eslint-disable-line @typescript-eslint/no-explicit-any -- vitest's own signature uses any
}

expect.extend({
  toFailWith(received: unknown, code: string) {
    const value: unknown = typeof received === 'function' ? (received as () => unknown)() : received;
    const list = (
      Array.isArray(value) ? value : ((value as { findings?: unknown }).findings ?? [])
    ) as Finding[];
    const codes = list.map((f) => f.code);
    const hit = list.some((f) => f.code === code && f.severity !== 'info');
    return {
      pass: hit,
      message: () =>
        hit
          ? `expected no failing finding ${code}, got [${codes.join(', ')}]`
          : `expected a failing finding ${code}, got [${codes.join(', ')}]`,
    };
  },
});
