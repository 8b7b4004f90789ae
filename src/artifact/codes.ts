import { defineCodes } from '../finding-codes.ts';

/** Finding codes owned by artifact/ (the `verify` pipeline). Stable strings: never rename one, only add. */
export const ARTIFACT_CODES = defineCodes({
  ARTIFACT_VERIFIED: {
    severity: 'info',
    title: 'Artifact matches the pinned manifest',
    help: 'Size and every pinned digest match, and the version is allowed by policy.',
  },
  ARTIFACT_UNKNOWN: {
    severity: 'critical',
    title: 'Artifact not in the manifest',
    help: 'No pinned artifact has this digest. Whatever its name, it is not an approved release. A file longer than every pin is read only to one byte past the largest pinned size; its digest is then reported as not computed.',
  },
  SIZE_MISMATCH: {
    severity: 'critical',
    title: 'Artifact size differs from the pinned size',
    help: 'The file is shorter or longer than pinned; an over-long file is not read past the pinned size + 1 byte.',
  },
  DIGEST_MISMATCH: {
    severity: 'critical',
    title: 'Artifact digest differs from the pinned digest',
    help: 'A pinned digest does not match the file: it was modified or is a different build.',
  },
  DIGEST_WEAK_ONLY: {
    severity: 'high',
    title: 'Artifact pinned only by a weak digest',
    help: 'The pin has only sha1, which never binds an artifact on its own; pin sha256 or stronger.',
  },
  NAME_MISMATCH: {
    severity: 'low',
    title: 'File name differs from the pinned name',
    help: 'The bytes match a pinned artifact but the file has another name. Identification is by digest; this is a note.',
  },
  PLATFORM_NOT_ALLOWED: {
    severity: 'high',
    title: 'Platform not allowed by policy',
    help: "The artifact's platform is not in policy.platforms, or differs from the platform asked with --platform.",
  },
  VERSION_REVOKED: {
    severity: 'critical',
    title: 'Version is revoked',
    help: 'The artifact version falls in a policy.revoked range.',
  },
  VERSION_BELOW_MINIMUM: {
    severity: 'high',
    title: 'Version below the minimum',
    help: 'The artifact version does not satisfy policy.minimum.',
  },
  VERSION_NOT_TARGET: {
    severity: 'low',
    title: 'Version is not the target',
    help: 'The artifact is an approved release but not policy.target.',
  },
  VERSION_VULNERABLE: {
    severity: 'high',
    title: 'Version has a known vulnerability',
    help: 'An advisory in policy.advisories covers this version.',
  },
  ARTIFACT_NOTHING_VERIFIED: {
    severity: 'critical',
    title: 'Nothing was verified',
    help: 'The files and directories named held no artifact to verify: empty directories, only evidence files (signatures, bundles, SBOMs), or only FIFOs, sockets, devices or dangling links. A gate that checked nothing never passes; name the release files or the directory that holds them.',
  },
  ARTIFACT_NOT_REGULAR_FILE: {
    severity: 'high',
    title: 'Not a regular file; not verified',
    help: 'A FIFO, socket, device or dangling symbolic link in a directory being verified. It is never opened (a FIFO without a writer would block the run) and so was not verified; remove it from the release directory.',
  },
  ARTIFACT_CHECK_ERROR: {
    severity: 'critical',
    title: 'A check could not complete',
    help: 'A check (Authenticode, provenance, SBOM, or the pipeline itself) stopped with an unexpected error. The artifact fails closed; the message names the check and the error.',
  },
  ARTIFACT_CHECK_NOT_RUN: {
    severity: 'critical',
    title: 'A required check did not run',
    help: 'The manifest requires this check for the artifact (Authenticode for a PE or MSI when signers.authenticode or policy.requireAuthenticode is set, provenance with policy.requireProvenance, SBOM when the artifact pins one) but it did not run or reported that it does not apply. An artifact passes only when every required check ran and passed.',
  },
  ARTIFACT_CHANGED_DURING_VERIFY: {
    severity: 'critical',
    title: 'The file changed while it was verified',
    help: 'Its size, modification or change time moved between opening and the end of the checks, or the path now names another file. What was verified may not be what is at the path now; verify again once nothing writes to it.',
  },
  ARTIFACT_UNREADABLE: {
    severity: 'critical',
    title: 'Artifact could not be read',
    help: 'The file could not be opened or read to the end; verification fails closed.',
  },
});
