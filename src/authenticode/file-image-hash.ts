import { AuthenticodeFormatError } from './errors.ts';
import { peImageHash } from './image-hash.ts';
import { isPe, parsePe } from './pe.ts';
import { openFileSource, type ByteSource } from './source.ts';

/**
 * The SHA-256 Authenticode image hash of a PE (every byte but the checksum, the security
 * directory entry and the certificate table): the same for a vendor's unsigned file and a copy
 * someone re-signed without changing its code. An unsigned file is hashed as a signer sees it:
 * the certificate table must start on an 8-byte boundary, so signers (signtool, osslsigncode,
 * MeshCentral) first pad the file with zero bytes, and those bytes are in the signed image.
 * Undefined when the source is not a well-formed PE.
 */
export async function peImageSha256(file: ByteSource): Promise<string | undefined> {
  try {
    if (!isPe(await file.read(0, Math.min(2, file.size)))) return undefined;
    let layout = await parsePe(file);
    let source: ByteSource = file;
    if (layout.certificateTable === undefined && file.size % 8 !== 0) {
      source = zeroPadded(file, 8 - (file.size % 8));
      layout = await parsePe(source);
    }
    const digests = await peImageHash(source, layout, ['sha256']);
    return digests.get('sha256')?.toString('hex');
  } catch (error: unknown) {
    if (error instanceof AuthenticodeFormatError) return undefined;
    throw error;
  }
}

/** peImageSha256 of the file at `path`. */
export async function peFileImageSha256(path: string): Promise<string | undefined> {
  const file = await openFileSource(path);
  try {
    return await peImageSha256(file);
  } finally {
    await file.close();
  }
}

/** The source followed by `padding` zero bytes. */
function zeroPadded(source: ByteSource, padding: number): ByteSource {
  return {
    name: source.name,
    size: source.size + padding,
    async read(offset, length) {
      const out = new Uint8Array(length);
      const inFile = Math.max(0, Math.min(length, source.size - offset));
      if (inFile > 0) out.set(await source.read(offset, inFile));
      return out;
    },
  };
}
