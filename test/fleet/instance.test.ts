import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { InputError } from '../../src/errors.ts';
import { parseDriftConfig, type DriftConfig } from '../../src/fleet/config.ts';
import { scanDrift } from '../../src/fleet/drift.ts';
import { normaliseInstance } from '../../src/fleet/instance-id.ts';
import { fileSource } from '../../src/fleet/inventory.ts';
import { uncheckedManifests } from '../../src/manifest/trusted.ts';
import { acmeManifest, csvOf, NOW, winSha } from '../fixtures/fleet/make-fixtures.ts';

/**
 * Per-instance allowlists (AA23-025A: attackers bring their own ScreenConnect instance).
 * Invariants: a row that names an instance of an allowed tool or a managed product passes only
 * when the instance is listed for the tenant; allowing a tool without instances allows no
 * instance ("*" allows any); instances are compared exactly in their normal form, so lookalike,
 * invisible and control characters never match; two instances on one endpoint are two agents.
 */
const HEADER = 'tenant,endpoint_id,hostname,product,version,sha256,platform,last_seen,instance';
const SEEN = '2026-11-28T00:00:00Z';
const OURS = '1a2b3c4d5e6f7a8b';
const THEIRS = '9f8e7d6c5b4a3928';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rmm-verify-instance-'));
});

function config(value: unknown): DriftConfig {
  return parseDriftConfig(JSON.stringify({ schema: 1, ...(value as object) }), 'config.json');
}

const LISTED = config({
  allow: [{ name: 'screenconnect', instances: [OURS, 'relay.msp.example'] }],
  tenants: {
    contoso: { allow: [{ name: 'acme-agent', instances: ['mesh.msp.example'] }] },
    fabrikam: { allow: ['teamviewer'] },
  },
});

let files = 0;
async function scan(rows: readonly (readonly string[])[], allow: DriftConfig, readerThread?: 'always') {
  const path = join(dir, `inventory-${files++}.csv`);
  await writeFile(path, csvOf(rows, HEADER));
  return scanDrift({
    manifests: uncheckedManifests([acmeManifest()]),
    sources: [fileSource(path)],
    now: NOW,
    config: allow,
    ...(readerThread === undefined ? {} : { readerThread }),
  });
}

const tool = (tenant: string, endpoint: string, name: string, instance = '') =>
  [tenant, endpoint, endpoint.toUpperCase(), name, '24.1', '', 'windows-x64', SEEN, instance] as const;
const agent = (tenant: string, endpoint: string, instance: string) =>
  [
    tenant,
    endpoint,
    endpoint.toUpperCase(),
    'acme-agent',
    '7.4.2',
    winSha('7.4.2'),
    'windows-x64',
    SEEN,
    instance,
  ] as const;

function unlisted(findings: readonly { code: string; subject: string }[]): string[] {
  return findings.filter((f) => f.code === 'DRIFT_UNLISTED_INSTANCE').map((f) => f.subject);
}

describe('per-instance allowlists', () => {
  it('passes a listed ScreenConnect instance and fails any other (id in the name or a relay host column)', async () => {
    const { result, findings } = await scan(
      [
        tool('contoso', 'a', `ScreenConnect Client (${OURS})`),
        tool('contoso', 'b', `ScreenConnect Client (${OURS.toUpperCase()})`),
        tool('contoso', 'c', `ScreenConnect Client (${THEIRS})`),
        tool('contoso', 'd', 'ScreenConnect Client', 'wss://Relay.MSP.example.:443/path?x=1'),
        tool('contoso', 'e', 'ScreenConnect Client', 'relay.attacker.example'),
        tool('contoso', 'f', 'ScreenConnect Client'), // names no instance: judged by the allow alone
      ],
      LISTED,
    );
    expect(unlisted(findings)).toEqual(['contoso/c', 'contoso/e']);
    expect(result.fleet).toMatchObject({ tools: 6, unapprovedTools: 0, unlistedInstances: 2, agents: 0 });
    const tenant = result.tenants.find((t) => t.tenant === 'contoso');
    expect(tenant).toMatchObject({ unlistedInstances: 2, worst: 'unlisted-instance', severity: 'high' });
    expect(result.rollups).toContainEqual(
      expect.objectContaining({
        tenant: 'contoso',
        product: 'screenconnect',
        class: 'unlisted-instance',
        count: 2,
      }),
    );
    const c = findings.find((f) => f.subject === 'contoso/c');
    expect(c?.evidence).toMatchObject({
      instance: THEIRS,
      listedInstances: [OURS, 'relay.msp.example'],
      tool: 'screenconnect',
    });
  });

  it('fails every instance of a tool allowed without instances; "*" accepts any on purpose', async () => {
    const rows = [
      tool('fabrikam', 'a', `ScreenConnect Client (${OURS})`),
      tool('fabrikam', 'b', 'TeamViewer', 'acct-42'),
    ];
    const plain = await scan(
      rows,
      config({ allow: ['screenconnect'], tenants: { fabrikam: { allow: ['teamviewer'] } } }),
    );
    expect(unlisted(plain.findings)).toEqual(['fabrikam/a', 'fabrikam/b']);
    expect(plain.findings.find((f) => f.subject === 'fabrikam/a')?.message).toContain(
      'allowing a tool does not allow every instance of it',
    );
    const any = await scan(
      rows,
      config({
        allow: [
          { name: 'screenconnect', instances: ['*'] },
          { name: 'TeamViewer', instances: ['*'] },
        ],
      }),
    );
    expect(unlisted(any.findings)).toEqual([]);
    expect(any.result.fleet).toMatchObject({ tools: 2, unapprovedTools: 0, unlistedInstances: 0 });
  });

  it('reports an unapproved tool as unapproved whatever its instance', async () => {
    const { result, findings } = await scan([tool('northwind', 'a', 'AnyDesk', 'stranger')], LISTED);
    expect(findings.map((f) => f.code)).toEqual(['DRIFT_UNAPPROVED_TOOL']);
    expect(result.fleet).toMatchObject({ unapprovedTools: 1, unlistedInstances: 0 });
  });

  it('refuses lookalike, invisible and control characters, and says what they resemble', async () => {
    const { findings } = await scan(
      [
        tool('contoso', 'cyrillic', 'ScreenConnect Client', 'relаy.msp.example'), // Cyrillic а
        tool('contoso', 'zero-width', 'ScreenConnect Client', 'relay.msp\u200b.example'),
        tool('contoso', 'control', 'ScreenConnect Client', 'relay.msp.example\u0007'),
        tool('contoso', 'name', 'ScreenConnect Client (1а2b3c4d5e6f7a8b)'), // Cyrillic а in the id
        tool('contoso', 'fullwidth', 'ScreenConnect Client （1a2b3c4d5e6f7a8b）'),
      ],
      LISTED,
    );
    expect(unlisted(findings).sort()).toEqual(
      [
        'contoso/control',
        'contoso/cyrillic',
        'contoso/fullwidth',
        'contoso/name',
        'contoso/zero-width',
      ].sort(),
    );
    const cyrillic = findings.find((f) => f.subject === 'contoso/cyrillic');
    expect(cyrillic?.evidence).toMatchObject({
      instance: 'rel\\u0430y.msp.example',
      resembles: 'relay.msp.example',
    });
    expect(cyrillic?.message).toContain('lookalike or invisible characters');
    expect(findings.find((f) => f.subject === 'contoso/name')?.evidence).toMatchObject({ resembles: OURS });
    for (const f of findings)
      for (const char of f.message)
        expect(char.charCodeAt(0) >= 0x20 && char !== '\u200b', f.message).toBe(true);
  });

  it('counts two instances on one endpoint as two installs: a stranger does not hide as a duplicate', async () => {
    const { result, findings } = await scan(
      [
        tool('contoso', 'a', `ScreenConnect Client (${THEIRS})`),
        tool('contoso', 'a', `ScreenConnect Client (${OURS})`),
        agent('contoso', 'm', 'mesh.msp.example'),
        agent('contoso', 'm', 'mesh.attacker.example'),
      ],
      LISTED,
    );
    expect(result.fleet).toMatchObject({
      duplicateRows: 0,
      tools: 2,
      unlistedInstances: 1,
      agents: 2,
      onTarget: 1,
    });
    expect(unlisted(findings)).toEqual(['contoso/a', 'contoso/m']);
  });

  it('gives a managed agent of a stranger instance its primary status, counted in the agents', async () => {
    const { result, findings } = await scan(
      [
        agent('contoso', 'ours', 'https://mesh.msp.example/agent.ashx'),
        agent('contoso', 'theirs', 'mesh.attacker.example'),
        agent('contoso', 'none', ''),
        agent('fabrikam', 'no-list', 'mesh.msp.example'), // nothing listed for fabrikam
      ],
      LISTED,
    );
    expect(result.fleet.agents).toBe(4);
    expect(result.fleet.status).toMatchObject({ 'on-target': 2, 'unlisted-instance': 2 });
    expect(Object.values(result.fleet.status).reduce((a, b) => a + b, 0)).toBe(result.fleet.agents);
    expect(unlisted(findings)).toEqual(['contoso/theirs', 'fabrikam/no-list']);
    expect(findings.find((f) => f.subject === 'contoso/theirs')?.evidence).toMatchObject({
      product: 'acme-agent',
      primaryStatus: 'unlisted-instance',
    });
  });

  it('ranks unlisted-instance below hash-mismatch and revoked, above the version statuses', async () => {
    const row = (endpoint: string, version: string, sha: string) =>
      [
        'contoso',
        endpoint,
        endpoint,
        'acme-agent',
        version,
        sha,
        'windows-x64',
        SEEN,
        'mesh.attacker.example',
      ] as const;
    const { result } = await scan(
      [
        row('tampered', '7.4.2', '0'.repeat(64)),
        row('revoked', '7.3.0', ''),
        row('behind', '7.4.0', ''),
        row('vulnerable', '7.1.0', ''),
      ],
      LISTED,
    );
    expect(result.fleet.status).toMatchObject({
      'hash-mismatch': 1,
      revoked: 1,
      'unlisted-instance': 2,
      behind: 0,
    });
  });

  it('gives the same result on the reader thread as on the main thread', async () => {
    const rows = [
      tool('contoso', 'a', `ScreenConnect Client (${OURS})`),
      tool('contoso', 'b', `ScreenConnect Client (${THEIRS})`),
      tool('contoso', 'c', 'ScreenConnect Client', 'relay.attacker.example'),
      agent('contoso', 'm', 'mesh.msp.example'),
      agent('contoso', 'm', 'mesh.attacker.example'),
      agent('contoso', 'n', 'mesh.attacker.example'),
    ];
    const main = await scan(rows, LISTED);
    const thread = await scan(rows, LISTED, 'always');
    expect(thread.result.fleet).toEqual(main.result.fleet);
    expect(thread.result.rollups).toEqual(main.result.rollups);
    expect(thread.findings.map((f) => [f.code, f.subject])).toEqual(
      main.findings.map((f) => [f.code, f.subject]),
    );
  });
});

describe('instance normal form and config', () => {
  it.each([
    ['1A2B3C4D5E6F7A8B', '1a2b3c4d5e6f7a8b'],
    ['  relay.msp.example.  ', 'relay.msp.example'],
    ['wss://user@Mesh.MSP.example:443/agent.ashx', 'mesh.msp.example'],
    ['relay.msp.example:8041', 'relay.msp.example'],
    ['$abc@Def', '$abc@def'], // not a URL: kept, ASCII lower-cased
    ['relаy.msp.example', 'relаy.msp.example'], // Cyrillic а: kept as it is
  ])('%s → %s', (raw, normal) => {
    expect(normaliseInstance(raw)).toBe(normal);
  });

  it.each([
    [
      { allow: [{ name: 'screenconnect', instances: ['relаy.msp.example'] }] },
      '/allow/0/instances/0',
      'xn--',
    ],
    [{ allow: [{ name: 'screenconnect', instances: ['a\u0000b'] }] }, '/allow/0/instances/0', '\\u0000'],
    [{ allow: [{ name: 'screenconnect', instances: [] }] }, '/allow/0/instances', 'non-empty'],
    [{ allow: [{ name: 'screenconnect' }] }, '/allow/0/instances', 'non-empty'],
    [{ allow: [{ name: 'screenconnect', instances: ['x'], extra: 1 }] }, '/allow/0/extra', 'only name'],
    [{ tenants: { t: { allow: [{ instances: ['x'] }] } } }, '/tenants/t/allow/0/name', 'tool name'],
  ])('refuses a bad allow entry at %#', (value, pointer, words) => {
    let error: unknown;
    try {
      config(value);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InputError);
    expect((error as InputError).location.pointer).toBe(pointer);
    expect((error as InputError).message).toContain(words);
  });
});
