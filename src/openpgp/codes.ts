import { defineCodes } from '../finding-codes.ts';

/** Finding codes owned by openpgp/. Stable strings: never rename one, only add. */
export const OPENPGP_CODES = defineCodes({
  OPENPGP_VERIFIED: {
    severity: 'info',
    title: 'OpenPGP signature verified',
    help: "A detached signature beside the artifact verifies with a key of the manifest's signers.openpgp.",
  },
  OPENPGP_SIGNATURE_MISSING: {
    severity: 'high',
    title: 'OpenPGP signature missing',
    help: 'The manifest pins an OpenPGP signer for this platform, but no `<file>.asc`, `.sig` or `.gpg` (for a .deb: no repository InRelease, or Release with Release.gpg) was found beside the artifact or in an evidence directory.',
  },
  OPENPGP_SIGNATURE_INVALID: {
    severity: 'critical',
    title: 'OpenPGP signature does not verify',
    help: 'A signature names a pinned key but does not verify over the artifact (the file or the signature was changed), or the key was expired or revoked when it signed, or the algorithm is refused (MD5, RIPEMD-160, SHA-1).',
  },
  OPENPGP_SIGNER_UNTRUSTED: {
    severity: 'high',
    title: 'OpenPGP signature by an unpinned key',
    help: 'The artifact is signed, but by no key the manifest pins for it.',
  },
  OPENPGP_SIGNATURE_MALFORMED: {
    severity: 'critical',
    title: 'OpenPGP signature file is malformed',
    help: 'The signature file beside the artifact is not an OpenPGP signature (armored or binary) or is larger than the limit.',
  },
  OPENPGP_TRUST_UNAVAILABLE: {
    severity: 'high',
    title: 'Pinned OpenPGP keys cannot be loaded',
    help: 'A key file of signers.openpgp is missing or unreadable, or holds none of the pinned fingerprints; nothing can be verified against it.',
  },
  RPM_MALFORMED: {
    severity: 'critical',
    title: 'RPM package is malformed',
    help: 'The lead, a header, or a tag the signature check needs cannot be read, or the size the signature header gives differs from the file: the package was damaged or built to confuse a verifier.',
  },
  RPM_UNSIGNED: {
    severity: 'high',
    title: 'RPM package is not signed',
    help: 'The manifest pins an OpenPGP signer for this platform, but the package carries no OpenPGP signature (rpmsign --addsign was not run).',
  },
  RPM_DIGEST_MISMATCH: {
    severity: 'critical',
    title: 'RPM header or payload digest does not match',
    help: "The signature header's SHA256 of the main header, or the main header's payload digest, differs from the bytes: the package was modified after it was built or signed.",
  },
  RPM_PAYLOAD_UNCOVERED: {
    severity: 'high',
    title: 'RPM payload not covered by a signature',
    help: 'The package has only a header signature and no payload digest in its header, so nothing signed covers the payload (old rpm); re-sign with a header+payload signature or rebuild with rpm 4.14 or later.',
  },
  DEB_RELEASE_EXPIRED: {
    severity: 'high',
    title: 'Repository Release file has expired',
    help: "The signed Release's Valid-Until is past (apt refuses it too): the metadata may be a replayed old snapshot that hides newer, fixed packages. Fetch the repository's current InRelease.",
  },
  DEB_INDEX_UNLISTED: {
    severity: 'high',
    title: 'Packages index not listed in the signed Release',
    help: 'No Packages or Packages.gz file given as evidence has a SHA-256 and size that the signed Release lists: the index was changed or belongs to another repository or date.',
  },
  DEB_NOT_IN_REPOSITORY: {
    severity: 'critical',
    title: 'Package not in the signed repository',
    help: "The .deb's SHA-256 and size match no entry of the Packages index that the signed Release lists: the repository's signature does not cover this file.",
  },
});
