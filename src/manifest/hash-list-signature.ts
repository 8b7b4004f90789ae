/**
 * The signature on a vendor hash list (`pin --from LIST`): a detached or clear-signed OpenPGP
 * signature checked against keys the user gives, or a Sigstore bundle checked against a
 * certificate identity. A list whose signature is asked for and does not verify pins nothing.
 */
import { createHash } from 'node:crypto';
import { lstat } from 'node:fs/promises';
import { basename } from 'node:path';

import { InputError } from '../errors.ts';
import type { BundlePolicy } from '../sigstore/verify-bundle.ts';
import type { SigstoreTrust } from '../sigstore/trusted-root.ts';
import type { ListSignature } from './types.ts';

/** Who must have signed the list. */
export type ListSigner =
  | {
      readonly kind: 'openpgp';
      /** Public key files or keyrings (armored or binary). */
      readonly keyFiles: readonly string[];
    }
  | {
      readonly kind: 'sigstore';
      readonly policy: BundlePolicy;
      /** Loaded only when a bundle is checked (TUF, or a given trusted root). */
      readonly trust: () => Promise<SigstoreTrust>;
    };

/** File names a vendor's signature has beside its list, by kind (`SHA256SUMS.asc`, ...). */
export const LIST_SIGNATURE_SUFFIXES = {
  openpgp: ['.asc', '.sig', '.gpg', '.sign'],
  sigstore: ['.sigstore.json', '.sigstore', '.bundle'],
} as const;

export type CheckedList =
  | {
      readonly ok: true;
      /** The list's text as signed (for a clear-signed list: the text inside, never the armor). */
      readonly bytes: Buffer;
      readonly signature: ListSignature;
    }
  | { readonly ok: false; readonly signatureFile: string; readonly problems: readonly string[] };

/**
 * Checks the list's signature. `signaturePath` undefined: a clear-signed list is checked
 * in place (OpenPGP), otherwise the signature is looked for beside the list by its usual
 * suffixes. A missing or unreadable signature is an input error; one that does not verify is
 * `ok: false` with the reasons.
 */
export async function checkListSignature(
  listPath: string,
  listBytes: Buffer,
  signer: ListSigner,
  signaturePath: string | undefined,
  now: Date,
): Promise<CheckedList> {
  if (signer.kind === 'openpgp') {
    const pgp = await import('../openpgp/signature.ts');
    const keyrings = await Promise.all(signer.keyFiles.map((f) => pgp.loadOpenPgpKeys(f)));
    if (signaturePath === undefined && pgp.isClearSigned(listBytes)) {
      const checked = await pgp.checkClearSigned(listBytes, listPath, keyrings, now);
      if (!checked.ok) return { ok: false, signatureFile: listPath, problems: checked.problems };
      return {
        ok: true,
        bytes: Buffer.from(checked.text, 'utf8'),
        signature: { format: 'openpgp', file: basename(listPath), signers: [...checked.signers] },
      };
    }
    const file = signaturePath ?? (await signatureBeside(listPath, 'openpgp'));
    const checked = await pgp.checkDetachedSignature(listBytes, file, keyrings, now);
    if (!checked.ok) return { ok: false, signatureFile: file, problems: checked.problems };
    return {
      ok: true,
      bytes: listBytes,
      signature: { format: 'openpgp', file: basename(file), signers: [...checked.signers] },
    };
  }
  const file = signaturePath ?? (await signatureBeside(listPath, 'sigstore'));
  const { verifyBundleFile } = await import('../sigstore/verify-files.ts');
  const digests = {
    sha256: createHash('sha256').update(listBytes).digest('hex'),
    sha384: createHash('sha384').update(listBytes).digest('hex'),
    sha512: createHash('sha512').update(listBytes).digest('hex'),
  };
  const result = await verifyBundleFile(
    file,
    digests,
    await signer.trust(),
    signer.policy,
    basename(listPath),
  );
  const identity = result.verified?.signer?.identity;
  if (!result.ok || identity === undefined) {
    return {
      ok: false,
      signatureFile: file,
      problems: result.ok
        ? ['the bundle verified but names no certificate identity']
        : result.findings.map((f) => f.message),
    };
  }
  const issuer = result.verified?.signer?.issuer;
  return {
    ok: true,
    bytes: listBytes,
    signature: {
      format: 'sigstore',
      file: basename(file),
      signers: [identity],
      ...(issuer !== undefined ? { issuer } : {}),
    },
  };
}

/** The first signature file beside the list (any kind), for a note that it was not checked. */
export async function anySignatureBeside(listPath: string): Promise<string | undefined> {
  for (const suffix of [...LIST_SIGNATURE_SUFFIXES.openpgp, ...LIST_SIGNATURE_SUFFIXES.sigstore]) {
    if (await exists(listPath + suffix)) return listPath + suffix;
  }
  return undefined;
}

async function signatureBeside(
  listPath: string,
  kind: keyof typeof LIST_SIGNATURE_SUFFIXES,
): Promise<string> {
  for (const suffix of LIST_SIGNATURE_SUFFIXES[kind]) {
    if (await exists(listPath + suffix)) return listPath + suffix;
  }
  throw new InputError(
    'INPUT_UNREADABLE',
    `no ${kind === 'openpgp' ? 'OpenPGP signature' : 'Sigstore bundle'} beside the list (looked for ${LIST_SIGNATURE_SUFFIXES[kind].map((s) => basename(listPath) + s).join(', ')}); give --list-signature FILE`,
    { file: listPath },
  );
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}
