import { defineCodes } from '../finding-codes.ts';

/** Finding codes owned by sigstore/ and github/. Stable strings: never rename one, only add. */
export const SIGSTORE_CODES = defineCodes({
  SIGSTORE_VERIFIED: {
    severity: 'info',
    title: 'Sigstore bundle verified',
    help: 'The signature, certificate chain or key, transparency-log entry or timestamp and the signer identity all check out against the trusted root.',
  },
  SIGSTORE_BUNDLE_INVALID: {
    severity: 'critical',
    title: 'Sigstore bundle is malformed or unsupported',
    help: 'The bundle is not valid JSON, has an unknown media type, or lacks a required field (for its media type version). Obtain the bundle again from its publisher.',
  },
  SIGSTORE_ARTIFACT_MISMATCH: {
    severity: 'critical',
    title: 'Signed digest does not match the artifact',
    help: 'The message digest in the bundle, or the signature over it, does not belong to this artifact: the artifact was modified or the bundle belongs to another file.',
  },
  SIGSTORE_SIGNATURE_INVALID: {
    severity: 'critical',
    title: 'Bundle signature does not verify',
    help: 'The signature over the artifact or DSSE envelope does not verify with the signing certificate or key: the bundle was tampered with.',
  },
  SIGSTORE_KEY_MISMATCH: {
    severity: 'critical',
    title: 'Bundle not signed by the given key',
    help: 'The signature does not verify with the public key given with --key (or the key in the trusted root named by the bundle hint).',
  },
  SIGSTORE_IDENTITY_MISMATCH: {
    severity: 'critical',
    title: 'Signing certificate identity not allowed',
    help: 'The certificate subject alternative name differs from --certificate-identity (exact) or does not match --certificate-identity-regexp (anchored), or from every signers.sigstore identity of the manifest.',
  },
  SIGSTORE_ISSUER_MISMATCH: {
    severity: 'critical',
    title: 'Signing certificate OIDC issuer not allowed',
    help: 'The OIDC issuer recorded in the signing certificate differs from --certificate-oidc-issuer or the manifest signer.',
  },
  SIGSTORE_CERTIFICATE_UNTRUSTED: {
    severity: 'critical',
    title: 'Signing certificate does not chain to the trusted root',
    help: 'The certificate was not issued by a certificate authority of the trusted root (unknown root), lacks a valid SCT, or was not valid at the signing time.',
  },
  SIGSTORE_ROOT_EXPIRED: {
    severity: 'critical',
    title: 'Trusted-root authority not valid at the signing time',
    help: 'The bundle verifies only if an authority of the trusted root (CA, transparency log, CT log or TSA) is used outside its validFor window. Use the trusted root that was valid when the artifact was signed, or re-sign.',
  },
  SIGSTORE_ROOT_STALE: {
    severity: 'low',
    title: 'Sigstore trusted root is old',
    help: "The trusted root (vendored snapshot or the last 'rmm-verify trust update') is older than the allowed age (--max-root-age, default 180 days): it may lack newer CAs and log keys, and revocations since. Run 'rmm-verify trust update'.",
  },
  SIGSTORE_TLOG_INVALID: {
    severity: 'critical',
    title: 'Transparency-log entry does not verify',
    help: 'The Rekor inclusion proof, checkpoint or signed entry timestamp is invalid, from an unknown log, or the entry body does not match the bundle content.',
  },
  SIGSTORE_TIMESTAMP_INVALID: {
    severity: 'critical',
    title: 'No valid signing timestamp',
    help: 'The bundle has no verified timestamp (integrated time or RFC 3161 timestamp from a trusted TSA), or a timestamp does not verify.',
  },
  SIGSTORE_STATEMENT_INVALID: {
    severity: 'critical',
    title: 'DSSE payload is not a valid in-toto statement',
    help: 'The envelope payload type is not application/vnd.in-toto+json, or the statement lacks _type, subject or predicateType.',
  },
  SIGSTORE_SUBJECT_MISMATCH: {
    severity: 'critical',
    title: 'Statement subject does not name the artifact',
    help: "No subject of the in-toto statement carries the artifact's digest (Sigstore does not check this; rmm-verify does).",
  },
  SIGSTORE_VERIFY_ERROR: {
    severity: 'critical',
    title: 'Sigstore verification could not complete',
    help: 'An unexpected error or an unsupported algorithm stopped verification; it fails closed.',
  },
  PROVENANCE_VERIFIED: {
    severity: 'info',
    title: 'Build provenance verified',
    help: 'A signed in-toto provenance statement names the artifact and matches a signers.provenance entry.',
  },
  PROVENANCE_MISSING: {
    severity: 'critical',
    title: 'Required build provenance not found',
    help: 'policy.requireProvenance is set but no bundle was found next to the artifact (<file>.sigstore.json, .sigstore, .intoto.jsonl, .bundle) or in an evidence directory.',
  },
  PROVENANCE_NO_POLICY: {
    severity: 'high',
    title: 'No provenance policy in the manifest',
    help: 'Provenance is required but the manifest lists no signers.provenance entry to match it against.',
  },
  PROVENANCE_PREDICATE_NOT_ALLOWED: {
    severity: 'critical',
    title: 'Provenance predicate type not allowed',
    help: 'The statement predicateType is not in signers.provenance[].predicateTypes (default https://slsa.dev/provenance/v1).',
  },
  PROVENANCE_BUILDER_MISMATCH: {
    severity: 'critical',
    title: 'Provenance builder id not allowed',
    help: 'The builder id in the provenance differs from signers.provenance[].builder.',
  },
  PROVENANCE_SOURCE_MISMATCH: {
    severity: 'critical',
    title: 'Provenance source repository not allowed',
    help: 'The source repository in the provenance or the signing certificate differs from signers.provenance[].source.',
  },
  PROVENANCE_REF_MISMATCH: {
    severity: 'critical',
    title: 'Provenance source ref not allowed',
    help: 'The git ref the artifact was built from does not match signers.provenance[].ref.',
  },
  PROVENANCE_WORKFLOW_MISMATCH: {
    severity: 'critical',
    title: 'Provenance signing workflow not allowed',
    help: 'The workflow that built and signed the artifact differs from signers.provenance[].workflow.',
  },
  PROVENANCE_CERTIFICATE_MISMATCH: {
    severity: 'critical',
    title: 'Provenance statement disagrees with its signing certificate',
    help: 'A fact stated both in the in-toto statement and in the Fulcio certificate extensions (1.3.6.1.4.1.57264.1.*) differs: source repository, ref, source digest, runner environment, builder id or workflow. The statement was not written by the workflow the certificate was issued to.',
  },
  PROVENANCE_POLICY_MISMATCH: {
    severity: 'critical',
    title: 'Attestation does not meet the verification policy',
    help: 'A flag of attest verify (--owner, --repo, --signer-repo, --signer-workflow, --source-ref, --source-digest, --builder-id, --deny-self-hosted-runners) is not met by the signing certificate and statement.',
  },
  GITHUB_DOWNLOAD_FAILED: {
    severity: 'critical',
    title: 'Release asset download failed',
    help: 'An asset could not be downloaded completely within the limits (size, time, redirects, retries); nothing was written.',
  },
  GITHUB_ATTESTATION_MISSING: {
    severity: 'high',
    title: 'No attestation published for the asset',
    help: "The repository's attestations endpoint returned no bundle for the asset's sha256 digest.",
  },
});
