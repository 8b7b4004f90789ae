import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';

import { digestsEqual, isDigestHex, parseDigestReference } from '../../src/digest/algorithms.ts';
import { MultiHash, hashFile } from '../../src/digest/multi-hash.ts';

const reference = (bytes: Uint8Array, algorithm: string) => createHash(algorithm).update(bytes).digest('hex');

async function tempFile(bytes: Uint8Array): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'rmm-digest-'));
  const path = join(dir, 'f.bin');
  await writeFile(path, bytes);
  return path;
}

describe('hashFile', () => {
  it('computes every requested algorithm in one pass, equal to node:crypto', async () => {
    const bytes = Buffer.from('acme agent 7.4.2');
    const result = await hashFile(await tempFile(bytes), {
      algorithms: ['sha256', 'sha384', 'sha512', 'sha1'],
    });
    expect(result.bytesRead).toBe(bytes.length);
    expect(result.exceededCap).toBe(false);
    for (const algorithm of ['sha256', 'sha384', 'sha512', 'sha1'] as const) {
      expect(result.digests[algorithm]).toBe(reference(bytes, algorithm));
    }
  });

  it('matches openssl on a file large enough for the parallel path (worker thread)', async () => {
    const bytes = Buffer.alloc(40 << 20);
    for (let i = 0; i < bytes.length; i += 4096) bytes.writeUInt32LE((i * 2654435761) >>> 0, i);
    const path = await tempFile(bytes);
    const result = await hashFile(path, { algorithms: ['sha256', 'sha512'] });
    const openssl = (alg: string) =>
      execFileSync('openssl', ['dgst', `-${alg}`, '-r', path])
        .toString()
        .split(' ')[0];
    expect(result.digests.sha256).toBe(openssl('sha256'));
    expect(result.digests.sha512).toBe(openssl('sha512'));
    expect(result.bytesRead).toBe(bytes.length);
  });

  it('stops one byte past the cap and says so', async () => {
    const path = await tempFile(Buffer.alloc(5 << 20, 7));
    let furthest = 0;
    const result = await hashFile(path, {
      algorithms: ['sha256'],
      maxBytes: 1000,
      onProgress: (n) => (furthest = n),
    });
    expect(result.exceededCap).toBe(true);
    expect(result.bytesRead).toBe(1001);
    expect(furthest).toBe(1001);
  });

  it('reads ahead without skipping or repeating bytes: cap inside a chunk, on both paths', async () => {
    // Sizes and caps off every chunk boundary; the digests cover exactly the first cap + 1 bytes.
    const bytes = Buffer.alloc((36 << 20) + 12345);
    for (let i = 0; i + 4 <= bytes.length; i += 4) bytes.writeUInt32LE((i * 2654435761) >>> 0, i);
    const path = await tempFile(bytes);
    for (const [algorithms, maxBytes] of [
      [['sha256'], (3 << 20) + 777],
      [['sha256', 'sha512'], (33 << 20) + 4321], // parallel path: at least 32 MiB to read
      [['sha512', 'sha384'], bytes.length], // exactly at the cap: complete
    ] as const) {
      const result = await hashFile(path, { algorithms, maxBytes });
      const read = Math.min(bytes.length, maxBytes + 1);
      expect(result.bytesRead).toBe(read);
      expect(result.exceededCap).toBe(read > maxBytes);
      for (const algorithm of algorithms)
        expect(result.digests[algorithm]).toBe(reference(bytes.subarray(0, read), algorithm));
    }
  });

  it('a file exactly at the cap is complete', async () => {
    const result = await hashFile(await tempFile(Buffer.alloc(1000, 1)), {
      algorithms: ['sha256'],
      maxBytes: 1000,
    });
    expect(result.exceededCap).toBe(false);
    expect(result.bytesRead).toBe(1000);
  });

  it('hashes an empty file', async () => {
    const result = await hashFile(await tempFile(Buffer.alloc(0)), { algorithms: ['sha256'] });
    expect(result.digests.sha256).toBe(reference(Buffer.alloc(0), 'sha256'));
  });

  it('refuses a missing file and a directory with the path in the error', async () => {
    await expect(hashFile('/nonexistent/file.msi', { algorithms: ['sha256'] })).rejects.toThrow(
      /\/nonexistent\/file\.msi/,
    );
    await expect(hashFile(tmpdir(), { algorithms: ['sha256'] })).rejects.toThrow(/not a regular file/);
  });

  it('refuses a request for no algorithm instead of returning no digest', async () => {
    const path = await tempFile(Buffer.from('x'));
    await expect(hashFile(path, { algorithms: [] })).rejects.toMatchObject({ code: 'INPUT_INVALID' });
  });

  it('MultiHash equals one-shot hashing however the input is chunked', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 300 }), { maxLength: 20 }), (chunks) => {
        const hash = new MultiHash(['sha256', 'sha512']);
        for (const c of chunks) hash.update(c);
        const all = Buffer.concat(chunks);
        expect(hash.digest()).toEqual({ sha256: reference(all, 'sha256'), sha512: reference(all, 'sha512') });
        expect(hash.bytes).toBe(all.length);
      }),
    );
  });
});

describe('digest helpers', () => {
  it('parses sha256:<hex> references and rejects malformed ones', () => {
    expect(parseDigestReference(`sha256:${'A'.repeat(64)}`)).toEqual({
      algorithm: 'sha256',
      hex: 'a'.repeat(64),
    });
    expect(parseDigestReference(`sha256:${'a'.repeat(63)}`)).toBeUndefined();
    expect(parseDigestReference(`md5:${'a'.repeat(32)}`)).toBeUndefined();
    expect(parseDigestReference(`sha256:${'g'.repeat(64)}`)).toBeUndefined();
    // The whole value, not a digest found inside it.
    expect(parseDigestReference(`xsha256:${'a'.repeat(64)}`)).toBeUndefined();
    expect(parseDigestReference(`sha256:${'a'.repeat(64)}z`)).toBeUndefined();
  });

  it('checks hex lengths per algorithm and compares in constant time', () => {
    expect(isDigestHex('sha512', 'a'.repeat(128))).toBe(true);
    expect(isDigestHex('sha512', 'a'.repeat(64))).toBe(false);
    // Every character is lower-case hex, the first and the last included.
    expect(isDigestHex('sha256', `g${'a'.repeat(63)}`)).toBe(false);
    expect(isDigestHex('sha256', `${'a'.repeat(63)}g`)).toBe(false);
    expect(isDigestHex('sha256', 'A'.repeat(64))).toBe(false);
    expect(digestsEqual('ab', 'AB')).toBe(true);
    expect(digestsEqual('ab', 'abc')).toBe(false);
    expect(digestsEqual('ab', 'ac')).toBe(false);
  });
});
