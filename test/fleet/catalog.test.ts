import { readFileSync } from 'node:fs';

import { describe, expect, it } from 'vitest';

import { generateCatalog } from '../../scripts/generate-catalog.ts';
import { ProductCatalog } from '../../src/fleet/catalog.ts';
import { nameKey, normaliseName, skeleton } from '../../src/fleet/product-name.ts';
import { RmmToolMatcher, bundledRmmTools, parseRmmTools } from '../../src/fleet/rmm-tools.ts';

const fixture = (path: string) => new URL(`../fixtures/${path}`, import.meta.url);

interface LolrmmEntry {
  readonly file: string;
  readonly name: string;
  readonly category: 'rmm' | 'remote-access';
  readonly executables: readonly string[];
  readonly packages: readonly string[];
}

const lolrmm = JSON.parse(readFileSync(fixture('fleet/lolrmm-entries.json'), 'utf8')) as {
  commit: string;
  entries: LolrmmEntry[];
};

describe('bundled catalog generated from LOLRMM', () => {
  const tools = bundledRmmTools();
  const matcher = new RmmToolMatcher(tools);
  const owner = new Map<string, string>();
  for (const tool of tools) for (const file of tool.lolrmm) owner.set(file, tool.id);

  it('covers every LOLRMM entry and records its source', () => {
    const data = JSON.parse(readFileSync(new URL('../../data/rmm-tools.json', import.meta.url), 'utf8')) as {
      source: { commit: string; license: string; entries: number };
    };
    expect(data.source.license).toBe('Apache-2.0');
    expect(data.source.commit).toBe(lolrmm.commit);
    expect(data.source.commit).toMatch(/^[0-9a-f]{40}$/);
    expect(data.source.entries).toBe(lolrmm.entries.length);
    expect(lolrmm.entries.length).toBeGreaterThanOrEqual(300);
    for (const entry of lolrmm.entries) expect(owner.get(entry.file), entry.file).toBeDefined();
    // Attribution ships with the data (Apache-2.0 §4).
    expect(readFileSync(new URL('../../data/LICENSE-LOLRMM', import.meta.url), 'utf8')).toMatch(
      /Apache License\s+Version 2\.0/,
    );
    expect(readFileSync(new URL('../../data/NOTICE-LOLRMM.md', import.meta.url), 'utf8')).toMatch(
      /magicsword-io\/LOLRMM/,
    );
  });

  /**
   * The forms an RMM entry shows up under in inventories: its name as Windows uninstall data
   * writes it (bare, with a version, with an architecture, with the part installed, in another
   * case), its package name (lower case, hyphens) and each executable. An entry counts as
   * recognised when every form resolves to the tool that absorbed the entry.
   */
  function forms(entry: LolrmmEntry): string[] {
    const name = entry.name;
    return [
      name,
      `${name} 7.4.2`,
      `${name} 10.0.19045.1234`,
      `${name} (x64)`,
      `${name} Agent`,
      name.toUpperCase(),
      name.toLowerCase().replace(/[^a-z0-9]+/g, '-'),
      ...entry.executables,
      ...entry.packages,
    ];
  }

  it('recognises at least 90% of LOLRMM RMM entries by name, version forms, packages and executables', () => {
    const rmm = lolrmm.entries.filter((e) => e.category === 'rmm');
    const missed: string[] = [];
    let recognised = 0;
    for (const entry of rmm) {
      const wrong = forms(entry).filter((form) => matcher.match(form)?.id !== owner.get(entry.file));
      if (wrong.length === 0) recognised++;
      else
        missed.push(
          `${entry.file}: ${wrong.map((w) => `'${w}' → ${matcher.match(w)?.id ?? 'none'}`).join(', ')}`,
        );
    }
    const rate = recognised / rmm.length;
    console.log(
      `catalog recognition: ${recognised}/${rmm.length} LOLRMM RMM entries (${(rate * 100).toFixed(1)}%), ${tools.length} tools` +
        (missed.length > 0 ? `; missed:\n  ${missed.join('\n  ')}` : ''),
    );
    expect(rmm.length).toBeGreaterThanOrEqual(200);
    expect(rate).toBeGreaterThanOrEqual(0.9);
  });

  it('leaves LOLRMM remote-access tools (SSH clients, tunnels, sync) out unless asked for', () => {
    expect(matcher.match('PuTTY')).toBeUndefined();
    expect(matcher.match('WinSCP 6.3.5')).toBeUndefined();
    const all = new RmmToolMatcher(tools, { remoteAccessTools: true });
    expect(all.match('PuTTY release 0.81 (64-bit)')?.id).toBe('putty');
    expect(all.match('WinSCP 6.3.5')?.id).toBe('winscp');
    // Curated remote-access tools stay recognised by default.
    expect(matcher.match('TightVNC')?.id).toBe('tightvnc');
  });

  it('keeps signers, thumbprints, install paths and executables from LOLRMM', () => {
    const anydesk = tools.find((t) => t.id === 'anydesk')!;
    expect(anydesk.signers).toContainEqual({
      name: 'AnyDesk Software GmbH',
      thumbprint: 'e5abe8d3cea37b45f3d3896b49fb91920b4a4e9d',
    });
    expect(anydesk.installPaths).toContain('C:\\Program Files (x86)\\AnyDesk\\*');
    expect(anydesk.lolrmm).toEqual(['anydesk.yaml']);
    const screenconnect = tools.find((t) => t.id === 'screenconnect')!;
    expect(screenconnect.lolrmm).toEqual(['connectwise_control.yaml', 'screenconnect.yaml']);
    expect(screenconnect.instance).toBe('parenthesised-id');
    expect(screenconnect.executables).toContain('ScreenConnect.ClientService.exe');
  });

  // [uninstall DisplayName / package / executable, expected tool id or undefined, invariant]
  const DISPLAY_NAMES: readonly [string, string | undefined, string][] = [
    ['ScreenConnect Client (1a2b3c4d5e6f7a8b)', 'screenconnect', 'client with its instance id'],
    ['ConnectWise Control Client (0f1e2d3c4b5a6978)', 'screenconnect', 'the older product name'],
    ['AnyDesk', 'anydesk', 'bare name'],
    ['TeamViewer 15', 'teamviewer', 'name with a major version'],
    ['TeamViewer Host', 'teamviewer', 'the host module'],
    ['Splashtop Streamer', 'splashtop', 'the streamer part'],
    ['Splashtop Software Updater', 'splashtop', 'an updater named after the tool'],
    ['Atera Agent', 'atera', 'agent'],
    ['NinjaRMMAgent', 'ninjaone', 'former name, one word'],
    ['Kaseya Agent', 'kaseya-vsa', 'agent'],
    ['RustDesk', 'rustdesk', 'bare name'],
    ['Zabbix Agent 2 (64-bit)', 'zabbix-agent', 'version then architecture'],
    ['MeshAgent', 'meshcentral', 'agent name'],
    ['Remote Utilities - Host', 'remote-utilities', 'dash-separated part'],
    ['LogMeIn Rescue', 'logmein-rescue', 'longest name wins over LogMeIn'],
    ['anydesk', 'anydesk', 'deb/rpm package name'],
    ['AnyDesk.app', 'anydesk', 'macOS application bundle'],
    ['AteraAgent.exe', 'atera', 'executable'],
    ['LTService', 'connectwise-automate', 'service name'],
    ['Level', 'level', 'short names match exactly'],
    ['Level Access Viewer', undefined, 'a bare prefix followed by other words is another product'],
    ['AnyDesk Viewer Plugin', undefined, 'a third-party add-on named after the tool is not the tool'],
    ['Rapid7 Insight Agent', undefined, 'another product from a vendor LOLRMM lists'],
    ['TeamViewerish', undefined, 'no match inside a word'],
    ['Microsoft Edge', undefined, 'other software'],
    ['Cisco Webex Meetings', undefined, 'the name must start the display name'],
  ];
  it.each(DISPLAY_NAMES)('recognises %j', (name, id) => {
    expect(matcher.match(name)?.id).toBe(id);
  });
});

describe('name normalisation before catalog matching', () => {
  const matcher = new RmmToolMatcher(bundledRmmTools());
  // [renamed product, expected tool id, evasion]
  const EVASIONS: readonly [string, string, string][] = [
    ['Any\u200BDesk', 'anydesk', 'zero-width space'],
    ['Any\u200CDe\u200Dsk', 'anydesk', 'zero-width non-joiner and joiner'],
    ['\uFEFFAnyDesk', 'anydesk', 'byte-order mark'],
    ['Any\u00ADDesk', 'anydesk', 'soft hyphen'],
    ['Any\u2060Desk', 'anydesk', 'word joiner'],
    ['\u202EAnyDesk\u202C', 'anydesk', 'right-to-left override'],
    ['\u2067TeamViewer\u2069', 'teamviewer', 'right-to-left isolate'],
    ['\u0410nyDesk', 'anydesk', 'Cyrillic capital A'],
    ['AnyD\u0435sk', 'anydesk', 'Cyrillic small ie'],
    ['T\u0435\u0430mViewer 15', 'teamviewer', 'two Cyrillic letters and a version'],
    ['\u0422eamViewer', 'teamviewer', 'Cyrillic capital Te'],
    ['Sc\u0433eenConnect Client (1a2b3c4d5e6f7a8b)', 'screenconnect', 'Cyrillic ghe for r'],
    ['\u0391nyDesk', 'anydesk', 'Greek capital Alpha'],
    ['\uFF21\uFF4E\uFF59\uFF24\uFF45\uFF53\uFF4B', 'anydesk', 'full-width letters'],
    [
      '\uFF34\uFF45\uFF41\uFF4D\uFF36\uFF49\uFF45\uFF57\uFF45\uFF52 \uFF11\uFF15',
      'teamviewer',
      'full-width with version',
    ],
    ['\u{1D400}ny\u{1D403}esk', 'anydesk', 'mathematical bold letters'],
    ['Any Desk', 'anydesk', 'inner space'],
    ['Any  -  Desk', 'anydesk', 'inner punctuation'],
    ['Team Viewer Host', 'teamviewer', 'inner space in a multi-word name'],
    ['Any\u00A0Desk', 'anydesk', 'no-break space'],
    ['A\u0301nyDesk', 'anydesk', 'combining accent'],
    ['ANYDESK', 'anydesk', 'case'],
  ];
  it.each(EVASIONS)('recognises %j (%s)', (name, id) => {
    expect(matcher.match(name)?.id).toBe(id);
  });

  // [name that must NOT match, why]
  const NEAR_MISSES: readonly [string, string][] = [
    ['AnyDesk\u0435', 'a Cyrillic letter appended makes a longer word'],
    ['Any Desk Viewer Plugin', 'evasion folded, but an add-on is still not the tool'],
    ['AnyDisk', 'one letter off is another name (no fuzzy matching)'],
    ['TeamViewerish', 'a longer word'],
    ['Team Vie', 'a prefix of the name'],
    ['Level\u200BAccess', 'an invisible separator joins two words into another name'],
  ];
  it.each(NEAR_MISSES)('does not recognise %j (%s)', (name) => {
    expect(matcher.match(name)?.id).toBeUndefined();
  });

  it('normalises in one documented way', () => {
    expect(skeleton('\u0410ny\u200BD\u0435sk')).toBe('anydesk');
    expect(normaliseName('ScreenConnect Client (1A2B)')).toEqual({
      tokens: ['screenconnect', 'client', '(', '1a2b', ')'],
      compact: 'screenconnectclient1a2b',
      ends: [13, 19, 23],
    });
    expect(nameKey('  ')).toBe('');
    expect(nameKey('Σ')).toBe('σ'); // letters with no Latin lookalike stay themselves
    expect(nameKey('向日葵 远程控制')).toBe('向日葵远程控制');
  });

  it('applies to managed product names too', () => {
    const manifest = {
      schema: 1,
      product: 'acme-agent',
      aliases: ['Acme Agent'],
      vendor: 'Acme',
      serial: 1,
      issued: '2026-01-01T00:00:00Z',
      expires: '2027-01-01T00:00:00Z',
      signers: {},
      policy: { target: '1.0.0' },
      releases: [],
    } as unknown as ConstructorParameters<typeof ProductCatalog>[0][number];
    const catalog = new ProductCatalog([manifest], new RmmToolMatcher(bundledRmmTools()), 100);
    expect(catalog.resolve('\u0410cme\u200B Agent')?.id).toBe('acme-agent');
    expect(catalog.resolve('ACME-AGENT')?.id).toBe('acme-agent');
    expect(catalog.resolve('Acme Agents')).toBeNull();
    expect(catalog.resolve('ScreenConnect Client (1A2B3C4D5E6F7A8B)')?.id).toBe('screenconnect');
    expect(catalog.instanceOf('ScreenConnect Client (1A2B3C4D5E6F7A8B)')).toBe('1a2b3c4d5e6f7a8b');
    expect(catalog.instanceOf('ScreenConnect Client')).toBe('');
    expect(catalog.instanceOf('AnyDesk (1a2b3c4d5e6f7a8b)')).toBe(''); // AnyDesk names no instance
  });

  it('counts every name of a tool as the managed product when a manifest names that tool', () => {
    // MeshCentral's served manifest names the agent `Mesh Agent` (pin --alias); its service,
    // executable, package and product names are then that product, never an unapproved tool.
    const manifest = {
      schema: 1,
      product: 'meshcentral-agent',
      aliases: ['Mesh Agent'],
      vendor: 'MeshCentral',
      serial: 1,
      issued: '2026-01-01T00:00:00Z',
      expires: '2027-01-01T00:00:00Z',
      signers: {},
      policy: { target: '1.1.55' },
      releases: [],
    } as unknown as ConstructorParameters<typeof ProductCatalog>[0][number];
    const catalog = new ProductCatalog([manifest], new RmmToolMatcher(bundledRmmTools()), 100);
    for (const name of [
      'Mesh Agent',
      'Mesh Agent background service',
      'MeshAgent.exe',
      'meshagent',
      'MeshCentral',
    ])
      expect(catalog.resolve(name), name).toMatchObject({ kind: 'managed', id: 'meshcentral-agent' });
    expect(catalog.resolve('AnyDesk')).toMatchObject({ kind: 'tool', id: 'anydesk' });
  });
});

describe('catalog generator', () => {
  const curated = JSON.stringify({
    schema: 1,
    tools: [
      {
        id: 'screenconnect',
        name: 'ConnectWise ScreenConnect',
        vendor: 'ConnectWise',
        category: 'rmm',
        aliases: ['ScreenConnect Client'],
        executables: [],
        services: [],
        packages: [],
        lolrmm: ['screenconnect', 'connectwise_control'],
        instance: 'parenthesised-id',
      },
    ],
  });
  const dir = new URL('../fixtures/lolrmm/', import.meta.url).pathname;
  const commit = '3c75cf0'.padEnd(40, '0');

  it('turns real LOLRMM YAML into catalog entries, deterministically', () => {
    const first = generateCatalog(dir, commit, curated);
    const second = generateCatalog(dir, commit, curated);
    expect(second.json).toBe(first.json);
    expect(second.names).toBe(first.names);
    const tools = parseRmmTools(first.json, 'generated.json');
    const ids = tools.map((t) => t.id);
    // ninjarmm.yaml and 'NinjaOne (formerly NinjaRMM)' share a name: one tool.
    expect(ids).toEqual([
      'screenconnect',
      'anydesk',
      'atera',
      'kaseya',
      'ninjaone-formerly-ninjarmm',
      'putty',
      'splashtop',
    ]);
    const ninja = tools.find((t) => t.id === 'ninjaone-formerly-ninjarmm')!;
    expect(ninja.lolrmm).toEqual(['ninjaone_(formerly_ninjarmm).yaml', 'ninjarmm.yaml']);
    expect(ninja.aliases).toContain('NinjaRMM');
    // 'Splashtop (Beta)' merges into Splashtop by its base name.
    expect(tools.find((t) => t.id === 'splashtop')!.lolrmm).toEqual(['splashtop.yaml', 'splashtopbeta.yaml']);
    // Atera's LOLRMM entry lists Splashtop's uninstall key; it stays Splashtop's.
    expect(tools.find((t) => t.id === 'atera')!.aliases).not.toContain('Splashtop Software Updater');
    expect(tools.find((t) => t.id === 'splashtop')!.services).toContain('SplashtopRemoteService');
    const anydesk = tools.find((t) => t.id === 'anydesk')!;
    expect(anydesk.executables).toEqual(['anydesk.exe']);
    expect(anydesk.signers[0]?.thumbprint).toBe('e5abe8d3cea37b45f3d3896b49fb91920b4a4e9d');
    expect(anydesk.vendor).toBe('anydesk.com');
    expect(tools.find((t) => t.id === 'putty')).toMatchObject({
      category: 'remote-access',
      matchByDefault: false,
    });
    expect(first.entries).toBe(10);
  });

  it('fails on a curated tool that names a missing LOLRMM entry', () => {
    const broken = curated.replace('"connectwise_control"', '"no_such_tool"');
    expect(() => generateCatalog(dir, commit, broken)).toThrow(/no LOLRMM entry yaml\/no_such_tool\.yaml/);
  });
});

describe('catalog file parsing', () => {
  const tool = { id: 'a', name: 'A', vendor: 'V' };
  const parse = (tools: unknown[]) => () => parseRmmTools(JSON.stringify({ schema: 2, tools }), 't.json');
  it('rejects malformed entries with a JSON pointer', () => {
    expect(parse([{ ...tool, category: 'rat' }])).toThrow(/t\.json at \/tools\/0\/category/);
    expect(parse([{ ...tool, instance: 'guess' }])).toThrow(/\/tools\/0\/instance/);
    expect(parse([{ ...tool, signers: [{ name: 'S', thumbprint: 'XYZ' }] }])).toThrow(
      /\/tools\/0\/signers\/0\/thumbprint/,
    );
    expect(parse([{ ...tool, matchByDefault: 'yes' }])).toThrow(/\/tools\/0\/matchByDefault/);
    expect(parse([{ ...tool, packages: [''] }])).toThrow(/\/tools\/0\/packages/);
    expect(() => parseRmmTools('{"schema": 3, "tools": []}', 't.json')).toThrow(/schema 1 or 2/);
  });
  it('reads a minimal schema-2 entry', () => {
    expect(parse([tool])()[0]).toMatchObject({ id: 'a', category: 'rmm', matchByDefault: true, signers: [] });
  });
});
