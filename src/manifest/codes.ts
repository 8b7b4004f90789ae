import { defineCodes } from '../finding-codes.ts';

/** Finding codes owned by manifest/. Stable strings: never rename one, only add. */
export const MANIFEST_CODES = defineCodes({
  MANIFEST_SIGNATURES_NOT_CHECKED: {
    severity: 'info',
    title: 'Manifest signatures were not checked',
    help: 'The run was told --allow-unsigned-manifests: the manifests were used without checking their signatures, serial or expiry against a trust root. Fine for trying the tool on sample data; never for a real gate.',
  },
  MANIFEST_SIGNATURE_MISSING: {
    severity: 'critical',
    title: 'Manifest has no signature',
    help: 'No detached signature (`<manifest>.sig`) and no Sigstore bundle (`<manifest>.sigstore.json`) was found for the manifest. Sign it with `rmm-verify manifest sign --key` or, in a release workflow, `manifest sign --sigstore`.',
  },
  MANIFEST_SIGNATURE_INVALID: {
    severity: 'critical',
    title: 'Manifest signature does not verify',
    help: 'A signature or Sigstore bundle did not verify over the exact manifest bytes: the manifest was modified, the signature is corrupt, or the bundle is for other bytes or does not chain to the Sigstore trusted root (evidence `reason` names the Sigstore check that failed).',
  },
  MANIFEST_SIGNATURE_UNKNOWN_KEY: {
    severity: 'critical',
    title: 'Manifest signed by a key not in the trust root',
    help: 'The key id is not listed in the trust root. Only keys in keys/trust.json count toward the threshold.',
  },
  MANIFEST_SIGNATURE_UNKNOWN_IDENTITY: {
    severity: 'critical',
    title: 'Manifest bundle signed by an identity not in the trust root',
    help: "A Sigstore bundle verified, but its certificate's OIDC issuer, subject (exact, or the whole subject matching an anchored subjectRegExp) or source repository matches none of the trust root's identities.",
  },
  MANIFEST_IDENTITY_NOT_ALLOWED: {
    severity: 'critical',
    title: 'Identity may not sign this product',
    help: 'A trusted identity signed a manifest for a product it is not scoped to (mix-and-match attack).',
  },
  MANIFEST_THRESHOLD_NOT_MET: {
    severity: 'critical',
    title: 'Too few distinct trusted signers signed the manifest',
    help: 'The trust root requires signatures from a threshold of distinct signers, keys and identities together; two signatures by one key, or two bundles by one certificate identity, count once.',
  },
  MANIFEST_KEY_NOT_ALLOWED: {
    severity: 'critical',
    title: 'Key may not sign this product',
    help: 'A trusted key signed a manifest for a product it is not scoped to (mix-and-match attack).',
  },
  MANIFEST_EXPIRED: {
    severity: 'critical',
    title: 'Manifest has expired',
    help: 'The manifest is past its `expires` time and is not trusted (freeze attack). Ask the publisher for a fresh one.',
  },
  MANIFEST_NOT_YET_VALID: {
    severity: 'high',
    title: 'Manifest issued in the future',
    help: 'The `issued` time is later than now (beyond the allowed clock skew).',
  },
  MANIFEST_ROLLBACK: {
    severity: 'critical',
    title: 'Manifest serial went backwards',
    help: 'The serial is below the last accepted serial for this product (rollback attack).',
  },
  MANIFEST_SERIAL_REUSED: {
    severity: 'critical',
    title: 'Serial reused with different content',
    help: 'A manifest with the same serial but different bytes was accepted before: the publisher must bump the serial on every change, or someone is presenting two versions of history.',
  },
  MANIFEST_VERIFIED: {
    severity: 'info',
    title: 'Manifest trusted',
    help: 'Signed by the threshold of distinct trusted keys and identities allowed for the product, not expired, no rollback.',
  },
  MANIFEST_LINT_TARGET_NOT_RELEASED: {
    severity: 'high',
    title: 'Target version has no release',
    help: 'policy.target names a version with no entry in releases.',
  },
  MANIFEST_LINT_TARGET_REVOKED: {
    severity: 'high',
    title: 'Target version is revoked',
    help: 'policy.target falls in a policy.revoked range.',
  },
  MANIFEST_LINT_MINIMUM_ABOVE_TARGET: {
    severity: 'high',
    title: 'Minimum excludes the target',
    help: 'policy.target does not satisfy policy.minimum.',
  },
  MANIFEST_LINT_NO_SHA256: {
    severity: 'medium',
    title: 'Artifact pinned without sha256',
    help: 'Every artifact should pin at least sha256; sha1 alone never binds an artifact.',
  },
  MANIFEST_LINT_EXPIRES_SOON: {
    severity: 'low',
    title: 'Manifest expires soon',
    help: 'The manifest expires within the warning window; publish a fresh one before verification starts failing.',
  },
  MANIFEST_LINT_DUPLICATE_ARTIFACT: {
    severity: 'medium',
    title: 'Same digest pinned twice',
    help: 'Two artifact entries share a sha256; identification by digest becomes ambiguous.',
  },
});
