import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { InputError } from '../../src/errors.ts';
import { loadBundles, loadPublicKey, loadTrustedRoot, parseTrustedRoot } from '../../src/sigstore/index.ts';
import { fetchTrustedRootTuf } from '../../src/sigstore/tuf.ts';

describe('trusted roots, keys and bundle files as inputs', () => {
  it('rejects malformed trusted roots with the file and pointer', () => {
    const parse = (text: string) => () => parseTrustedRoot(Buffer.from(text), 'root.json');
    expect(parse('[]')).toThrow(/expected a Sigstore trusted root object/);
    expect(parse('{"mediaType":"application/json"}')).toThrow(/root.json at \/mediaType/);
    expect(parse('{"mediaType":"a","mediaType":"b"}')).toThrow(InputError);
    expect(
      parse(
        '{"mediaType":"application/vnd.dev.sigstore.trustedroot+json;version=0.1","tlogs":[{"publicKey":{"rawBytes":"AAAA"}}]}',
      ),
    ).toThrow(InputError);
  });

  it('refuses oversized bundle and root files without reading them whole', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'rmm-sigstore-inputs-'));
    const big = join(dir, 'big.sigstore.json');
    await writeFile(big, Buffer.alloc((4 << 20) + 1, 0x20));
    await expect(loadBundles(big)).rejects.toThrow(/larger than the limit/);
    const root = join(dir, 'root.json');
    await writeFile(root, Buffer.alloc((1 << 20) + 1, 0x20));
    await expect(loadTrustedRoot(root)).rejects.toThrow(/larger than the limit/);
    const key = join(dir, 'key.pem');
    await writeFile(key, '-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----\n');
    await expect(loadPublicKey(key)).rejects.toThrow(/not a PEM or DER public key/);
    await expect(loadBundles(join(dir, 'missing.sigstore.json'))).rejects.toThrow(InputError);
  });

  it('explains a TUF failure and points to the offline options', async () => {
    let requests = 0;
    const server = createServer((_req, res) => {
      requests++;
      res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const cachePath = await mkdtemp(join(tmpdir(), 'rmm-tuf-'));
      const mirrorUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await expect(fetchTrustedRootTuf({ cachePath, mirrorUrl, timeoutMs: 5000 })).rejects.toThrow(
        /through TUF.*--offline.*--trusted-root/,
      );
      expect(requests).toBeLessThanOrEqual(10);
    } finally {
      server.close();
    }
  });
});
