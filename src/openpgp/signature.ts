/**
 * OpenPGP signatures over a file a vendor publishes (a `SHA256SUMS`, a hash list): a detached
 * signature (`.asc`, `.sig`, `.gpg`; armored or binary) or a clear-signed text, checked with
 * OpenPGP.js against keys the user pins, as `gpgv --keyring KEYS SIG FILE` does. OpenPGP.js is
 * loaded only when a signature is checked.
 *
 * The rule, as apt's for a repository: at least one signature must verify with a given key, and
 * a signature that names a given key but does not verify fails the whole check (it is a forged
 * or damaged signature from a key we trust). Signatures by keys that were not given are ignored
 * and listed. Weak algorithms are refused by OpenPGP.js's defaults (MD5, RIPEMD-160 and SHA-1
 * message signatures; keys it considers too short).
 */
import type { Key, KeyID, PublicKey, Signature } from 'openpgp';

import { defaults } from '../defaults.ts';
import { errorMessage, InputError, type ErrorLocation } from '../errors.ts';
import { readBoundedFile } from '../json/index.ts';
import { truncateUntrusted } from '../text/truncate.ts';

const ARMOR = '-----BEGIN PGP ';
const CLEARTEXT_HEADER = '-----BEGIN PGP SIGNED MESSAGE-----';

/** A key file's keys, with the file they came from for messages. */
export interface OpenPgpKeyring {
  readonly file: string;
  readonly keys: readonly PublicKey[];
}

export interface OpenPgpSignatureCheck {
  /** True when a signature by a given key verified and none by a given key failed. */
  readonly ok: boolean;
  /** Primary-key fingerprints (upper-case hex) of the keys whose signatures verified. */
  readonly signers: readonly string[];
  /** Why it failed (when `ok` is false), one line each. */
  readonly problems: readonly string[];
  /** Key ids of signatures by keys that were not given (ignored). */
  readonly unknownKeyIds: readonly string[];
  /** A signature by a given key did not verify (forged or damaged, or the key was revoked). */
  readonly badByGivenKey: boolean;
}

/** Reads armored or binary OpenPGP public keys (a key, several, or a keyring such as Debian's `.gpg`). */
export async function loadOpenPgpKeys(path: string): Promise<OpenPgpKeyring> {
  const bytes = await readBoundedFile(path, defaults.maxOpenPgpKeyBytes, 'OpenPGP key file');
  const openpgp = await import('openpgp');
  let keys: Key[];
  try {
    keys = isArmored(bytes)
      ? await openpgp.readKeys({ armoredKeys: bytes.toString('utf8') })
      : await openpgp.readKeys({ binaryKeys: new Uint8Array(bytes) });
  } catch (error) {
    throw new InputError(
      'INPUT_INVALID',
      `expected OpenPGP public keys (armored or binary): ${truncateUntrusted(errorMessage(error))}`,
      { file: path, cause: error },
    );
  }
  if (keys.some((key) => key.isPrivate())) {
    throw new InputError(
      'INPUT_INVALID',
      'this is an OpenPGP private key; give the public key (gpg --export KEYID)',
      { file: path },
    );
  }
  return { file: path, keys: keys.map((key) => key.toPublic()) };
}

/** True when the bytes are a clear-signed OpenPGP message (the signed text inside the armor). */
export function isClearSigned(bytes: Buffer): boolean {
  const start = bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf ? 3 : 0;
  return bytes.subarray(start, start + CLEARTEXT_HEADER.length).toString('latin1') === CLEARTEXT_HEADER;
}

/**
 * Checks a detached signature over `data`. `signaturePath` is read (bounded); an unreadable
 * signature is an input error, a signature that does not verify is `ok: false`.
 */
export async function checkDetachedSignature(
  data: Uint8Array | ReadableStream<Uint8Array>,
  signaturePath: string,
  keyrings: readonly OpenPgpKeyring[],
  now: Date,
): Promise<OpenPgpSignatureCheck> {
  const bytes = await readBoundedFile(signaturePath, defaults.maxSignatureBytes, 'OpenPGP signature');
  return checkSignatureBytes(data, bytes, { file: signaturePath }, keyrings, now);
}

/**
 * Checks signature packets (armored or binary) over `data`; `where` names them in errors (a
 * signature file, or the package and tag they came from).
 */
export async function checkSignatureBytes(
  data: Uint8Array | ReadableStream<Uint8Array>,
  bytes: Uint8Array,
  where: ErrorLocation,
  keyrings: readonly OpenPgpKeyring[],
  now: Date,
): Promise<OpenPgpSignatureCheck> {
  const openpgp = await import('openpgp');
  let signature: Signature;
  try {
    signature = isArmored(bytes)
      ? await openpgp.readSignature({ armoredSignature: Buffer.from(bytes).toString('utf8') })
      : await openpgp.readSignature({ binarySignature: bytes });
  } catch (error) {
    throw new InputError(
      'INPUT_INVALID',
      `expected a detached OpenPGP signature (armored or binary): ${truncateUntrusted(errorMessage(error))}`,
      { ...where, cause: error },
    );
  }
  const message = await openpgp.createMessage({ binary: data });
  const result = await openpgp.verify({
    message,
    signature,
    verificationKeys: keyrings.flatMap((k) => k.keys),
    date: now,
    format: 'binary',
  });
  // A streamed message is hashed as its data is read: read it to the end (and let it go).
  if (result.data instanceof ReadableStream) {
    const reader = (result.data as ReadableStream<Uint8Array>).getReader();
    while (!(await reader.read()).done);
  }
  return judge(result.signatures, keyrings);
}

/**
 * Checks a clear-signed message and returns the text it signs (what a caller must then read,
 * never the bytes around it). A message that cannot be read is an input error.
 */
export async function checkClearSigned(
  bytes: Buffer,
  file: string,
  keyrings: readonly OpenPgpKeyring[],
  now: Date,
): Promise<OpenPgpSignatureCheck & { readonly text: string }> {
  const openpgp = await import('openpgp');
  let message: Awaited<ReturnType<typeof openpgp.readCleartextMessage>>;
  try {
    message = await openpgp.readCleartextMessage({ cleartextMessage: bytes.toString('utf8') });
  } catch (error) {
    throw new InputError(
      'INPUT_INVALID',
      `expected a clear-signed OpenPGP message: ${truncateUntrusted(errorMessage(error))}`,
      { file, cause: error },
    );
  }
  const result = await openpgp.verify({
    message,
    verificationKeys: keyrings.flatMap((k) => k.keys),
    date: now,
  });
  return { ...(await judge(result.signatures, keyrings)), text: message.getText() };
}

interface VerificationResult {
  readonly keyID: KeyID;
  readonly verified: Promise<true>;
}

async function judge(
  signatures: readonly VerificationResult[],
  keyrings: readonly OpenPgpKeyring[],
): Promise<OpenPgpSignatureCheck> {
  const signers: string[] = [];
  const problems: string[] = [];
  const unknownKeyIds: string[] = [];
  let badByGivenKey = false;
  for (const entry of signatures) {
    const keyId = entry.keyID.toHex().toUpperCase();
    const key = keyrings.flatMap((k) => k.keys).find((k) => k.getKeys(entry.keyID).length > 0);
    if (key === undefined) {
      // Settle the promise: OpenPGP.js rejects it for a key it was not given.
      await entry.verified.catch(() => undefined);
      unknownKeyIds.push(keyId);
      continue;
    }
    const fingerprint = key.getFingerprint().toUpperCase();
    try {
      await entry.verified;
      if (!signers.includes(fingerprint)) signers.push(fingerprint);
    } catch (error) {
      badByGivenKey = true;
      problems.push(
        `the signature by key ${keyId} (${fingerprint}) does not verify: ${truncateUntrusted(errorMessage(error))}`,
      );
    }
  }
  if (signatures.length === 0) problems.push('it holds no signature');
  else if (signers.length === 0 && problems.length === 0) {
    problems.push(
      `no signature is by a given key (signed by key id ${unknownKeyIds.join(', ')}; given: ${keyrings.map((k) => k.file).join(', ')})`,
    );
  }
  return {
    ok: problems.length === 0 && signers.length > 0,
    signers,
    problems,
    unknownKeyIds,
    badByGivenKey,
  };
}

function isArmored(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 64)).toString('latin1').trimStart().startsWith(ARMOR);
}
