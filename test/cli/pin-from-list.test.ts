import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { main } from '../../src/cli/main.ts';
import type { Manifest } from '../../src/manifest/types.ts';
import { captureIo } from '../helpers/io.ts';
import { baseManifest, workspace, type Workspace } from '../helpers/signed-manifest.ts';

async function run(cwd: string, argv: string[]) {
  const captured = captureIo(cwd);
  const code = await main(argv, captured.io);
  return { code, stdout: captured.stdout(), stderr: captured.stderr() };
}

const hex = (algorithm: string, bytes: Uint8Array) => createHash(algorithm).update(bytes).digest('hex');

/** Agents as MeshCentral ships them, and its hashagents.json for them (ids 4 and 6). */
async function meshcentralFolder(ws: Workspace) {
  const agents = {
    'MeshService64.exe': Buffer.from('MZ windows agent bytes'),
    'meshagent_x86-64': Buffer.from('\u007fELF linux agent bytes'),
  };
  for (const [name, bytes] of Object.entries(agents)) await ws.writeFile(`agents/${name}`, bytes);
  const list = {
    4: {
      filename: 'MeshService64.exe',
      hash: hex('sha384', agents['MeshService64.exe']).toUpperCase(),
      size: agents['MeshService64.exe'].length,
      mtime: '2025-03-07T22:43:04Z',
    },
    6: {
      filename: 'meshagent_x86-64',
      hash: hex('sha384', agents['meshagent_x86-64']).toUpperCase(),
      size: agents['meshagent_x86-64'].length,
      mtime: '2024-08-06T15:30:40Z',
    },
  };
  const listPath = await ws.writeFile('agents/hashagents.json', JSON.stringify(list, null, 2));
  return { agents, listPath };
}

function pinArgs(ws: Workspace, listPath: string, ...more: string[]) {
  return ['pin', '--from', listPath, '--manifest', ws.manifestPath, '--version', '1.1.55', ...more];
}

describe('pin --from a vendor hash list', () => {
  it("pins MeshCentral's agents from its hashagents.json, checked against the files, and the pins verify", async () => {
    const ws = await workspace();
    const { agents, listPath } = await meshcentralFolder(ws);
    await ws.writeManifest(
      baseManifest({ product: 'acme-agent', policy: { target: '1.1.55' }, releases: [] }),
    );
    const result = await run(ws.dir, [
      ...pinArgs(ws, listPath),
      '--alias',
      'Mesh Agent',
      '--alias',
      'MeshAgent.exe',
    ]);
    expect(result.stderr).toContain('pinned 2 artifact(s) as acme-agent 1.1.55 (windows-x64, linux-x64)');
    expect(result.code).toBe(0);
    const manifest = JSON.parse(await readFile(ws.manifestPath, 'utf8')) as Manifest;
    expect(manifest.aliases).toEqual(['Mesh Agent', 'MeshAgent.exe']);
    const listSha256 = hex('sha256', await readFile(listPath));
    expect(manifest.releases[0]?.artifacts).toEqual([
      {
        name: 'MeshService64.exe',
        platform: 'windows-x64',
        size: agents['MeshService64.exe'].length,
        digests: {
          sha384: hex('sha384', agents['MeshService64.exe']),
          sha256: hex('sha256', agents['MeshService64.exe']),
          sha512: hex('sha512', agents['MeshService64.exe']),
        },
        pinnedFrom: { list: 'hashagents.json', format: 'meshcentral', sha256: listSha256 },
      },
      expect.objectContaining({ name: 'meshagent_x86-64', platform: 'linux-x64' }),
    ]);

    // Signed, the imported pins pass the real files and fail a changed one.
    await ws.writeManifest(manifest);
    const verify = (file: string) =>
      run(ws.dir, ['verify', file, '--manifest', ws.manifestPath, '--trust', ws.trustPath, '--no-state']);
    const pass = await verify('agents/MeshService64.exe');
    expect(pass.stdout).toMatch(/PASS artifact agents\/MeshService64\.exe/);
    expect(pass.code).toBe(0);
    await ws.writeFile('swapped/MeshService64.exe', Buffer.from('MZ windows agent bytez'));
    const swapped = await verify('swapped/MeshService64.exe');
    expect(swapped.stdout).toMatch(/CRITICAL DIGEST_MISMATCH .*\n.*sha384 is [0-9a-f]{96}, pinned/);
    expect(swapped.code).toBe(1);
  });

  it('writes nothing and exits 1 when a file contradicts the list (digest or size), naming the entry', async () => {
    const ws = await workspace();
    const { listPath } = await meshcentralFolder(ws);
    await ws.writeFile('agents/MeshService64.exe', Buffer.from('MZ windows agent bytez'));
    const changed = await run(
      ws.dir,
      pinArgs(ws, listPath, '--product', 'meshcentral', '--vendor', 'MeshCentral'),
    );
    expect(changed.code).toBe(1);
    expect(changed.stderr).toMatch(
      /FAIL MeshService64\.exe: .*hashagents\.json:\d+:\d+ at \/4: the list gives sha384 [0-9a-f]{96}, the file has [0-9a-f]{96}/,
    );
    expect(changed.stderr).toContain('the manifest is unchanged');
    expect(existsSync(ws.manifestPath)).toBe(false);

    await ws.writeFile('agents/MeshService64.exe', Buffer.from('MZ windows agent bytes and more'));
    const longer = await run(
      ws.dir,
      pinArgs(ws, listPath, '--product', 'meshcentral', '--vendor', 'MeshCentral'),
    );
    expect(longer.code).toBe(1);
    expect(longer.stderr).toMatch(/the list gives size 22, the file has more than 22/);
    expect(existsSync(ws.manifestPath)).toBe(false);
  });

  it('fails on an absent listed file unless --skip-missing, and never pins an entry unchecked', async () => {
    const ws = await workspace();
    const { listPath } = await meshcentralFolder(ws);
    const sums = await ws.writeFile(
      'SHA256SUMS',
      `${hex('sha256', Buffer.from('MZ windows agent bytes'))}  agents/MeshService64.exe\n${'0'.repeat(64)}  agents/gone.exe\n`,
    );
    const base = ['--product', 'meshcentral', '--vendor', 'MeshCentral', '--platform', 'windows-x64'];
    const absent = await run(ws.dir, pinArgs(ws, sums, ...base));
    expect(absent.code).toBe(2);
    expect(absent.stderr).toContain('gone.exe');
    expect(absent.stderr).toContain('SHA256SUMS:2');
    expect(existsSync(ws.manifestPath)).toBe(false);

    const skipped = await run(ws.dir, pinArgs(ws, sums, ...base, '--skip-missing'));
    expect(skipped.code).toBe(0);
    expect(skipped.stderr).toContain('skipped gone.exe');
    const manifest = JSON.parse(await readFile(ws.manifestPath, 'utf8')) as Manifest;
    expect(manifest.releases[0]?.artifacts.map((a) => [a.name, a.pinnedFrom?.format])).toEqual([
      ['MeshService64.exe', 'sums'],
    ]);
    expect(listPath).toBeTruthy();
  });

  it('needs --platform for a list that gives none, and refuses files together with --from', async () => {
    const ws = await workspace();
    await ws.writeFile('a.msi', 'a');
    const sums = await ws.writeFile('SHA256SUMS', `${hex('sha256', Buffer.from('a'))}  a.msi\n`);
    const noPlatform = await run(ws.dir, pinArgs(ws, sums, '--product', 'p', '--vendor', 'V'));
    expect(noPlatform.code).toBe(2);
    expect(noPlatform.stderr).toContain(
      "SHA256SUMS:1: the list gives no platform for 'a.msi': give --platform",
    );
    const both = await run(ws.dir, [...pinArgs(ws, sums), 'a.msi']);
    expect(both.code).toBe(2);
    expect(both.stderr).toContain('either files or --from LIST');
    const stray = await run(ws.dir, [
      'pin',
      'a.msi',
      '--manifest',
      ws.manifestPath,
      '--version',
      '1.0.0',
      '--platform',
      'x',
      '--skip-missing',
    ]);
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('--skip-missing goes with --from LIST, not with files');
    const badFormat = await run(
      ws.dir,
      pinArgs(ws, sums, '--product', 'p', '--vendor', 'V', '--list-format', 'xml'),
    );
    expect(badFormat.code).toBe(2);
    expect(badFormat.stderr).toContain('--list-format must be one of meshcentral, sums, csv');
  });

  it('refuses a FIFO where a listed file should be instead of waiting for a writer', async () => {
    const ws = await workspace();
    execFileSync('mkfifo', [join(ws.dir, 'agent.run')]);
    const sums = await ws.writeFile('SHA256SUMS', `${'1'.repeat(64)}  agent.run\n`);
    const result = await run(
      ws.dir,
      pinArgs(ws, sums, '--product', 'p', '--vendor', 'V', '--platform', 'linux-x64'),
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('not a regular file');
    expect(existsSync(ws.manifestPath)).toBe(false);
  });
});
