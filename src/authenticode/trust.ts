import { isAbsolute, resolve } from 'node:path';
import { getCACertificates } from 'node:tls';

import { errorMessage } from '../errors.ts';
import { readBoundedFile } from '../json/read-bounded.ts';
import type { AuthenticodeSigner } from '../manifest/types.ts';
import { parseCertificate, parseCertificateFile, type Certificate } from './certificate.ts';
import type { PinnedSigner } from './verifier.ts';

const MAX_ROOT_FILE_BYTES = 1 << 20; // bytes; a PEM bundle of pinned roots

/** Reads pinned certificates (PEM or DER) from a file; throws an Error naming the file. */
export async function loadCertificates(path: string): Promise<Certificate[]> {
  // Size-capped: never reads more than the cap + 1 byte, whatever the file's size.
  const bytes = await readBoundedFile(path, MAX_ROOT_FILE_BYTES, 'certificate file');
  try {
    const certificates = parseCertificateFile(bytes, path);
    if (certificates.length === 0) throw new Error('no certificate found');
    return certificates;
  } catch (error: unknown) {
    throw new Error(`${path}: not a PEM or DER certificate: ${errorMessage(error)}`, { cause: error });
  }
}

/**
 * Turns the manifest's `signers.authenticode` into pinned signers, resolving root paths against
 * the manifest's directory. Throws an Error naming the JSON pointer of the entry that failed.
 */
export async function loadPinnedSigners(
  signers: readonly AuthenticodeSigner[],
  manifestDir: string,
): Promise<PinnedSigner[]> {
  const pinned: PinnedSigner[] = [];
  for (const [index, signer] of signers.entries()) {
    const pointer = `/signers/authenticode/${index}`;
    const load = async (paths: readonly string[], key: string): Promise<Certificate[]> => {
      const list: Certificate[] = [];
      for (const [i, path] of paths.entries()) {
        try {
          list.push(...(await loadCertificates(isAbsolute(path) ? path : resolve(manifestDir, path))));
        } catch (error: unknown) {
          throw new Error(`${pointer}/${key}/${i}: ${errorMessage(error)}`, { cause: error });
        }
      }
      return list;
    };
    const roots = await load(signer.roots, 'roots');
    const timestampRoots = signer.timestampRoots
      ? await load(signer.timestampRoots, 'timestampRoots')
      : roots;
    pinned.push({
      label: `signers.authenticode[${index}]`,
      ...(signer.subject !== undefined ? { subject: signer.subject } : {}),
      ...(signer.thumbprint !== undefined ? { thumbprint: signer.thumbprint } : {}),
      roots,
      timestampRoots,
    });
  }
  return pinned;
}

let systemRootsCache: Certificate[] | undefined;

/** The operating system's trusted roots (Node's view of the system store); parsed once. */
export function systemRoots(): readonly Certificate[] {
  if (!systemRootsCache) {
    systemRootsCache = [];
    for (const pem of getCACertificates('system')) {
      const body = pem.replace(/-----(BEGIN|END) CERTIFICATE-----/g, '').replace(/\s+/g, '');
      try {
        systemRootsCache.push(parseCertificate(Buffer.from(body, 'base64')));
      } catch {
        // A system root this parser cannot read can never anchor a chain here; skipping it only narrows trust.
      }
    }
  }
  return systemRootsCache;
}
