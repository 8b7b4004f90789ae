import semver from 'semver';

import type { Advisory, VersionPolicy } from './types.ts';

export interface VersionVerdict {
  /** The version is valid semver (node-semver, loose off). */
  readonly valid: boolean;
  readonly isTarget: boolean;
  /** -1 older than target, 0 equal, 1 newer; 0 when invalid. */
  readonly comparedToTarget: -1 | 0 | 1;
  /** Does not satisfy policy.minimum. */
  readonly belowMinimum: boolean;
  /** The first policy.revoked entry that covers the version. */
  readonly revokedBy?: string;
  /** Advisories whose range covers the version. */
  readonly advisories: readonly Advisory[];
}

const rangeOptions = { includePrerelease: true } as const;

/** Classifies a version against a manifest's version policy; `verify` and `drift` share this. */
export function evaluateVersionPolicy(policy: VersionPolicy, version: string): VersionVerdict {
  const parsed = semver.valid(version);
  if (parsed === null) {
    return { valid: false, isTarget: false, comparedToTarget: 0, belowMinimum: false, advisories: [] };
  }
  const comparedToTarget = semver.compare(parsed, policy.target);
  const revokedBy = policy.revoked?.find((range) => semver.satisfies(parsed, range, rangeOptions));
  return {
    valid: true,
    isTarget: comparedToTarget === 0,
    comparedToTarget,
    belowMinimum: policy.minimum !== undefined && !semver.satisfies(parsed, policy.minimum, rangeOptions),
    ...(revokedBy !== undefined ? { revokedBy } : {}),
    advisories: (policy.advisories ?? []).filter((a) => semver.satisfies(parsed, a.versions, rangeOptions)),
  };
}
