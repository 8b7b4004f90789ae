import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';

import { describe, expect, it } from 'vitest';

import {
  GithubError,
  downloadReleaseAssets,
  downloadToFile,
  parseGithubRef,
} from '../../src/github/index.ts';
import { startFakeGithub, type FakeAsset, type FakeGithub } from '../fixtures/github/server.ts';

const REF = { owner: 'acme', repo: 'agent', tag: 'v7.4.2' };
const body = (seed: number, size = 64 << 10) => {
  const bytes = Buffer.alloc(size);
  for (let i = 0; i < size; i++) bytes[i] = (i * seed + 11) & 0xff;
  return bytes;
};
const FAST = { retries: 2, retryBaseMs: 5, bodyTimeoutMs: 400, connectTimeoutMs: 2000 };

/** One server per fault so request counts are the asset's own. */
async function withServer<T>(
  assets: FakeAsset[],
  run: (server: FakeGithub, dest: string) => Promise<T>,
): Promise<T> {
  const server = await startFakeGithub({ ...REF, assets });
  const dest = await mkdtemp(join(tmpdir(), 'rmm-gh-'));
  try {
    return await run(server, dest);
  } finally {
    await server.close();
  }
}

async function download(
  server: FakeGithub,
  dest: string,
  extra: Partial<Parameters<typeof downloadReleaseAssets>[1]> = {},
) {
  return downloadReleaseAssets(REF, {
    apiBaseUrl: server.baseUrl,
    destDir: dest,
    maxAssetBytes: 1 << 20,
    allowInsecureLoopback: true,
    ...FAST,
    ...extra,
  });
}

const downloadRequests = (server: FakeGithub) =>
  server.requests.filter((p) => p.startsWith('/download/')).length;

describe('parseGithubRef', () => {
  it('parses github:owner/repo@tag and rejects everything else', () => {
    expect(parseGithubRef('github:acme/agent@v7.4.2')).toEqual(REF);
    expect(parseGithubRef('github:acme-corp/agent.rs@release/2026-01')).toEqual({
      owner: 'acme-corp',
      repo: 'agent.rs',
      tag: 'release/2026-01',
    });
    for (const bad of [
      'acme/agent@v1',
      'github:acme/agent',
      'github:acme@v1',
      'github:-acme/agent@v1',
      'github:acme/..@v1',
      'github:acme/agent@',
      'github:acme/agent@v 1',
      'github:a/b/c@v1',
      './github:acme/agent@v1',
    ]) {
      expect(parseGithubRef(bad), bad).toBeUndefined();
    }
  });
});

describe('downloadReleaseAssets against a local GitHub', () => {
  it('downloads every asset, verifies its size and streams it into place', async () => {
    const a = body(3);
    const b = body(5, 1000);
    await withServer(
      [
        { name: 'agent.msi', body: a },
        { name: 'agent.tar.gz', body: b },
      ],
      async (server, dest) => {
        const assets = await download(server, dest);
        expect(assets.map((x) => [x.name, x.size])).toEqual([
          ['agent.msi', a.length],
          ['agent.tar.gz', b.length],
        ]);
        expect(await readFile(join(dest, 'agent.msi'))).toEqual(a);
        expect((await readdir(dest)).sort()).toEqual(['agent.msi', 'agent.tar.gz']);
      },
    );
  });

  it('retries once after a 500 and succeeds', async () => {
    await withServer([{ name: 'flaky.bin', body: body(7), fault: 'flaky' }], async (server, dest) => {
      const [asset] = await download(server, dest);
      expect(asset?.size).toBe(64 << 10);
      expect(downloadRequests(server)).toBe(2);
    });
  });

  it('retries after a connection reset mid-body and succeeds', async () => {
    await withServer([{ name: 'reset.bin', body: body(9), fault: 'reset-once' }], async (server, dest) => {
      const [asset] = await download(server, dest);
      expect(await readFile(asset?.path ?? '')).toEqual(body(9));
      expect(downloadRequests(server)).toBe(2);
    });
  });

  it('never reads bytes sent beyond the declared length into the file', async () => {
    await withServer(
      [{ name: 'overflow.bin', body: body(13, 1000), fault: 'overflow' }],
      async (server, dest) => {
        const [asset] = await download(server, dest);
        expect(await readFile(asset?.path ?? '')).toEqual(body(13, 1000));
        expect(downloadRequests(server)).toBe(1);
      },
    );
  });

  // Each tuple: fault, the error message it must produce, and the most download requests allowed.
  const failures: [NonNullable<FakeAsset['fault']>, RegExp, number][] = [
    ['reset-always', /failed after 3 attempt/, 3],
    ['longer', /more than the limit|exceeds the limit/, 1],
    ['slow', /UND_ERR_BODY_TIMEOUT|failed after/, 3],
    ['loop', /redirect loop/, 1],
    ['missing', /404/, 1],
  ];
  for (const [fault, message, maxRequests] of failures) {
    it(`fails closed on ${fault}, leaving nothing at the destination, with bounded requests`, async () => {
      await withServer([{ name: `${fault}.bin`, body: body(11), fault }], async (server, dest) => {
        const error = await download(server, dest).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GithubError);
        expect((error as Error).message).toMatch(message);
        expect(await readdir(dest)).toEqual([]);
        expect(downloadRequests(server)).toBeLessThanOrEqual(maxRequests);
        expect(downloadRequests(server)).toBeGreaterThanOrEqual(1);
      });
    });
  }

  it('explains rate limits and never shows the token', async () => {
    await withServer([{ name: 'a.bin', body: body(1, 10) }], async (server, dest) => {
      server.rateLimited = true;
      const error = await download(server, dest, { token: 'ghp_secretsecretsecret' }).catch(
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(GithubError);
      expect((error as GithubError).code).toBe('GITHUB_RATE_LIMITED');
      expect((error as Error).message).toMatch(
        /rate limit exceeded until 2030-01-01T00:00:00\.000Z.*GITHUB_TOKEN/,
      );
      expect((error as Error).message).not.toContain('secret');
      expect(server.requests.length).toBe(1);
    });
  });

  it('reports a release that does not exist', async () => {
    await withServer([], async (server, dest) => {
      const error = await downloadReleaseAssets(
        { ...REF, tag: 'v0.0.0' },
        { apiBaseUrl: server.baseUrl, destDir: dest, maxAssetBytes: 1 << 20, allowInsecureLoopback: true },
      ).catch((e: unknown) => e);
      expect((error as GithubError).code).toBe('GITHUB_NOT_FOUND');
    });
  });

  it('sends the token to the API origin only and uses the API asset URL with it', async () => {
    await withServer([{ name: 'a.bin', body: body(2, 100) }], async (server, dest) => {
      await download(server, dest, { token: 'ghp_token' });
      expect(server.authorization.get('/repos/acme/agent/releases/tags/v7.4.2')).toBe('Bearer ghp_token');
      expect(server.requests).toContain('/repos/acme/agent/releases/assets/1');
    });
  });

  it('refuses plain http unless explicitly allowed for loopback', async () => {
    await withServer([], async (server, dest) => {
      const error = await downloadReleaseAssets(REF, {
        apiBaseUrl: server.baseUrl,
        destDir: dest,
        maxAssetBytes: 100,
      }).catch((e: unknown) => e);
      expect((error as GithubError).code).toBe('GITHUB_INSECURE_URL');
      await expect(
        downloadToFile('http://example.com/x', join(dest, 'x'), {
          maxBytes: 10,
          allowInsecureLoopback: true,
        }),
      ).rejects.toThrow(/only https/);
      expect(server.requests).toEqual([]);
    });
  });

  it('checks expected digests before renaming and draws progress only on a TTY', async () => {
    const bytes = body(4, 5000);
    await withServer([{ name: 'a.bin', body: bytes }], async (server, dest) => {
      const url = `${server.baseUrl}/download/v7.4.2/a.bin`;
      const wrong = join(dest, 'wrong.bin');
      await expect(
        downloadToFile(url, wrong, {
          maxBytes: 1 << 20,
          allowInsecureLoopback: true,
          expectedDigests: { sha256: '0'.repeat(64) },
        }),
      ).rejects.toThrow(/sha256 is/);
      expect(existsSync(wrong)).toBe(false);
      const ok = await downloadToFile(url, join(dest, 'ok.bin'), {
        maxBytes: 1 << 20,
        allowInsecureLoopback: true,
        expectedDigests: { sha256: createHash('sha256').update(bytes).digest('hex') },
      });
      expect(ok.size).toBe(5000);
      const tty = Object.assign(new PassThrough(), { isTTY: true });
      const chunks: string[] = [];
      tty.on('data', (c: Buffer) => chunks.push(c.toString()));
      await download(server, dest, { progress: tty });
      expect(chunks.join('')).toContain('a.bin');
      expect((await readdir(dest)).filter((n) => n.endsWith('.part'))).toEqual([]);
    });
  });
});
