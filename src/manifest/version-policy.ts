import { versionScheme, type VersionRange, type VersionScheme } from '../versions/index.ts';
import { ManifestError } from './errors.ts';
import type { Advisory, Manifest, VersionPolicy } from './types.ts';

export interface VersionVerdict {
  /** The version is valid in the manifest's version scheme (after normalisation). */
  readonly valid: boolean;
  /** Canonical text of the version in its scheme; '' when invalid. */
  readonly normalised: string;
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

/** A manifest's version policy with its ranges parsed once in the manifest's scheme. */
export interface CompiledVersionPolicy {
  readonly scheme: VersionScheme;
  /** Canonical target. */
  readonly target: string;
  evaluate(version: string): VersionVerdict;
}

type PolicyOwner = Pick<Manifest, 'versionScheme'> & { readonly policy: VersionPolicy };

function range(scheme: VersionScheme, text: string, pointer: string): VersionRange {
  const parsed = scheme.parseRange(text);
  if (parsed === undefined)
    throw new ManifestError(
      'MANIFEST_INVALID',
      `manifest: ${pointer}: '${text}' is not a ${scheme.name} version or range (for example ${scheme.example} or >=${scheme.example})`,
      { pointer },
    );
  return parsed;
}

/**
 * Parses a manifest's policy in its version scheme. Throws MANIFEST_INVALID for a target or range
 * the scheme does not accept (parseManifest checks the same, with the line and column).
 */
export function compileVersionPolicy(owner: PolicyOwner): CompiledVersionPolicy {
  const { policy } = owner;
  const scheme = versionScheme(owner.versionScheme);
  const target = scheme.normalise(policy.target);
  if (target === undefined)
    throw new ManifestError(
      'MANIFEST_INVALID',
      `manifest: /policy/target: '${policy.target}' is not a ${scheme.name} version (for example ${scheme.example})`,
      { pointer: '/policy/target' },
    );
  const minimum = policy.minimum === undefined ? undefined : range(scheme, policy.minimum, '/policy/minimum');
  const revoked = (policy.revoked ?? []).map((text, i) => range(scheme, text, `/policy/revoked/${i}`));
  const advisories = (policy.advisories ?? []).map(
    (advisory, i) =>
      [advisory, range(scheme, advisory.versions, `/policy/advisories/${i}/versions`)] as const,
  );
  return {
    scheme,
    target,
    evaluate(version: string): VersionVerdict {
      const normalised = scheme.normalise(version);
      if (normalised === undefined)
        return {
          valid: false,
          normalised: '',
          isTarget: false,
          comparedToTarget: 0,
          belowMinimum: false,
          advisories: [],
        };
      const comparedToTarget = scheme.compare(normalised, target) as -1 | 0 | 1;
      const revokedBy = revoked.find((r) => r.satisfiedBy(normalised))?.text;
      return {
        valid: true,
        normalised,
        isTarget: comparedToTarget === 0,
        comparedToTarget,
        belowMinimum: minimum !== undefined && !minimum.satisfiedBy(normalised),
        ...(revokedBy !== undefined ? { revokedBy } : {}),
        advisories: advisories.filter(([, r]) => r.satisfiedBy(normalised)).map(([a]) => a),
      };
    },
  };
}

/** Classifies a version against a manifest's version policy; `verify` and `drift` share this. */
export function evaluateVersionPolicy(owner: PolicyOwner, version: string): VersionVerdict {
  return compileVersionPolicy(owner).evaluate(version);
}
