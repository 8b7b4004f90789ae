/**
 * The `[epoch:]main[-tail]` shape that Debian (`upstream-revision`) and RPM (`version-release`)
 * versions share: the epoch is the digits before the first colon, the tail follows the last hyphen.
 */
export interface EpochSplit {
  readonly epoch: number;
  /** Whether the text carried an explicit epoch (`0:` included). */
  readonly hasEpoch: boolean;
  readonly main: string;
  /** '' when there is no hyphen. */
  readonly tail: string;
  /** Whether the text had a hyphen (so `tail` was given, possibly empty). */
  readonly hasTail: boolean;
}

/** Splits off epoch and tail; undefined when the epoch is not 1–9 digits. */
export function splitEpoch(text: string): EpochSplit | undefined {
  let main = text;
  let epoch = 0;
  const colon = main.indexOf(':');
  if (colon !== -1) {
    const digits = main.slice(0, colon);
    if (!/^[0-9]{1,9}$/.test(digits)) return undefined;
    epoch = Number(digits);
    main = main.slice(colon + 1);
  }
  let tail = '';
  const dash = main.lastIndexOf('-');
  if (dash !== -1) {
    tail = main.slice(dash + 1);
    main = main.slice(0, dash);
  }
  return { epoch, hasEpoch: colon !== -1, main, tail, hasTail: dash !== -1 };
}
