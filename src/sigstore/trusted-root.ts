import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { fileURLToPath } from 'node:url';

import type { TrustedRoot } from '@sigstore/protobuf-specs';
import type { TrustMaterial, toTrustMaterial } from '@sigstore/verify';

import { defaults } from '../defaults.ts';
import { InputError, errorMessage } from '../errors.ts';
import { decodeUtf8, parseStrictJson, readBoundedFile } from '../json/index.ts';
import { protobufSpecs, sigstoreVerify } from './libraries.ts';
import { quoteUntrusted } from '../text/truncate.ts';

/**
 * The Sigstore public-good trusted_root.json vendored under keys/sigstore/ (taken from the TUF
 * seeds of @sigstore/tuf, see keys/sigstore/README.md). Its digest is pinned here: refreshing
 * it is a deliberate, reviewed change of both the file and this constant.
 */
export const PUBLIC_GOOD_TRUSTED_ROOT_SHA256 =
  '6494e21ea73fa7ee769f85f57d5a3e6a08725eae1e38c755fc3517c9e6bc0b66';

/**
 * When the vendored root was last known current: it is byte for byte the trusted_root.json
 * target of @sigstore/tuf 5.0.1's seeds, published 2026-11-05.
 */
export const PUBLIC_GOOD_TRUSTED_ROOT_AS_OF = new Date('2026-11-05T00:19:12Z');

export function publicGoodTrustedRootPath(): string {
  // src/sigstore/ and dist/sigstore/ both sit two levels below the package root.
  return fileURLToPath(new URL('../../keys/sigstore/trusted_root.json', import.meta.url));
}

/** A parsed trusted root with the trust material @sigstore/verify needs. */
export interface SigstoreTrust {
  /** Where it came from: a path, or `tuf:<mirror>`. */
  readonly source: string;
  readonly root: TrustedRoot;
  readonly material: TrustMaterial;
  /** The same root with every validFor window removed: tells "expired" apart from "unknown". */
  readonly unbounded: TrustMaterial;
  /**
   * Further instances from a JSON-lines file (`gh attestation trusted-root` prints public good
   * and GitHub's own instance, one root per line): a bundle verifies when one instance accepts it.
   */
  readonly alternatives?: readonly SigstoreTrust[];
  /** When the root was last known current (vendored snapshot, `trust update`); for age warnings. */
  readonly asOf?: Date;
}

export interface TrustOptions {
  /** A public key for key-based bundles (`--key`); used whatever key hint the bundle names. */
  readonly key?: KeyObject;
}

/**
 * Parses trusted_root.json bytes (strict JSON: duplicate keys rejected) into trust material. A
 * JSON-lines file with one root per line (gh's format for several Sigstore instances) gives the
 * first as the trust and the others as `alternatives`.
 */
export function parseTrustedRoot(bytes: Uint8Array, file: string, options: TrustOptions = {}): SigstoreTrust {
  const text = decodeUtf8(bytes, file);
  const lines = text.split('\n').filter((line) => line.trim() !== '');
  if (
    lines.length > 1 &&
    lines.every((line) => line.trimStart().startsWith('{') && line.trimEnd().endsWith('}'))
  ) {
    if (lines.length > defaults.maxTrustedRootInstances) {
      throw new InputError(
        'INPUT_TOO_LARGE',
        `holds ${lines.length} trusted roots; the limit is ${defaults.maxTrustedRootInstances}`,
        { file },
      );
    }
    const [first, ...others] = lines.map((line, index) =>
      parseOneRoot(line, `${file} line ${index + 1}`, options),
    );
    if (first === undefined) throw new InputError('INPUT_INVALID', 'no trusted root', { file });
    return { ...first, source: file, alternatives: others };
  }
  return parseOneRoot(text, file, options);
}

function parseOneRoot(text: string, file: string, options: TrustOptions): SigstoreTrust {
  const parsed = parseStrictJson(text, file);
  const value = parsed.value;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InputError('INPUT_INVALID', 'expected a Sigstore trusted root object', { file, pointer: '' });
  }
  const mediaType = value['mediaType'];
  if (typeof mediaType !== 'string' || !mediaType.startsWith('application/vnd.dev.sigstore.trustedroot')) {
    throw new InputError(
      'INPUT_INVALID',
      `expected mediaType application/vnd.dev.sigstore.trustedroot+json, found ${quoteUntrusted(mediaType ?? null)}`,
      { file, pointer: '/mediaType' },
    );
  }
  let root: TrustedRoot;
  try {
    root = protobufSpecs().TrustedRoot.fromJSON(value);
  } catch (error: unknown) {
    throw new InputError('INPUT_INVALID', `not a valid trusted root: ${errorMessage(error)}`, {
      file,
      cause: error,
    });
  }
  return trustFromRoot(root, file, options);
}

export function trustFromRoot(root: TrustedRoot, source: string, options: TrustOptions = {}): SigstoreTrust {
  requireLogValidityStart(root, source);
  try {
    return {
      source,
      root,
      material: sigstoreVerify().toTrustMaterial(root, keyFinder(options.key)),
      unbounded: sigstoreVerify().toTrustMaterial(withoutValidity(root), keyFinder(options.key)),
    };
  } catch (error: unknown) {
    throw new InputError(
      'INPUT_INVALID',
      `trusted root has an unusable key or certificate: ${errorMessage(error)}`,
      {
        file: source,
        cause: error,
      },
    );
  }
}

/** Reads and parses a trusted_root.json file (size-capped). */
export async function loadTrustedRoot(path: string, options: TrustOptions = {}): Promise<SigstoreTrust> {
  const bytes = await readBoundedFile(path, defaults.maxTrustedRootBytes, 'trusted root');
  return parseTrustedRoot(bytes, path, options);
}

/** The vendored public-good root, refused when its bytes differ from the pinned digest. */
export async function loadPublicGoodTrustedRoot(options: TrustOptions = {}): Promise<SigstoreTrust> {
  const path = publicGoodTrustedRootPath();
  const bytes = await readBoundedFile(path, defaults.maxTrustedRootBytes, 'trusted root');
  const actual = createHash('sha256').update(bytes).digest('hex');
  if (actual !== PUBLIC_GOOD_TRUSTED_ROOT_SHA256) {
    throw new InputError(
      'INPUT_INVALID',
      `vendored public-good trusted root has sha256 ${actual}, expected ${PUBLIC_GOOD_TRUSTED_ROOT_SHA256}`,
      { file: path },
    );
  }
  return { ...parseTrustedRoot(bytes, path, options), asOf: PUBLIC_GOOD_TRUSTED_ROOT_AS_OF };
}

/** Reads a PEM (SPKI) or DER public key for key-based bundles. */
export async function loadPublicKey(path: string): Promise<KeyObject> {
  const bytes = await readBoundedFile(path, defaults.maxSignatureBytes, 'public key');
  try {
    const text = bytes.toString('latin1');
    return text.includes('-----BEGIN')
      ? createPublicKey(text)
      : createPublicKey({ key: bytes, format: 'der', type: 'spki' });
  } catch (error: unknown) {
    throw new InputError('INPUT_INVALID', `not a PEM or DER public key: ${errorMessage(error)}`, {
      file: path,
      cause: error,
    });
  }
}

/**
 * A transparency or CT log key without `validFor.start` is a malformed root, not an unbounded
 * key (sigstore-go refuses it; the conformance case trust-root-tlog-missing-validity-start_fail):
 * a log key must say since when it signs, or a key added later would vouch for older entries.
 */
function requireLogValidityStart(root: TrustedRoot, source: string): void {
  for (const [field, logs] of [
    ['tlogs', root.tlogs],
    ['ctlogs', root.ctlogs],
  ] as const) {
    logs.forEach((log, index) => {
      if (log.publicKey?.validFor?.start === undefined) {
        throw new InputError(
          'INPUT_INVALID',
          `${field}[${index}] (${log.baseUrl || 'no baseUrl'}): the log key has no validFor.start; a trusted root must say since when each log key is valid`,
          { file: source, pointer: `/${field}/${index}/publicKey/validFor/start` },
        );
      }
    });
  }
}

function keyFinder(key: KeyObject | undefined): Parameters<typeof toTrustMaterial>[1] {
  return (hint: string) => {
    if (!key) {
      // Reported as SIGSTORE_KEY_MISMATCH: the bundle is key-based but no key was given.
      throw Object.assign(new Error(`no public key given for key hint '${hint}' (use --key)`), {
        code: 'PUBLIC_KEY_ERROR',
      });
    }
    return { publicKey: key, validFor: () => true };
  };
}

function withoutValidity(root: TrustedRoot): TrustedRoot {
  return {
    ...root,
    certificateAuthorities: root.certificateAuthorities.map((ca) => ({ ...ca, validFor: undefined })),
    timestampAuthorities: root.timestampAuthorities.map((ca) => ({ ...ca, validFor: undefined })),
    tlogs: root.tlogs.map((log) => ({
      ...log,
      publicKey: log.publicKey ? { ...log.publicKey, validFor: undefined } : undefined,
    })),
    ctlogs: root.ctlogs.map((log) => ({
      ...log,
      publicKey: log.publicKey ? { ...log.publicKey, validFor: undefined } : undefined,
    })),
  };
}
