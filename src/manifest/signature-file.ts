import { defaults } from '../defaults.ts';
import { writeFileAtomic } from '../fs/atomic-write.ts';
import { decodeUtf8, parseStrictJson } from '../json/strict-json.ts';
import { readBoundedFile } from '../json/read-bounded.ts';
import { assertValid } from './validate-json.ts';
import { validateSignatureFileDocument } from './validators.ts';

/**
 * A detached signature file (`<manifest>.sig`): signatures over the manifest's exact bytes.
 * Verifiable with openssl too: `base64 -d` the signature and `openssl pkeyutl -verify` (Ed25519)
 * or `openssl dgst -sha256 -verify` (ECDSA, RSA).
 */
export interface SignatureFile {
  readonly schema: 1;
  readonly signatures: readonly ManifestSignature[];
}

export interface ManifestSignature {
  readonly keyid: string;
  /** Base64 signature bytes. */
  readonly signature: string;
}

export function defaultSignaturePath(manifestPath: string): string {
  return `${manifestPath}.sig`;
}

export function parseSignatureFile(bytes: Uint8Array, file: string): SignatureFile {
  const parsed = parseStrictJson(decodeUtf8(bytes, file), file);
  return assertValid(validateSignatureFileDocument, parsed, file, 'SIGNATURE_FILE_INVALID', 'signature file');
}

export async function readSignatureFile(path: string): Promise<SignatureFile> {
  return parseSignatureFile(await readBoundedFile(path, defaults.maxSignatureBytes, 'signature file'), path);
}

/** Adds or replaces the signature of one key, atomically. */
export async function writeSignature(
  path: string,
  existing: SignatureFile | undefined,
  signature: ManifestSignature,
): Promise<SignatureFile> {
  const others = (existing?.signatures ?? []).filter((s) => s.keyid !== signature.keyid);
  const next: SignatureFile = { schema: 1, signatures: [...others, signature] };
  await writeFileAtomic(path, `${JSON.stringify(next, null, 2)}\n`);
  return next;
}
