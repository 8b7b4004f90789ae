import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';

import {
  generateKeyPair,
  parsePrivateKeyPem,
  signBytes,
  type KeyAlgorithm,
} from '../../src/manifest/keys.ts';
import { serializeManifest } from '../../src/manifest/pin.ts';
import type { SignatureFile } from '../../src/manifest/signature-file.ts';
import type { TrustRootDocument } from '../../src/manifest/trust-root.ts';
import type { Artifact, Manifest } from '../../src/manifest/types.ts';

export interface TestKey {
  readonly keyid: string;
  readonly privateKeyPem: string;
  readonly publicKeyPem: string;
}

export function makeKey(algorithm: KeyAlgorithm = 'ed25519'): TestKey {
  return generateKeyPair(algorithm);
}

export function trustDocument(
  keys: readonly { key: TestKey; products?: string[] }[],
  threshold: number,
): TrustRootDocument {
  return {
    schema: 1,
    threshold,
    keys: keys.map(({ key, products }, i) => ({
      keyid: key.keyid,
      name: `key-${i + 1}`,
      publicKey: key.publicKeyPem,
      products: products ?? ['acme-agent'],
    })),
  };
}

export function signatureFile(bytes: Uint8Array, keys: readonly TestKey[]): SignatureFile {
  return {
    schema: 1,
    signatures: keys.map((k) => ({
      keyid: k.keyid,
      signature: signBytes(parsePrivateKeyPem(k.privateKeyPem, 'test'), bytes).toString('base64'),
    })),
  };
}

export function artifactFor(name: string, content: Uint8Array, platform = 'linux-x64'): Artifact {
  return {
    name,
    platform,
    size: content.byteLength,
    digests: {
      sha256: createHash('sha256').update(content).digest('hex'),
      sha512: createHash('sha512').update(content).digest('hex'),
    },
  };
}

export function baseManifest(overrides: Partial<Manifest> = {}): Manifest {
  return {
    schema: 1,
    product: 'acme-agent',
    vendor: 'Acme RMM',
    serial: 5,
    issued: '2026-05-01T00:00:00Z',
    expires: '2026-12-31T00:00:00Z',
    signers: {},
    policy: { target: '7.4.2', minimum: '>=7.2.0', revoked: ['7.3.0', '>=6.0.0 <6.1.5'] },
    releases: [],
    ...overrides,
  };
}

export interface Workspace {
  readonly dir: string;
  readonly keys: readonly TestKey[];
  readonly trustPath: string;
  readonly manifestPath: string;
  readonly statePath: string;
  /** Writes the manifest and signs it with the given keys (default: all). */
  writeManifest(manifest: Manifest, signers?: readonly TestKey[]): Promise<Buffer>;
  writeFile(relative: string, content: Uint8Array | string): Promise<string>;
}

/** A temp directory with two Ed25519 keys, a trust root with threshold 2, and helpers. */
export async function workspace(options: { threshold?: number; keyCount?: number } = {}): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'rmm-verify-test-'));
  const keys = Array.from({ length: options.keyCount ?? 2 }, () => makeKey());
  const trustPath = join(dir, 'keys', 'trust.json');
  await mkdir(join(dir, 'keys'), { recursive: true });
  await writeFile(
    trustPath,
    JSON.stringify(
      trustDocument(
        keys.map((key) => ({ key })),
        options.threshold ?? 2,
      ),
      null,
      2,
    ),
  );
  const manifestPath = join(dir, 'manifests', 'acme-agent.json');
  return {
    dir,
    keys,
    trustPath,
    manifestPath,
    statePath: join(dir, 'state', 'manifest-state.json'),
    async writeManifest(manifest, signers = keys) {
      const bytes = Buffer.from(serializeManifest(manifest));
      await mkdir(join(dir, 'manifests'), { recursive: true });
      await writeFile(manifestPath, bytes);
      await writeFile(`${manifestPath}.sig`, JSON.stringify(signatureFile(bytes, signers)));
      return bytes;
    },
    async writeFile(relative, content) {
      const path = join(dir, relative);
      await mkdir(join(path, '..'), { recursive: true });
      await writeFile(path, content);
      return path;
    },
  };
}
