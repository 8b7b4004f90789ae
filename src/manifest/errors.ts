import { RmmVerifyError } from '../errors.ts';

export type ManifestErrorCode =
  'MANIFEST_INVALID' | 'TRUST_ROOT_INVALID' | 'SIGNATURE_FILE_INVALID' | 'STATE_INVALID' | 'KEY_INVALID';

/** A manifest, trust root, signature file, state file or key that is malformed (exit 2). */
export class ManifestError extends RmmVerifyError<ManifestErrorCode> {}
