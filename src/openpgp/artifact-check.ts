import { isAbsolute, resolve } from 'node:path';

import type { ArtifactCheck, ArtifactCheckResult, ArtifactContext } from '../artifact/check.ts';
import { openFileSource, type ByteSource } from '../authenticode/source.ts';
import { defaults } from '../defaults.ts';
import { errorMessage, RmmVerifyError } from '../errors.ts';
import { finding, type Finding } from '../findings.ts';
import type { OpenPgpSigner } from '../manifest/types.ts';
import { checkDetachedSignature, loadOpenPgpKeys, type OpenPgpKeyring } from './signature.ts';
import { findOpenPgpSignatureFiles, OPENPGP_SIGNATURE_SUFFIXES, openPgpSignersFor } from './signers.ts';

/**
 * `verify` step for artifacts whose platform has an OpenPGP signer in the manifest (Linux
 * tarballs, AppImages, any file a vendor signs with `gpg --detach-sign`): one detached
 * signature beside the artifact, or in an evidence directory, must verify over the bytes that
 * were hashed with a pinned key. A signature by a pinned key that does not verify fails even
 * when another verifies.
 */
export const openPgpCheck: ArtifactCheck = {
  name: 'openpgp',
  async run(context: ArtifactContext): Promise<ArtifactCheckResult | undefined> {
    const signers = openPgpSignersFor(context.manifest, context.artifact);
    if (signers.length === 0) return undefined;
    const fail = (findings: Finding[]): ArtifactCheckResult => ({ findings, facts: { openpgp: 'failed' } });
    const at = (code: Parameters<typeof finding>[0], message: string, file: string, evidence = {}) =>
      finding(code, {
        subject: context.subject,
        message: `${context.subject}: ${message}`,
        evidence,
        location: { file },
      });

    let keyrings: OpenPgpKeyring[];
    try {
      keyrings = await pinnedKeyrings(signers, context.manifestDir);
    } catch (error: unknown) {
      return fail([at('OPENPGP_TRUST_UNAVAILABLE', errorMessage(error), context.path)]);
    }
    const files = findOpenPgpSignatureFiles(context);
    if (files.length === 0) {
      return fail([
        at(
          'OPENPGP_SIGNATURE_MISSING',
          `no detached OpenPGP signature (${OPENPGP_SIGNATURE_SUFFIXES.map((s) => `${context.artifact.name}${s}`).join(', ')}) beside the file or in an evidence directory`,
          context.path,
        ),
      ]);
    }
    const failures: Finding[] = [];
    let verified: { file: string; signers: readonly string[] } | undefined;
    for (const file of files) {
      let checked;
      try {
        checked = await withArtifactStream(context, (stream) =>
          checkDetachedSignature(stream, file, keyrings, context.now),
        );
      } catch (error: unknown) {
        if (!(error instanceof RmmVerifyError)) throw error;
        failures.push(at('OPENPGP_SIGNATURE_MALFORMED', error.message, file, { signature: file }));
        continue;
      }
      if (checked.ok) {
        verified ??= { file, signers: checked.signers };
        continue;
      }
      const byPinnedKey = checked.problems.some((p) => p.startsWith('the signature by key'));
      failures.push(
        at(
          byPinnedKey ? 'OPENPGP_SIGNATURE_INVALID' : 'OPENPGP_SIGNER_UNTRUSTED',
          `${file}: ${checked.problems.join('; ')}`,
          file,
          { signature: file, unknownKeyIds: checked.unknownKeyIds },
        ),
      );
    }
    // A pinned key's signature that fails is an attack signal even beside a good one.
    const invalid = failures.filter((f) => f.code !== 'OPENPGP_SIGNER_UNTRUSTED');
    if (verified === undefined || invalid.length > 0) return fail(failures);
    return {
      findings: [
        at(
          'OPENPGP_VERIFIED',
          `${verified.file}: good OpenPGP signature by ${verified.signers.join(', ')}`,
          verified.file,
          { signature: verified.file, signers: verified.signers },
        ),
      ],
      facts: { openpgp: 'verified', openpgpSigner: verified.signers.join(', ') },
    };
  },
};

/** The signers' keys, only the pinned fingerprints when they name some. */
async function pinnedKeyrings(
  signers: readonly OpenPgpSigner[],
  manifestDir: string,
): Promise<OpenPgpKeyring[]> {
  const keyrings: OpenPgpKeyring[] = [];
  for (const signer of signers) {
    const wanted = signer.fingerprints?.map((f) => f.toUpperCase());
    for (const path of signer.keys) {
      const loaded = await loadOpenPgpKeys(isAbsolute(path) ? path : resolve(manifestDir, path));
      const keys =
        wanted === undefined
          ? loaded.keys
          : loaded.keys.filter((k) => wanted.includes(k.getFingerprint().toUpperCase()));
      if (keys.length > 0) keyrings.push({ file: loaded.file, keys });
    }
    if (
      wanted !== undefined &&
      !wanted.every((f) =>
        keyrings.some((k) => k.keys.some((key) => key.getFingerprint().toUpperCase() === f)),
      )
    ) {
      throw new Error(
        `signers.openpgp: the key files (${signer.keys.join(', ')}) do not hold every pinned fingerprint (${wanted.join(', ')})`,
      );
    }
  }
  return keyrings;
}

/**
 * The artifact's bytes as a stream, read through the handle that was hashed when `verify`
 * passes one (what was hashed is what is verified), in bounded chunks.
 */
async function withArtifactStream<T>(
  context: ArtifactContext,
  use: (stream: ReadableStream<Uint8Array>) => Promise<T>,
): Promise<T> {
  let source: ByteSource;
  let close = (): Promise<void> => Promise.resolve();
  if (context.file) source = context.file;
  else {
    const opened = await openFileSource(context.path);
    source = opened;
    close = () => opened.close();
  }
  let offset = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset >= source.size) {
        controller.close();
        return;
      }
      const length = Math.min(defaults.readChunkBytes, source.size - offset);
      const chunk = await source.read(offset, length);
      offset += length;
      controller.enqueue(chunk);
    },
  });
  try {
    return await use(stream);
  } finally {
    await close();
  }
}
