import { InputError } from '../errors.ts';
import type { Manifest } from './types.ts';

declare const trustedBrand: unique symbol;

/**
 * A manifest a consumer may act on: one whose trust check passed (`checkManifest` or
 * `verifyManifestTrust` returns it as `manifest` when `trusted`), or one the caller chose, by
 * name, not to check (`uncheckedManifests`, the CLI's --allow-unsigned-manifests). The type
 * keeps raw parsed manifests out of `scanDrift` at compile time; a registry of the objects
 * handed out keeps them out at run time (plain JavaScript callers).
 */
export type TrustedManifest = Manifest & { readonly [trustedBrand]: 'verified' | 'unchecked' };

const vouched = new WeakMap<Manifest, 'verified' | 'unchecked'>();

/** Marks a manifest whose trust check passed. Internal to the trust check. */
export function vouchVerified(manifest: Manifest): TrustedManifest {
  vouched.set(manifest, 'verified');
  return manifest as TrustedManifest;
}

/**
 * The explicit opt-out: use these manifests without checking their signatures, expiry or
 * rollback (drafts, tests). Anyone who can edit them can then hide drift.
 */
export function uncheckedManifests(manifests: readonly Manifest[]): TrustedManifest[] {
  return manifests.map((manifest) => {
    if (!vouched.has(manifest)) vouched.set(manifest, 'unchecked');
    return manifest as TrustedManifest;
  });
}

/** How a manifest was vouched for, or undefined for a raw one. */
export function manifestTrust(manifest: Manifest): 'verified' | 'unchecked' | undefined {
  return vouched.get(manifest);
}

/** A derived manifest (e.g. with OSV advisories added) keeps its source's standing. */
export function carryTrust<M extends Manifest>(from: M, to: Manifest): M {
  const standing = vouched.get(from);
  if (standing !== undefined) vouched.set(to, standing);
  return to as M;
}

/** Fails closed on a manifest that neither passed the trust check nor was opted out by name. */
export function requireTrusted(manifests: readonly Manifest[], what: string): void {
  for (const manifest of manifests) {
    if (!vouched.has(manifest)) {
      throw new InputError(
        'INPUT_INVALID',
        `${what}: manifest for '${manifest.product}' has not passed the trust check; pass the manifest that checkManifest returned, or uncheckedManifests([...]) to opt out`,
      );
    }
  }
}
