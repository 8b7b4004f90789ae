/**
 * Regenerates data/rmm-tools.json, the bundled RMM and remote-access tool catalog, from a
 * checkout of LOLRMM (https://github.com/magicsword-io/LOLRMM, Apache-2.0) and the hand-kept
 * overlay data/rmm-tools.curated.json:
 *
 *     node scripts/generate-catalog.ts /path/to/LOLRMM [--commit <sha>] [--check]
 *
 * Deterministic: the same inputs give the same bytes (entries and lists in a fixed order, no
 * clock). `--check` compares instead of writing and exits 1 when the committed file differs.
 *
 * What each tool gets from LOLRMM (yaml/*.yaml, *.yml):
 * - names: `Name`, its base before a parenthesis (`Kaseya (VSA)` → `Kaseya`), names after
 *   `now`, `formerly`, `aka`, `also known as` inside one; PEMetadata `Product`; macOS
 *   `/Applications/X.app` install paths; uninstall registry key names
 *   (`…\Uninstall\AnyDesk`, GUIDs and wildcards skipped);
 * - executables: PEMetadata `Filename`/`OriginalFileName`, `.exe` base names in
 *   InstallationPaths and service ImagePaths (wildcards and generic names skipped);
 * - services: EventLog `ServiceName`, `…\Services\X` registry keys;
 * - packages: bare executable names without extension (Linux binaries such as `tmate`);
 * - install paths as given; signers and code-signing thumbprints (`CodeSigning`).
 * LOLRMM entries that share a name are merged into one tool; so are the ones the overlay lists
 * under a curated tool. A name or executable two tools claim goes to the tool whose own name
 * it starts with, or to neither (printed).
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { parse } from 'yaml';

import { normaliseName, nameKey } from '../src/fleet/product-name.ts';

const OUT = fileURLToPath(new URL('../data/rmm-tools.json', import.meta.url));
const CURATED = fileURLToPath(new URL('../data/rmm-tools.curated.json', import.meta.url));
const NAMES = fileURLToPath(new URL('../test/fixtures/fleet/lolrmm-entries.json', import.meta.url));

interface Signer {
  name: string;
  thumbprint?: string;
}

interface Tool {
  id: string;
  name: string;
  vendor: string;
  category: 'rmm' | 'remote-access';
  matchByDefault: boolean;
  aliases: string[];
  executables: string[];
  services: string[];
  packages: string[];
  installPaths: string[];
  signers: Signer[];
  instance?: string;
  lolrmm: string[];
}

interface CuratedTool {
  id: string;
  name: string;
  vendor: string;
  category: 'rmm' | 'remote-access';
  aliases: string[];
  executables: string[];
  services: string[];
  packages: string[];
  lolrmm: string[];
  instance?: string;
}

/** What one LOLRMM file says, reduced to the fields the catalog keeps. */
interface Entry {
  file: string;
  name: string;
  category: 'rmm' | 'remote-access';
  website: string;
  /** Names strong enough to merge entries that share one. */
  primaryNames: string[];
  aliases: string[];
  executables: string[];
  services: string[];
  packages: string[];
  installPaths: string[];
  signers: Signer[];
}

/** Executable and service names too generic to stand for one tool. */
const GENERIC = new Set(
  [
    'setup.exe',
    'install.exe',
    'installer.exe',
    'installcore.exe',
    'update.exe',
    'updater.exe',
    'autoupdate.exe',
    'uninstall.exe',
    'unins000.exe',
    'agent.exe',
    'service.exe',
    'client.exe',
    'server.exe',
    'launcher.exe',
    'windowslauncher.exe',
    'helper.exe',
    'appcore.exe',
    'dwm.exe',
    'svchost.exe',
    'explorer.exe',
    'rundll32.exe',
    'cmd.exe',
    'powershell.exe',
    'conhost.exe',
    'msiexec.exe',
    'si.exe',
    'httpget.exe',
    'vhost.exe',
    'remote access.exe',
    'winring0_1_2_0',
    'main.exe',
    'app.exe',
    'connect.exe',
    'rdp.exe',
    'supporttool.exe',
    'installshield setup.exe',
  ].map((s) => s.toLowerCase()),
);

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap((v) => strings(v));
  return [];
}

function records(value: unknown): Record<string, unknown>[] {
  if (Array.isArray(value)) return value.filter((v): v is Record<string, unknown> => isRecord(v));
  return isRecord(value) ? [value] : [];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field(record: unknown, key: string): unknown {
  return isRecord(record) ? record[key] : undefined;
}

function text(value: unknown): string {
  return typeof value === 'string' ? value.replace(/\s+/g, ' ').trim() : '';
}

/** Base name of a Windows or POSIX path. */
function baseName(path: string): string {
  const parts = path.split(/[\\/]/);
  return (parts[parts.length - 1] ?? '').trim();
}

const WILDCARD = /[*?<>%]/;
const GUID = /^\{?[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\}?$/i;

/** `Kaseya (VSA)` → base `Kaseya`; `NinjaOne (formerly NinjaRMM)` → also `NinjaRMM`. */
function primaryNames(name: string): string[] {
  const primary = [name];
  const paren = /^(.*?)\s*\((.*)\)\s*$/.exec(name);
  if (paren !== null) {
    const base = (paren[1] ?? '').trim();
    const inner = (paren[2] ?? '').trim();
    if (base !== '') primary.push(base);
    const other = /^(?:now|formerly|aka|also known as)\s+(.+)$/i.exec(inner);
    if (other?.[1] !== undefined) primary.push(other[1].trim());
  }
  return primary;
}

function readEntry(file: string, source: string): Entry {
  const doc: unknown = parse(source);
  const name = text(field(doc, 'Name'));
  if (name === '') throw new Error(`${file}: no Name`);
  const details = field(doc, 'Details');
  const artifacts = field(doc, 'Artifacts');
  const primary = primaryNames(name);
  const aliases: string[] = [];
  const executables: string[] = [];
  const packages: string[] = [];
  const addExecutable = (raw: string) => {
    const base = baseName(raw.replace(/^"+|"+$/g, '').replace(/"?\s+-.*$/, ''));
    if (base === '' || WILDCARD.test(base) || GENERIC.has(base.toLowerCase())) return;
    if (/\.exe$/i.test(base)) executables.push(base);
    else if (/^[a-z0-9][a-z0-9_-]{2,}$/i.test(base) && !raw.includes('\\') && !raw.includes('/'))
      packages.push(base);
  };
  for (const pe of records(field(details, 'PEMetadata'))) {
    const product = text(pe['Product']);
    if (product.length >= 3 && !WILDCARD.test(product)) aliases.push(product);
    addExecutable(text(pe['Filename']));
    addExecutable(text(pe['OriginalFileName']));
  }
  const installPaths = strings(field(details, 'InstallationPaths'))
    .concat(strings(field(doc, 'InstallationPaths')))
    .map((p) => p.trim())
    .filter((p) => p !== '');
  for (const path of installPaths) {
    const app = /^\/Applications\/([^/*]+)\.app\/?$/.exec(path);
    if (app?.[1] !== undefined) aliases.push(app[1]);
    else addExecutable(path);
  }
  const services: string[] = [];
  for (const event of records(field(artifacts, 'EventLog'))) {
    const service = text(event['ServiceName']);
    if (service !== '' && !WILDCARD.test(service) && !GENERIC.has(service.toLowerCase()))
      services.push(service);
    const image = text(event['ImagePath']).replaceAll('\\\\', '\\');
    const exe = /([^\\/"]+\.exe)/i.exec(image);
    if (exe?.[1] !== undefined) addExecutable(exe[1]);
  }
  for (const registry of records(field(artifacts, 'Registry'))) {
    const path = text(registry['Path']);
    const uninstall = /\\Uninstall\\([^\\]+)$/i.exec(path);
    if (uninstall?.[1] !== undefined) {
      const key = uninstall[1].trim();
      if (!WILDCARD.test(key) && !GUID.test(key) && /[a-z]/i.test(key)) aliases.push(key);
    }
    const service = /\\CurrentControlSet\\Services\\([^\\]+)$/i.exec(path);
    if (service?.[1] !== undefined && !WILDCARD.test(service[1]) && !GENERIC.has(service[1].toLowerCase()))
      services.push(service[1].trim());
  }
  const signers: Signer[] = [];
  for (const certificate of records(field(field(doc, 'CodeSigning'), 'certificates'))) {
    const signerName = text(certificate['signer_name']);
    const thumbprint = text(certificate['certificate_thumbprint']).toLowerCase();
    if (signerName === '' && thumbprint === '') continue;
    signers.push({
      name: signerName,
      ...(/^[0-9a-f]{40}$/.test(thumbprint) ? { thumbprint } : {}),
    });
  }
  const category = text(field(doc, 'Category')) === 'RMM' ? 'rmm' : 'remote-access';
  return {
    file,
    name,
    category,
    website: text(field(details, 'Website')),
    primaryNames: primary,
    aliases,
    executables,
    services,
    packages,
    installPaths,
    signers,
  };
}

/** Case-insensitive de-duplication keeping the first spelling, in first-seen order. */
function unique(list: readonly string[], key: (s: string) => string = (s) => s.toLowerCase()): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const item of list) {
    const k = key(item);
    if (k === '' || seen.has(k)) continue;
    seen.add(k);
    out.push(item);
  }
  return out;
}

function slug(stem: string): string {
  return stem
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

function websiteHost(url: string): string {
  try {
    return new URL(url).hostname.replace(/^www\./, '');
  } catch {
    return '';
  }
}

export interface GenerateResult {
  readonly json: string;
  /** test/fixtures/fleet/lolrmm-entries.json */
  readonly names: string;
  readonly entries: number;
  readonly tools: number;
  readonly dropped: readonly string[];
}

export function generateCatalog(lolrmmDir: string, commit: string, curatedText: string): GenerateResult {
  const yamlDir = join(lolrmmDir, 'yaml');
  const files = readdirSync(yamlDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const entries = files.map((f) => readEntry(f, readFileSync(join(yamlDir, f), 'utf8')));
  const overlay = JSON.parse(curatedText) as { tools: CuratedTool[]; merge?: string[][] };
  const curated = overlay.tools;

  // Union-find over entries (curated tools first, then LOLRMM files) by shared primary names.
  const parent: number[] = [];
  const find = (i: number): number => {
    while (parent[i] !== i) i = parent[i] = parent[parent[i] as number] as number;
    return i;
  };
  const union = (a: number, b: number) => {
    const ra = find(a);
    const rb = find(b);
    if (ra !== rb) parent[Math.max(ra, rb)] = Math.min(ra, rb);
  };
  const total = curated.length + entries.length;
  for (let i = 0; i < total; i++) parent.push(i);
  const byFile = new Map(entries.map((e, i) => [e.file.replace(/\.ya?ml$/, ''), curated.length + i]));
  for (const group of overlay.merge ?? []) {
    const members = group.map((stem) => {
      const at = byFile.get(stem);
      if (at === undefined) throw new Error(`curated merge: no LOLRMM entry yaml/${stem}.yaml`);
      return at;
    });
    for (const at of members.slice(1)) union(members[0] as number, at);
  }
  const byName = new Map<string, number>();
  curated.forEach((tool, i) => {
    for (const stem of tool.lolrmm) {
      const at = byFile.get(stem);
      if (at === undefined) throw new Error(`curated ${tool.id}: no LOLRMM entry yaml/${stem}.yaml`);
      union(i, at);
    }
    for (const name of [tool.name, ...tool.aliases]) {
      const key = nameKey(name);
      if (!byName.has(key)) byName.set(key, i);
    }
  });
  entries.forEach((entry, j) => {
    const at = curated.length + j;
    for (const name of entry.primaryNames) {
      const key = nameKey(name);
      if (key === '') continue;
      const other = byName.get(key);
      if (other === undefined) byName.set(key, at);
      else union(other, at);
    }
  });

  const groups = new Map<number, number[]>();
  for (let i = 0; i < total; i++) {
    const root = find(i);
    const list = groups.get(root) ?? [];
    list.push(i);
    groups.set(root, list);
  }

  const tools: Tool[] = [];
  const ids = new Set<string>();
  for (const [root, members] of [...groups].sort((a, b) => a[0] - b[0])) {
    const own = root < curated.length ? curated[root] : undefined;
    const parts = members.filter((m) => m >= curated.length).map((m) => entries[m - curated.length] as Entry);
    const first = parts[0];
    const name = own?.name ?? first?.name ?? '';
    let id = own?.id ?? slug((first?.file ?? name).replace(/\.ya?ml$/, ''));
    while (ids.has(id)) id += '-2';
    ids.add(id);
    const signers = new Map<string, Signer>();
    for (const part of parts)
      for (const signer of part.signers) {
        const key = signer.thumbprint ?? `name:${signer.name.toLowerCase()}`;
        if (!signers.has(key)) signers.set(key, signer);
      }
    const category = own?.category ?? (parts.some((p) => p.category === 'rmm') ? 'rmm' : 'remote-access');
    const nameKeyOf = nameKey(name);
    tools.push({
      id,
      name,
      vendor: own?.vendor ?? (websiteHost(first?.website ?? '') || name),
      category,
      // Curated tools and LOLRMM's RMM entries; LOLRMM's other remote-access tools (PuTTY,
      // WinSCP, ngrok…) only when the drift config asks for them.
      matchByDefault: own !== undefined || category === 'rmm',
      aliases: unique(
        [...(own?.aliases ?? []), ...parts.flatMap((p) => [...p.primaryNames, ...p.aliases])],
        nameKey,
      ).filter((alias) => nameKey(alias) !== nameKeyOf),
      executables: unique([...(own?.executables ?? []), ...parts.flatMap((p) => p.executables)]),
      services: unique([...(own?.services ?? []), ...parts.flatMap((p) => p.services)]),
      packages: unique([...(own?.packages ?? []), ...parts.flatMap((p) => p.packages)]),
      installPaths: unique(parts.flatMap((p) => p.installPaths)),
      signers: [...signers.values()],
      ...(own?.instance !== undefined ? { instance: own.instance } : {}),
      lolrmm: parts.map((p) => p.file),
    });
  }

  // A name, executable, service or package two tools claim goes to the tool whose own name
  // it starts with (`Splashtop Software Updater` is Splashtop's, not Atera's), else to the
  // curated tool that lists it, else to neither.
  const curatedValues = new Map(
    curated.map((c) => [c.id, new Set([...c.aliases, ...c.executables, ...c.services].map(nameKey))]),
  );
  const dropped: string[] = [];
  const settle = (pick: (t: Tool) => string[], set: (t: Tool, list: string[]) => void, kind: string) => {
    const claims = new Map<string, Tool[]>();
    for (const tool of tools)
      for (const value of pick(tool)) {
        const key = nameKey(value);
        const list = claims.get(key) ?? [];
        if (!list.includes(tool)) list.push(tool);
        claims.set(key, list);
      }
    for (const tool of tools) {
      set(
        tool,
        pick(tool).filter((value) => {
          const key = nameKey(value);
          const owners = claims.get(key) ?? [];
          if (owners.length <= 1) return true;
          const prefixed = owners.filter((o) => key.startsWith(nameKey(o.name)));
          const vouched = owners.filter((o) => curatedValues.get(o.id)?.has(key) === true);
          const winners = prefixed.length === 1 ? prefixed : vouched;
          const keep = winners.length === 1 && winners[0] === tool;
          if (!keep)
            dropped.push(`${kind} '${value}' of ${tool.id} (also ${owners.map((o) => o.id).join(', ')})`);
          return keep;
        }),
      );
    }
  };
  const allNames = (t: Tool) => [t.name, ...t.aliases, ...t.packages];
  settle(
    (t) => t.aliases,
    (t, list) => (t.aliases = list),
    'name',
  );
  settle(
    (t) => t.executables,
    (t, list) => (t.executables = list),
    'executable',
  );
  settle(
    (t) => t.services,
    (t, list) => (t.services = list),
    'service',
  );
  // A tool's primary name that another tool also claims is a data error worth failing on.
  const primary = new Map<string, string>();
  for (const tool of tools) {
    for (const value of allNames(tool)) {
      const key = nameKey(value);
      const owner = primary.get(key);
      if (owner !== undefined && owner !== tool.id && value === tool.name)
        throw new Error(`name '${value}' of ${tool.id} is also a name of ${owner}`);
      if (owner === undefined) primary.set(key, tool.id);
    }
  }
  for (const tool of tools)
    if (normaliseName(tool.name).compact === '') throw new Error(`${tool.id}: empty name`);

  const json = `${JSON.stringify(
    {
      schema: 2,
      description:
        'RMM and remote-access tools recognised by `rmm-verify drift`. Generated by scripts/generate-catalog.ts from LOLRMM (see data/NOTICE-LOLRMM.md; Apache-2.0) and data/rmm-tools.curated.json; do not edit by hand.',
      source: {
        name: 'LOLRMM',
        url: 'https://github.com/magicsword-io/LOLRMM',
        commit,
        license: 'Apache-2.0',
        entries: entries.length,
      },
      tools,
    },
    null,
    2,
  )}\n`;
  // What each LOLRMM entry itself names, for the recognition test (test/fleet/catalog.test.ts).
  const names = `${JSON.stringify(
    {
      description:
        'Names and executables of each LOLRMM entry, written by scripts/generate-catalog.ts for the catalog recognition test.',
      commit,
      entries: entries.map((e) => ({
        file: e.file,
        name: e.name,
        category: e.category,
        executables: unique(e.executables),
        packages: unique(e.packages),
      })),
    },
    null,
    2,
  )}\n`;
  return { json, names, entries: entries.length, tools: tools.length, dropped };
}

function main(argv: readonly string[]): number {
  const args = [...argv];
  const check = args.includes('--check');
  const commitAt = args.indexOf('--commit');
  const commit = commitAt >= 0 ? (args[commitAt + 1] ?? '') : 'unknown';
  const dir = args.find((a, i) => !a.startsWith('--') && (commitAt < 0 || i !== commitAt + 1));
  if (dir === undefined || (commitAt >= 0 && !/^[0-9a-f]{40}$/.test(commit))) {
    process.stderr.write(
      'usage: node scripts/generate-catalog.ts <LOLRMM checkout> [--commit <40-hex sha>] [--check]\n',
    );
    return 2;
  }
  const result = generateCatalog(dir, commit, readFileSync(CURATED, 'utf8'));
  for (const line of result.dropped) process.stderr.write(`dropped ${line}\n`);
  if (check) {
    const same = readFileSync(OUT, 'utf8') === result.json && readFileSync(NAMES, 'utf8') === result.names;
    process.stdout.write(same ? 'data/rmm-tools.json is up to date\n' : 'data/rmm-tools.json differs\n');
    return same ? 0 : 1;
  }
  writeFileSync(OUT, result.json);
  writeFileSync(NAMES, result.names);
  process.stdout.write(`data/rmm-tools.json: ${result.tools} tools from ${result.entries} LOLRMM entries\n`);
  return 0;
}

if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = main(process.argv.slice(2));
